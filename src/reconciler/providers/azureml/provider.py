"""Azure ML through azure-ai-ml: the same `Workspace` contract as the embedded workspace.

Each resource kind has one row in `_KINDS`: how to list, read, build and delete it. Reads make
one list call per kind (the SDK follows ``nextLink`` pages) and look data assets up in bounded
parallel; import runs are found with one ``jobs.list`` filtered on
``azureml.materializationAssetName`` (``data.list_materialization_status`` is broken in 1.35).
An import's fingerprint travels in its job's properties, so a version's definition is known
even though the service creates the version itself. The credential is handed in by the caller.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import ProviderError
from reconciler.names import normalise_datastore_path
from reconciler.providers.azureml import mapping
from reconciler.providers.azureml.errors import Target, call
from reconciler.providers.azureml.lock import account_url, blob_lease
from reconciler.providers.base import Progress
from reconciler.resources import (
    AssetVersion,
    ImportEssence,
    ImportJob,
    Kind,
    LiveAsset,
    LiveResource,
    job_status,
    split_tags,
    stored_definition,
    with_job_definitions,
)
from reconciler.vocabulary import (
    DEFINITION_PROPERTY,
    FINGERPRINT_PROPERTY,
    MATERIALIZATION_ASSET_PROPERTY,
    OWNER_TAG,
    VERSION_PROPERTY,
)

_DONE = {"Completed": "Completed", "Failed": "Failed", "Canceled": "Canceled"}
_FAILED_LIKE = {"NotResponding": "Failed", "CancelRequested": "Canceled"}
READ_PARALLELISM = 8
DEFAULT_POLL_SECONDS = 5.0


def _quiet_sdk() -> None:
    """azure-ai-ml logs a warning for every experimental class it builds (DataImport,
    ImportDataSchedule): noise in a plan, so keep only its errors."""
    import logging

    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)


def _list_schedules(ml: Any) -> Iterable[Any]:
    from azure.ai.ml._restclient.arm_ml_service.models import ScheduleListViewType

    found: Iterable[Any] = ml.schedules.list(list_view_type=ScheduleListViewType.ALL)
    return found


@dataclass(frozen=True)
class _KindOps:
    """What the provider does with one kind of resource."""

    list: Callable[[Any], Iterable[Any]]
    read: Callable[[Any], LiveResource | None]
    build: Callable[[str, Any, Mapping[str, str], Mapping[str, str]], Any]
    write: Callable[[Any, Any], Any]
    delete: Callable[[Any, str], Any]


_KINDS: Mapping[Kind, _KindOps] = {
    Kind.CONNECTION: _KindOps(
        list=lambda ml: ml.connections.list(),
        read=mapping.connection_live,
        build=mapping.connection_entity,
        write=lambda ml, entity: ml.connections.create_or_update(entity),
        delete=lambda ml, name: ml.connections.delete(name),
    ),
    Kind.DATASTORE: _KindOps(
        list=lambda ml: ml.datastores.list(),
        read=mapping.datastore_live,
        build=mapping.datastore_entity,
        write=lambda ml, entity: ml.datastores.create_or_update(entity),
        delete=lambda ml, name: ml.datastores.delete(name),
    ),
    Kind.SCHEDULE: _KindOps(
        list=_list_schedules,
        read=mapping.schedule_live,
        build=lambda name, essence, _secrets, tags: mapping.schedule_entity(name, essence, tags),
        write=lambda ml, entity: ml.schedules.begin_create_or_update(entity).result(),
        delete=lambda ml, name: ml.schedules.begin_delete(name).result(),
    ),
}


class AzureWorkspace:
    """Implements `reconciler.providers.base.Workspace` on an azure-ai-ml ``MLClient``."""

    def __init__(
        self,
        subscription_id: str,
        resource_group: str,
        workspace_name: str,
        *,
        credential: Any,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        from azure.ai.ml import MLClient

        _quiet_sdk()
        self.target = Target(subscription_id, resource_group, workspace_name)
        self.client = MLClient(
            credential,
            subscription_id=subscription_id,
            resource_group_name=resource_group,
            workspace_name=workspace_name,
            enable_telemetry=False,
        )
        self.poll_seconds = poll_seconds
        self._credential = credential

    def describe(self) -> str:
        t = self.target
        return f"azureml:{t.subscription_id}/{t.resource_group}/{t.workspace}"

    def _call(self, what: str, func: Callable[[], Any]) -> Any:
        return call(what, self.target, func)

    def _ops(self, kind: Kind) -> _KindOps:
        ops = _KINDS.get(kind)
        if ops is None:
            raise ProviderError(f"cannot write or delete a {kind} directly")
        return ops

    # --- reads -------------------------------------------------------------------------------

    def list_resources(self, kind: Kind) -> list[LiveResource]:
        ops = _KINDS.get(kind)
        if ops is None:
            return []
        items = self._call(f"list {kind}s", lambda: list(ops.list(self.client)))
        return [r for r in (ops.read(item) for item in items) if r is not None]

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        wanted = sorted(set(names))
        if not wanted:
            return []
        jobs = self._import_jobs(set(wanted))
        with ThreadPoolExecutor(max_workers=READ_PARALLELISM) as pool:
            versions = list(pool.map(self._versions, wanted))
        assets = []
        for name, found in zip(wanted, versions, strict=True):
            asset_jobs = tuple(sorted(jobs.get(name, []), key=lambda j: (j.started_at, j.id)))
            resolved = with_job_definitions(tuple(found), asset_jobs)
            if resolved or asset_jobs:
                assets.append(LiveAsset(name, resolved, asset_jobs))
        return assets

    def _versions(self, name: str) -> list[AssetVersion]:
        from azure.core.exceptions import ResourceNotFoundError

        def read() -> list[Any]:
            try:
                return list(self.client.data.list(name=name))
            except ResourceNotFoundError:
                return []

        return [_version(d) for d in self._call(f"list versions of data asset {name}", read)]

    def _import_jobs(self, names: set[str]) -> dict[str, list[ImportJob]]:
        items = self._call(
            "list import jobs", lambda: list(self.client.jobs.list(job_type="Pipeline"))
        )
        jobs: dict[str, list[ImportJob]] = {}
        for job in items:
            properties = dict(getattr(job, "properties", None) or {})
            asset = properties.get(MATERIALIZATION_ASSET_PROPERTY)
            if asset in names:
                jobs.setdefault(asset, []).append(_job(job, asset))
        return jobs

    def list_imported_assets(self, owner: str) -> list[str]:
        """Assets named by import jobs tagged with ``owner``, less the archived ones."""
        jobs = self._call(
            "list import jobs", lambda: list(self.client.jobs.list(job_type="Pipeline"))
        )
        names = {
            str((getattr(job, "properties", None) or {}).get(MATERIALIZATION_ASSET_PROPERTY))
            for job in jobs
            if (getattr(job, "tags", None) or {}).get(OWNER_TAG) == owner
        }
        names.discard("None")
        if not names:
            return []
        active = self._call("list data assets", lambda: {d.name for d in self.client.data.list()})
        return sorted(names & active)

    # --- writes ------------------------------------------------------------------------------

    def lock(self, holder: str, timeout: float) -> AbstractContextManager[None]:
        """A lease on a blob in the default datastore's container (see `lock.blob_lease`)."""
        store = self._call("read the default datastore", self.client.datastores.get_default)
        url = account_url(
            str(store.account_name), store.endpoint or "core.windows.net", store.protocol or ""
        )
        container = str(getattr(store, "container_name", "") or "azureml")
        return blob_lease(url, container, self._credential, holder, timeout)

    def put(
        self,
        kind: Kind,
        name: str,
        essence: Any,
        secrets: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> None:
        ops = self._ops(kind)
        entity = ops.build(name, essence, secrets, tags)
        self._call(f"write {kind} {name}", lambda: ops.write(self.client, entity))

    def delete(self, kind: Kind, name: str) -> None:
        ops = self._ops(kind)
        self._call(f"delete {kind} {name}", lambda: ops.delete(self.client, name))

    def archive_asset(self, name: str) -> None:
        self._call(f"archive data asset {name}", lambda: self.client.data.archive(name))

    def materialize(
        self,
        name: str,
        version: str,
        essence: ImportEssence,
        progress: Progress | None = None,
        *,
        tags: Mapping[str, str] | None = None,
    ) -> ImportJob:
        definition = essence.definition
        request = mapping.data_import(
            name,
            definition,
            version=version,
            description=essence.description,
            tags={**essence.tags, **dict(tags or {})},
            properties={
                FINGERPRINT_PROPERTY: essence.fingerprint,
                DEFINITION_PROPERTY: json.dumps(definition.to_dict(), sort_keys=True),
                VERSION_PROPERTY: version,
            },
        )
        job = self._call(
            f"submit the import of {name}", lambda: self.client.data.import_data(request)
        )
        job_name = str(job.name)
        while True:
            current = _job(job, name)
            if not current.active:
                return current
            time.sleep(self.poll_seconds)
            job = self._call(f"read import job {job_name}", lambda: self.client.jobs.get(job_name))

    def update_asset_metadata(
        self, name: str, version: str, description: str | None, tags: Mapping[str, str]
    ) -> None:
        """Read the version's REST body and write it back with new metadata: the SDK's
        ``data.create_or_update`` would first read the MLTable file from storage (84 s to fail
        with no route to the account) to validate a path that is not changing."""
        operations = self.client.data
        scope = {
            "resource_group_name": self.target.resource_group,
            "workspace_name": self.target.workspace,
        }

        def write() -> None:
            body = operations._operation.get(name=name, version=version, **scope)
            kept = {
                k: v
                for k, v in (body.properties.tags or {}).items()
                if k.startswith("reconciler.") or k == "managed-by"
            }
            body.properties.description = description
            body.properties.tags = {**dict(tags), **kept}
            operations._operation.create_or_update(name=name, version=version, body=body, **scope)

        self._call(f"update data asset {name}:{version}", write)

    def data_folder(self, name: str, version: str) -> Path:
        raise ProviderError(
            f"reconcile show reads data from the embedded workspace only; for {name}:{version} "
            "in Azure ML use the studio's data preview or `az ml data show`"
        )


def _version(data: Any) -> AssetVersion:
    tags = split_tags(dict(data.tags or {}))
    properties = dict(getattr(data, "properties", None) or {})
    return AssetVersion(
        version=str(data.version),
        path=normalise_datastore_path(str(data.path)) or str(data.path),
        fingerprint=properties.get(FINGERPRINT_PROPERTY),
        description=data.description or None,
        tags=tags.user,
        managed=tags.managed,
        created_at=str(getattr(getattr(data, "creation_context", None), "created_at", "") or ""),
        definition=stored_definition(properties.get(DEFINITION_PROPERTY)),
        provenance=tags.provenance,
    )


def _job(job: Any, asset: str) -> ImportJob:
    properties = dict(getattr(job, "properties", None) or {})
    raw = getattr(job.status, "value", job.status)  # JobStatus is a (str, Enum)
    status = str(raw or "Running")
    status = _DONE.get(status) or _FAILED_LIKE.get(status) or "Running"
    version = properties.get(VERSION_PROPERTY) or _sink_version(job) or ""
    context = getattr(job, "creation_context", None)
    error = None
    if status in ("Failed", "Canceled"):
        error = (
            properties.get("azureml.error")
            or properties.get("emulator.error")
            or f"the import job ended {status.lower()}"
        )
    return ImportJob(
        id=str(job.name),
        asset=asset,
        version=str(version),
        fingerprint=properties.get(FINGERPRINT_PROPERTY),
        status=job_status(status),
        started_at=str(getattr(context, "created_at", "") or ""),
        error=error,
        definition=stored_definition(properties.get(DEFINITION_PROPERTY)),
    )


def _sink_version(job: Any) -> str | None:
    for child in (getattr(job, "jobs", None) or {}).values():
        sink = (getattr(child, "outputs", None) or {}).get("sink")
        version = getattr(sink, "version", None)
        if version:
            return str(version)
    return None
