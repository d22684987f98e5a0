"""The two reads a plan makes many of, as plain JSON through azure-ai-ml's own HTTP pipeline.

A plan reads one data version list per declared import and the workspace's import runs. Through
azure-ai-ml's entities every one of those costs milliseconds of CPU (a pipeline job's entity
walks the caller's stack for every node), which, hundreds of times over and on one
interpreter lock, and not the network, would bound a plan's reading time. So these two lists
are read as JSON through the SDK's management client (its authentication, retries, transport
and error mapping) and mapped to reconciler's values here; everything else stays with the
SDK's entities (`mapping`).

Import runs are found by the service: ``GET jobs?jobType=Pipeline&properties=<names>`` returns
only jobs that carry every property named, so the workspace's other pipeline jobs, however
many, are never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.names import normalise_datastore_path
from reconciler.resources import (
    AssetVersion,
    ImportDefinition,
    ImportJob,
    Source,
    job_status,
    split_tags,
    stored_definition,
)
from reconciler.vocabulary import (
    DEFINITION_PROPERTY,
    FINGERPRINT_PROPERTY,
    MATERIALIZATION_ASSET_PROPERTY,
    OWNER_TAG,
    VERSION_PROPERTY,
    default_asset_type,
)

# the service filters import runs on these: jobs that carry both (reconciler's imports)
IMPORT_JOB_FILTER = f"{MATERIALIZATION_ASSET_PROPERTY},{FINGERPRINT_PROPERTY}"
_DONE = {"Completed": "Completed", "Failed": "Failed", "Canceled": "Canceled"}
_FAILED_LIKE = {"NotResponding": "Failed", "CancelRequested": "Canceled"}


@dataclass(frozen=True)
class ImportRun:
    """An import run with the asset it makes and the owner its job was tagged with."""

    asset: str
    job: ImportJob
    owner: str | None


class RestReader:
    """GET lists of one workspace as JSON, following ``nextLink``."""

    def __init__(self, ml: Any, workspace_path: str) -> None:
        # the management client azure-ai-ml lists jobs with: same endpoint, credential,
        # retry policy and transport as every other operation group
        self._client = ml.jobs.service_client_01_2024_preview_arm
        self._path = workspace_path
        self.data_api = str(ml.data._operation._config.api_version)
        self.jobs_api = str(self._client._config.api_version)

    def pages(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """Every item of the list at ``path`` (under the workspace)."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceExistsError,
            ResourceNotFoundError,
            map_error,
        )
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        errors = {
            401: ClientAuthenticationError,
            404: ResourceNotFoundError,
            409: ResourceExistsError,
        }
        url: str | None = self._path + path
        query: Mapping[str, str] | None = params
        items: list[dict[str, Any]] = []
        while url:
            request = HttpRequest("GET", url, params=dict(query) if query else None)
            request.headers["Accept"] = "application/json"
            response = self._client.send_request(request)
            if response.status_code != 200:
                map_error(status_code=response.status_code, response=response, error_map=errors)
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            body = response.json()
            items.extend(body.get("value") or [])
            url, query = body.get("nextLink"), None  # absolute, with the query repeated
        return items

    def versions(self, name: str) -> list[AssetVersion]:
        """The active versions of data asset ``name`` (none when it does not exist)."""
        from azure.core.exceptions import ResourceNotFoundError

        params = {"api-version": self.data_api, "listViewType": "ActiveOnly"}
        try:
            items = self.pages(f"/data/{name}/versions", params)
        except ResourceNotFoundError:
            return []
        return [version_from_json(item) for item in items]

    def import_runs(self) -> list[ImportRun]:
        """Every import run reconciler made in the workspace."""
        params = {
            "api-version": self.jobs_api,
            "jobType": "Pipeline",
            "listViewType": "ActiveOnly",
            "properties": IMPORT_JOB_FILTER,
        }
        found = []
        for item in self.pages("/jobs", params):
            props = item.get("properties") or {}
            properties = props.get("properties") or {}
            asset = properties.get(MATERIALIZATION_ASSET_PROPERTY)
            if isinstance(asset, str) and asset:
                owner = (props.get("tags") or {}).get(OWNER_TAG)
                found.append(ImportRun(asset, job_from_json(item, asset), owner))
        return found

    def import_definitions(self) -> dict[str, ImportDefinition]:
        """Every data asset an import run made (reconciler's or not) with the definition of
        its latest completed run, read off the run's import step."""
        params = {
            "api-version": self.jobs_api,
            "jobType": "Pipeline",
            "listViewType": "ActiveOnly",
            "properties": MATERIALIZATION_ASSET_PROPERTY,
        }
        runs = []
        for item in self.pages("/jobs", params):
            props = item.get("properties") or {}
            asset = (props.get("properties") or {}).get(MATERIALIZATION_ASSET_PROPERTY)
            definition = definition_from_job(props)
            if props.get("status") == "Completed" and isinstance(asset, str) and definition:
                created = str((item.get("systemData") or {}).get("createdAt") or "")
                runs.append((created, asset, definition))
        return {asset: definition for _, asset, definition in sorted(runs, key=lambda r: r[0])}

    def archived_asset_names(self) -> list[str]:
        """The names of the workspace's archived data assets (usually few, unlike the active
        ones, whose number a workspace's other users decide)."""
        params = {"api-version": self.data_api, "listViewType": "ArchivedOnly"}
        return [str(item.get("name")) for item in self.pages("/data", params)]


def definition_from_job(props: Mapping[str, Any]) -> ImportDefinition | None:
    """The import definition of a data import pipeline job (its ``import_data`` step)."""
    stored = stored_definition((props.get("properties") or {}).get(DEFINITION_PROPERTY))
    if stored is not None:
        return stored
    for node in (props.get("jobs") or {}).values():
        if not isinstance(node, dict) or node.get("task") != "import_data":
            continue
        source = node.get("source") or {}
        sink = (node.get("outputs") or {}).get("sink") or {}
        path = normalise_datastore_path(str(sink.get("uri") or ""))
        kind = source.get("type")
        if path is None or kind not in ("database", "file_system"):
            return None
        try:
            return ImportDefinition(
                type=str(sink.get("job_output_type") or default_asset_type(kind)),
                source=Source(
                    type=kind,
                    connection=str(source.get("connection") or "").removeprefix("azureml:"),
                    query=source.get("query"),
                    path=source.get("path"),
                ),
                path=path,
            )
        except ValueError:
            return None
    return None


def version_from_json(item: Mapping[str, Any]) -> AssetVersion:
    props = item.get("properties") or {}
    raw_tags = {str(k): str(v) for k, v in (props.get("tags") or {}).items()}
    tags = split_tags(raw_tags)
    properties = props.get("properties") or {}
    uri = str(props.get("dataUri") or "")
    return AssetVersion(
        version=str(item.get("name")),
        path=normalise_datastore_path(uri) or uri,
        # reconciler labels the versions its imports made (the service registers them bare)
        fingerprint=properties.get(FINGERPRINT_PROPERTY) or raw_tags.get(FINGERPRINT_PROPERTY),
        description=props.get("description") or None,
        tags=tags.user,
        managed=tags.managed,
        created_at=str((item.get("systemData") or {}).get("createdAt") or ""),
        definition=stored_definition(properties.get(DEFINITION_PROPERTY)),
        provenance=tags.provenance,
    )


def job_from_json(item: Mapping[str, Any], asset: str) -> ImportJob:
    props = item.get("properties") or {}
    sink_version = next(
        (
            str(version)
            for node in (props.get("jobs") or {}).values()
            if isinstance(node, dict)
            and (version := ((node.get("outputs") or {}).get("sink") or {}).get("version"))
        ),
        None,
    )
    return import_job(
        str(item.get("name")),
        asset,
        str(props.get("status") or ""),
        props.get("properties") or {},
        sink_version,
        str((item.get("systemData") or {}).get("createdAt") or ""),
    )


def import_job(
    name: str,
    asset: str,
    status: str,
    properties: Mapping[str, Any],
    sink_version: str | None,
    created_at: str,
) -> ImportJob:
    """An import run from what the service says of its job (a REST body or an SDK entity)."""
    status = _DONE.get(status) or _FAILED_LIKE.get(status) or "Running"
    version = properties.get(VERSION_PROPERTY) or sink_version or ""
    error = None
    if status in ("Failed", "Canceled"):
        error = (
            properties.get("azureml.error")
            or properties.get("emulator.error")
            or f"the import job ended {status.lower()}"
        )
    return ImportJob(
        id=name,
        asset=asset,
        version=str(version),
        fingerprint=properties.get(FINGERPRINT_PROPERTY),
        status=job_status(status),
        started_at=created_at,
        error=error,
        definition=stored_definition(properties.get(DEFINITION_PROPERTY)),
    )
