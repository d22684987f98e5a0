"""What a plan reads, as plain JSON through azure-ai-ml's own HTTP pipeline.

A plan reads every connection and datastore, one data version list per declared import and the
workspace's import runs. Through azure-ai-ml's entities every item costs milliseconds of CPU (a
pipeline job's entity walks the caller's stack for every node; a connection's or a datastore's
generated model deserialises field by field), which, a thousand times over and on one
interpreter lock, and not the network, bounded a plan's reading time (bench/emulator_bench.py).
So these lists are read as JSON through the SDK's management client (its authentication,
retries, transport and error mapping), with the query parameters the SDK itself sends, and
mapped to reconciler's values here; schedules and every write stay with the SDK's entities
(`mapping`).

Import runs are found by the service: ``GET jobs?jobType=Pipeline&properties=<names>`` returns
only jobs that carry every property named, so the workspace's other pipeline jobs, however
many, are never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.essences import (
    ConnectionEssence,
    Credentials,
    DatastoreEssence,
    ImportDefinition,
    Kind,
    Source,
)
from reconciler.core.live import (
    AssetVersion,
    ImportJob,
    JobStatus,
    LiveResource,
    auto_delete_of,
    stored_definition,
)
from reconciler.core.names import normalise_datastore_path
from reconciler.core.tags import split_tags, stored_credentials
from reconciler.core.vocabulary import (
    CONNECTION_CATEGORIES,
    CONNECTION_CREDENTIALS,
    DATASTORE_CREDENTIALS,
    DATASTORE_KINDS,
    DEFAULT_AUTHORITY,
    DEFAULT_ENDPOINT,
    DEFAULT_PROTOCOL,
    DEFINITION_PROPERTY,
    FINGERPRINT_PROPERTY,
    MATERIALIZATION_ASSET_PROPERTY,
    MOVED_FROM_TAG,
    NAME_PLACEHOLDER,
    OWNER_TAG,
    SOURCE_TYPES,
    SYSTEM_DATASTORES,
    VERSION_PROPERTY,
    by_rest_name,
    default_asset_type,
    snake_case,
)

AUTO_DELETE_FIELD = "autoDeleteSetting"  # a data version's, kept by the service as sent
# the service filters import runs on this: every import run, reconciler's or not (an import made
# outside reconciler and adopted is still the run that made its version), never other jobs
IMPORT_JOB_FILTER = MATERIALIZATION_ASSET_PROPERTY
# the service's job states that end a job; any other is still running
_ENDED = {
    **{status.value: status for status in JobStatus if not status.active},
    "NotResponding": JobStatus.FAILED,
    "CancelRequested": JobStatus.CANCELED,
}
_CONNECTION_TYPES = {rest: ours for ours, rest in CONNECTION_CATEGORIES.items()}
_DATASTORE_BY_REST = {kind.rest: kind for kind in DATASTORE_KINDS.values()}


@dataclass(frozen=True)
class ImportRun:
    """An import run with the asset it makes."""

    asset: str
    job: ImportJob


class RestReader:
    """GET lists of one workspace as JSON, following ``nextLink``."""

    def __init__(self, ml: Any, workspace_path: str) -> None:
        # the management client azure-ai-ml lists jobs with: same endpoint, credential,
        # retry policy and transport as every other operation group
        self._client = ml.jobs.service_client_01_2024_preview_arm
        self._path = workspace_path
        self.data_api = str(ml.data._operation._config.api_version)
        self.connections_api = str(ml.connections._operation._config.api_version)
        self.datastores_api = str(ml.datastores._operation._config.api_version)
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

    def connections(self) -> list[LiveResource]:
        """The workspace's connections, as ``ml.connections.list()`` asks for them."""
        params = {"api-version": self.connections_api, "includeAll": "false"}
        return [connection_from_json(item) for item in self.pages("/connections", params)]

    def datastores(self) -> list[LiveResource]:
        """The workspace's datastores, as ``ml.datastores.list()`` asks for them."""
        params = {"api-version": self.datastores_api, "count": "30", "orderByAsc": "false"}
        return [datastore_from_json(item) for item in self.pages("/datastores", params)]

    def versions(self, name: str, view: str = "ActiveOnly") -> list[AssetVersion]:
        """The versions of data asset ``name`` (none when it does not exist): the active ones,
        or as ``view`` (``All``, ``ArchivedOnly``) says."""
        from azure.core.exceptions import ResourceNotFoundError

        params = {"api-version": self.data_api, "listViewType": view}
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
                found.append(ImportRun(asset, job_from_json(item, asset)))
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

    def asset_names(self, view: str) -> list[str]:
        """The names of the workspace's data assets: ``ArchivedOnly`` (usually few) or
        ``ActiveOnly`` (as many as a workspace's users made)."""
        params = {"api-version": self.data_api, "listViewType": view}
        return [str(item.get("name")) for item in self.pages("/data", params)]


def _strings(value: Any) -> dict[str, str]:
    """Tags or metadata as strings; the service stores a null value as given (an Azure OpenAI
    connection's ``ResourceId``), which is no value at all."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def connection_from_json(item: Mapping[str, Any]) -> LiveResource:
    """A connection as the service returns it. It never returns credentials: the non-secret
    ones reconciler writes beside the connection, in ``reconciler.credential.*`` metadata; on a
    connection made by other tools they are unknown, not different."""
    props = item.get("properties") or {}
    metadata = _strings(props.get("metadata"))
    tags = split_tags(metadata)
    plain = stored_credentials(metadata)
    auth = str(props.get("authType") or "None")
    kind = by_rest_name(CONNECTION_CREDENTIALS, auth)
    category = str(props.get("category") or "")
    essence = ConnectionEssence(
        type=_CONNECTION_TYPES.get(category) or snake_case(category),
        target=str(props.get("target") or ""),
        credentials=Credentials(type=kind.name if kind else snake_case(auth), **plain),
        tags=tags.user,
    )
    unreadable = tuple(
        f"credentials.{ours}" for _, ours in (kind.plain if kind else ()) if ours not in plain
    )
    name = str(item.get("name"))
    return LiveResource.read(Kind.CONNECTION, name, essence, tags, False, unreadable)


def datastore_from_json(item: Mapping[str, Any]) -> LiveResource:
    """A datastore as the service returns it (its secrets never are)."""
    props = item.get("properties") or {}
    tags = split_tags(_strings(props.get("tags")))
    rest = str(props.get("datastoreType") or "")
    kind = _DATASTORE_BY_REST.get(rest)
    fields = {kind.container: props.get(kind.rest_container)} if kind else {}
    essence = DatastoreEssence(
        type=kind.name if kind else rest,
        account_name=props.get("accountName"),
        endpoint=props.get("endpoint") or DEFAULT_ENDPOINT,
        protocol=props.get("protocol") or DEFAULT_PROTOCOL,
        description=props.get("description") or None,
        tags=tags.user,
        credentials=datastore_credentials(props.get("credentials") or {}),
        **fields,
    )
    name = str(item.get("name"))
    return LiveResource.read(Kind.DATASTORE, name, essence, tags, name in SYSTEM_DATASTORES)


def datastore_credentials(credentials: Mapping[str, Any]) -> Credentials:
    """Only a service principal's are readable; an identity-based datastore's type is None."""
    rest = str(credentials.get("credentialsType") or "None")
    kind = by_rest_name(DATASTORE_CREDENTIALS, rest)
    if kind is not None and kind.name == "service_principal":
        return Credentials(
            type="service_principal",
            tenant_id=str(credentials.get("tenantId")),
            client_id=str(credentials.get("clientId")),
            authority_url=credentials.get("authorityUrl") or DEFAULT_AUTHORITY,
        )
    return Credentials(type=kind.name if kind else snake_case(rest))


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
        if path is None or kind not in SOURCE_TYPES:
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
        owner=tags.owner,
        prevent_destroy=tags.prevent_destroy,
        auto_delete=auto_delete_of(props.get(AUTO_DELETE_FIELD)),
        moved_from=raw_tags.get(MOVED_FROM_TAG),
    )


def job_from_json(item: Mapping[str, Any], asset: str) -> ImportJob:
    props = item.get("properties") or {}
    sinks = [
        (node.get("outputs") or {}).get("sink") or {}
        for node in (props.get("jobs") or {}).values()
        if isinstance(node, dict)
    ]
    sink_version = next((str(v) for sink in sinks if (v := sink.get("version"))), None)
    sink_uri = next((str(uri) for sink in sinks if (uri := sink.get("uri"))), "")
    name = str(item.get("name"))
    return import_job(
        name,
        asset,
        str(props.get("status") or ""),
        props.get("properties") or {},
        sink_version,
        str((item.get("systemData") or {}).get("createdAt") or ""),
        owner=_strings(props.get("tags")).get(OWNER_TAG),
        output=output_folder(sink_uri, name),
    )


def output_folder(sink_uri: str, job_name: str) -> str:
    """Where an import run writes: its sink URI with ``${{name}}`` resolved to the job's name, as
    the service resolves it (each run its own folder), in the short form."""
    uri = sink_uri.replace(NAME_PLACEHOLDER, job_name)
    return normalise_datastore_path(uri) or uri


def import_job(
    name: str,
    asset: str,
    status: str,
    properties: Mapping[str, Any],
    sink_version: str | None,
    created_at: str,
    *,
    owner: str | None = None,
    output: str = "",
) -> ImportJob:
    """An import run from what the service says of its job (a REST body or an SDK entity)."""
    state = _ENDED.get(status, JobStatus.RUNNING)
    version = properties.get(VERSION_PROPERTY) or sink_version or ""
    error = None
    if state.unsuccessful:
        error = (
            properties.get("azureml.error")
            or properties.get("emulator.error")
            or f"the import job ended {state.lower()}"
        )
    return ImportJob(
        id=name,
        asset=asset,
        version=str(version),
        fingerprint=properties.get(FINGERPRINT_PROPERTY),
        status=state,
        started_at=created_at,
        error=error,
        definition=stored_definition(properties.get(DEFINITION_PROPERTY)),
        owner=owner,
        output=output,
    )
