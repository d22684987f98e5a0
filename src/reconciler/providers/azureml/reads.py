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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.essences import (
    Artifact,
    Credentials,
    DatastoreEssence,
    ImportDefinition,
    Kind,
    Source,
)
from reconciler.core.live import (
    AssetVersion,
    ImportedData,
    ImportJob,
    JobStatus,
    LiveResource,
    auto_delete_of,
    stored_definition,
)
from reconciler.core.names import normalise_datastore_path
from reconciler.core.tags import split_tags
from reconciler.core.vocabulary import (
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
    ONE_LAKE_ARTIFACT_TYPES,
    OWNER_TAG,
    SOURCE_TYPES,
    SYSTEM_DATASTORES,
    VERSION_PROPERTY,
    by_rest_name,
    default_asset_type,
    snake_case,
)
from reconciler.providers.azureml.arm import API_VERSIONS, items, send
from reconciler.providers.azureml.connections import connection_from_json
from reconciler.providers.azureml.schedules import schedule_from_json

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
_DATASTORE_BY_REST = {kind.rest.lower(): kind for kind in DATASTORE_KINDS.values()}
_ARTIFACT_TYPES = {rest: ours for ours, rest in ONE_LAKE_ARTIFACT_TYPES.items()}


@dataclass(frozen=True)
class ImportRun:
    """An import run with the asset it makes."""

    asset: str
    job: ImportJob


class RestReader:
    """GET lists of one workspace as JSON, following ``nextLink``, through the management
    client of `arm` (azure-ai-ml's pipeline, without importing azure-ai-ml); and PUT a
    connection's body (`connections.connection_body`)."""

    def __init__(self, client: Any, workspace_path: str) -> None:
        self._client = client
        self._path = workspace_path
        self.data_api = API_VERSIONS["data"]
        self.connections_api = API_VERSIONS["connections"]
        self.datastores_api = API_VERSIONS["datastores"]
        self.jobs_api = API_VERSIONS["jobs"]
        self.schedules_api = API_VERSIONS["schedules"]

    def pages(self, path: str, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every item of the list at ``path`` (under the workspace), its pages followed on a
        thread of their own while the caller reads them (`arm.items`)."""
        return items(self._client, self._path + path, params)

    def put(self, path: str, params: Mapping[str, str], body: Mapping[str, Any]) -> Any:
        """PUT ``body`` at ``path`` (under the workspace); the answer's JSON."""
        return send(self._client, "PUT", self._path + path, params, body)

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
            items = list(self.pages(f"/data/{name}/versions", params))
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
        return {data.asset: data.definition for data in self.imported_data()}

    def imported_data(self) -> list[ImportedData]:
        """What every completed import run (reconciler's or not) made, oldest first: its data
        asset, its folder and its definition, read off the run's import step."""
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
                folder = output_folder(_sink_uri(props), str(item.get("name")))
                runs.append((created, ImportedData(asset, folder, definition)))
        return [data for _, data in sorted(runs, key=lambda r: r[0])]

    def schedules(self) -> list[LiveResource]:
        """The workspace's import-data schedules (others are left out), as
        ``ml.schedules.list(list_view_type=ALL)`` asks for them."""
        params = {"api-version": self.schedules_api, "listViewType": "All"}
        found = (schedule_from_json(item) for item in self.pages("/schedules", params))
        return [schedule for schedule in found if schedule is not None]

    def containers(self) -> list[Container]:
        """Every data asset's container, archived or not: its latest and next version, and
        the tags reconciler writes on it (`reconciler.core.tags.LatestRecord`)."""
        params = {"api-version": self.data_api, "listViewType": "All"}
        return [container_from_json(item) for item in self.pages("/data", params)]


@dataclass(frozen=True)
class Container:
    """A data asset's container as the service lists it."""

    name: str
    latest: str  # latestVersion: the version created last
    next: str  # nextVersion: the number after the highest numeric version
    archived: bool
    description: str | None
    tags: dict[str, str]


def _strings(value: Any) -> dict[str, str]:
    """Tags as strings; the service stores a null value as given, which is no value at all."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def container_from_json(item: Mapping[str, Any]) -> Container:
    props = item.get("properties") or {}
    return Container(
        name=str(item.get("name")),
        latest=str(props.get("latestVersion") or ""),
        next=str(props.get("nextVersion") or ""),
        archived=bool(props.get("isArchived")),
        description=props.get("description") or None,
        tags=_strings(props.get("tags")),
    )


def datastore_from_json(item: Mapping[str, Any]) -> LiveResource:
    """A datastore as the service returns it (its secrets never are)."""
    props = item.get("properties") or {}
    raw_tags = props.get("tags") or {}
    tags = split_tags({str(k): str(v) for k, v in raw_tags.items() if v is not None})
    rest = str(props.get("datastoreType") or "")
    kind = _DATASTORE_BY_REST.get(rest.lower())
    fields: dict[str, Any] = {}
    if kind is not None:
        fields[kind.container] = props.get(kind.rest_container)
        if kind.storage_account:
            fields["account_name"] = props.get("accountName")
            fields["endpoint"] = props.get("endpoint") or DEFAULT_ENDPOINT
            fields["protocol"] = props.get("protocol") or DEFAULT_PROTOCOL
        elif props.get("endpoint"):
            fields["endpoint"] = props.get("endpoint")
        artifact = props.get("artifact")
        if isinstance(artifact, dict):
            fields["artifact"] = Artifact(
                type=_ARTIFACT_TYPES.get(str(artifact.get("artifactType")), "lake_house"),
                name=str(artifact.get("artifactName") or ""),
            )
    essence = DatastoreEssence(
        type=kind.name if kind else rest,
        description=props.get("description") or None,
        tags=tags.user,
        credentials=datastore_credentials(props.get("credentials") or {}),
        **fields,
    )
    name = str(item.get("name"))
    return LiveResource.read(Kind.DATASTORE, name, essence, tags, name in SYSTEM_DATASTORES)


def datastore_credentials(credentials: Mapping[str, Any]) -> Credentials:
    """The non-secret fields of a datastore's credentials, which the service returns (a service
    principal's or a certificate's ids); an identity-based datastore's type is None."""
    rest = str(credentials.get("credentialsType") or "None")
    kind = by_rest_name(DATASTORE_CREDENTIALS, rest)
    if kind is None:
        return Credentials(type=snake_case(rest))
    plain = {ours: credentials.get(theirs) for theirs, ours in kind.plain}
    if "authority_url" in plain:
        plain["authority_url"] = plain["authority_url"] or DEFAULT_AUTHORITY
    return Credentials(type=kind.name, **{k: str(v) for k, v in plain.items() if v is not None})


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
    sink_uri = _sink_uri(props)
    name = str(item.get("name"))
    return import_job(
        name,
        asset,
        str(props.get("status") or ""),
        props.get("properties") or {},
        sink_version,
        str((item.get("systemData") or {}).get("createdAt") or ""),
        owner=(props.get("tags") or {}).get(OWNER_TAG),
        output=output_folder(sink_uri, name),
    )


def _sink_uri(props: Mapping[str, Any]) -> str:
    """The output URI of a data import pipeline job's import step."""
    sinks = (
        (node.get("outputs") or {}).get("sink") or {}
        for node in (props.get("jobs") or {}).values()
        if isinstance(node, dict)
    )
    return next((str(uri) for sink in sinks if (uri := sink.get("uri"))), "")


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
