"""Azure ML through azure-ai-ml: the same `Workspace` contract as the embedded workspace.

Each resource kind has one row in `_KINDS`: how to list, build, write and delete it; imports are
submitted and followed to their end by `submission`. Reads make one list per kind, following
``nextLink`` pages (connections and datastores as JSON, see `reads`; the planner reads the kinds
concurrently), read the declared data assets' version lists in parallel, and find import runs
with one ``jobs.list`` that the service filters on the property every import run carries
(``properties=azureml.materializationAssetName``: reconciler's, and those made outside it, such
as the run that made an adopted import's version), so a workspace's other pipeline jobs, however
many, cost nothing (``data.list_materialization_status`` is broken in
1.35).

The service registers an import's data version itself, with none of the import's description,
tags or properties. So the import's job carries reconciler's fingerprint and definition, and
once the job completes the provider writes the version's description and tags (reconciler's
ownership tags and the fingerprint among them). The credential is handed in by the caller.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from reconciler.core.errors import ProviderError, ReconcileError
from reconciler.core.essences import (
    AnyEssence,
    AutoDelete,
    ConnectionEssence,
    DatastoreEssence,
    ImportDefinition,
    ImportEssence,
    Kind,
    ScheduleEssence,
    narrow,
)
from reconciler.core.live import (
    AssetVersion,
    DataLocation,
    ImportJob,
    JobStatus,
    LiveAsset,
    LiveResource,
    with_job_definitions,
)
from reconciler.core.tags import released
from reconciler.core.vocabulary import (
    FINGERPRINT_PROPERTY,
    MOVED_FROM_TAG,
    MOVED_TO_TAG,
)
from reconciler.core.workspace import LockGuard, Progress
from reconciler.providers.azureml import mapping
from reconciler.providers.azureml.client import Fence, ml_client
from reconciler.providers.azureml.errors import Target, call
from reconciler.providers.azureml.labels import write_metadata
from reconciler.providers.azureml.lock import account_url, blob_lease
from reconciler.providers.azureml.reads import ImportRun, RestReader
from reconciler.providers.azureml.submission import Submission

READ_PARALLELISM = 32  # concurrent version lists; each is one short request
DEFAULT_POLL_SECONDS = 5.0


def _list_schedules(workspace: AzureWorkspace) -> list[LiveResource]:
    from azure.ai.ml._restclient.arm_ml_service.models import ScheduleListViewType

    found = workspace.client.schedules.list(list_view_type=ScheduleListViewType.ALL)
    return [r for r in map(mapping.schedule_live, found) if r is not None]


@dataclass(frozen=True)
class _KindOps:
    """What the provider does with one kind of resource."""

    list: Callable[[AzureWorkspace], list[LiveResource]]  # JSON (`reads`) or SDK entities
    build: Callable[[str, AnyEssence, Mapping[str, str], Mapping[str, str]], Any]
    write: Callable[[Any, Any], Any]
    delete: Callable[[Any, str], Any]


def _quiet_polling() -> Any:
    """azure-core's ARM poller: the SDK's own (AzureMLPolling) prints a dot to stdout on every
    poll, which would land in a plan's or an apply's output. The schedule operations are called
    on the SDK's service client with this poller instead (nothing of the SDK is patched)."""
    from azure.mgmt.core.polling.arm_polling import ARMPolling

    return ARMPolling(float(os.environ.get("RECONCILER_AZURE_POLL_SECONDS") or 5))


def _write_schedule(ml: Any, entity: Any) -> Any:
    poller = ml.schedules.service_client.begin_create_or_update(
        resource_group_name=ml.resource_group_name,
        workspace_name=ml.workspace_name,
        name=entity.name,
        body=entity._to_rest_object(),
        polling=_quiet_polling(),
    )
    return poller.result()


def _delete_schedule(ml: Any, name: str) -> Any:
    poller = ml.schedules.service_client.begin_delete(
        resource_group_name=ml.resource_group_name,
        workspace_name=ml.workspace_name,
        name=name,
        polling=_quiet_polling(),
    )
    return poller.result()


_KINDS: Mapping[Kind, _KindOps] = {
    Kind.CONNECTION: _KindOps(
        list=lambda workspace: workspace.rest.connections(),
        build=lambda name, essence, secrets, tags: mapping.connection_entity(
            name, narrow(essence, ConnectionEssence), secrets, tags
        ),
        write=lambda ml, entity: ml.connections.create_or_update(entity),
        delete=lambda ml, name: ml.connections.delete(name),
    ),
    Kind.DATASTORE: _KindOps(
        list=lambda workspace: workspace.rest.datastores(),
        build=lambda name, essence, secrets, tags: mapping.datastore_entity(
            name, narrow(essence, DatastoreEssence), secrets, tags
        ),
        write=lambda ml, entity: ml.datastores.create_or_update(entity),
        delete=lambda ml, name: ml.datastores.delete(name),
    ),
    Kind.SCHEDULE: _KindOps(
        list=_list_schedules,
        build=lambda name, essence, _secrets, tags: mapping.schedule_entity(
            name, narrow(essence, ScheduleEssence), tags
        ),
        write=lambda ml, entity: _write_schedule(ml, entity),
        delete=lambda ml, name: _delete_schedule(ml, name),
    ),
}


def _forget_connection(workspace: AzureWorkspace, name: str) -> None:
    """Its REST body with its secrets (``listsecrets``, as ``connections.get`` with secrets
    reads them), written back without reconciler's metadata: the secrets stay as they are."""
    operations = workspace.client.connections._operation
    body = operations.list_secrets(connection_name=name, **workspace._scope())
    body.properties.metadata = released(body.properties.metadata)
    operations.create(connection_name=name, body=body, **workspace._scope())


def _forget_datastore(workspace: AzureWorkspace, name: str) -> None:
    entity = workspace.client.datastores.get(name, include_secrets=True)
    entity.tags = released(entity.tags)
    workspace.client.datastores.create_or_update(entity)


def _forget_schedule(workspace: AzureWorkspace, name: str) -> None:
    entity = workspace.client.schedules.get(name)
    entity.tags = released(entity.tags)
    _write_schedule(workspace.client, entity)


_FORGET: Mapping[Kind, Callable[[AzureWorkspace, str], None]] = {
    Kind.CONNECTION: _forget_connection,
    Kind.DATASTORE: _forget_datastore,
    Kind.SCHEDULE: _forget_schedule,
}


class AzureWorkspace:
    """Implements `reconciler.core.workspace.Workspace` on an azure-ai-ml ``MLClient``."""

    def __init__(
        self,
        subscription_id: str,
        resource_group: str,
        workspace_name: str,
        *,
        credential: Any,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        self.target = Target(subscription_id, resource_group, workspace_name)
        self._fence = Fence()
        self.client = ml_client(
            credential,
            subscription_id,
            resource_group,
            workspace_name,
            READ_PARALLELISM,
            self._fence,
        )
        self.poll_seconds = poll_seconds
        self._credential = credential
        workspace_path = (
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace_name}"
        )
        self.rest: RestReader = RestReader(self.client, workspace_path)
        self._reads_lock = threading.Lock()
        self._reads: dict[str, Future[Any]] = {}

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
        found: list[LiveResource] = self._call(f"list {kind}s", lambda: ops.list(self))
        return found

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        """Versions and import runs of the declared assets: one import-run list the service
        filters and one version list per asset (the service has no list of versions across
        assets), all at once, so the time is one page chain, not one round trip per asset."""
        wanted = sorted(set(names))
        if not wanted:
            return []
        with ThreadPoolExecutor(max_workers=READ_PARALLELISM) as pool:
            runs = pool.submit(self._import_runs)
            archived = pool.submit(self._archived_names)
            versions = list(pool.map(self._versions, wanted))
            jobs: dict[str, list[ImportJob]] = {}
            for run in runs.result():
                jobs.setdefault(run.asset, []).append(run.job)
            archived_names = archived.result()
        assets = []
        for name, found in zip(wanted, versions, strict=True):
            asset_jobs = tuple(sorted(jobs.get(name, []), key=lambda j: (j.started_at, j.id)))
            resolved = with_job_definitions(tuple(found), asset_jobs)
            if resolved or asset_jobs:
                hidden = name in archived_names
                assets.append(LiveAsset(name, resolved, asset_jobs, hidden))
        return self._with_foreign_definitions(assets)

    def _with_foreign_definitions(self, assets: list[LiveAsset]) -> list[LiveAsset]:
        """A latest version no reconciler run made (plain SDK code, the studio) takes the
        definition of the import run that made it, so adopting it plans no new import. Read
        only when such a version exists: the service filters the runs to import runs."""
        bare = [
            a
            for a in assets
            if (latest := a.latest_version()) and not latest.fingerprint and not latest.definition
        ]
        if not bare:
            return assets
        definitions = self._call("list import runs", self.rest.import_definitions)
        out = []
        for asset in assets:
            latest = asset.latest_version()
            definition = definitions.get(asset.name)
            if asset in bare and latest is not None and definition is not None:
                versions = tuple(
                    replace(v, definition=definition) if v is latest else v for v in asset.versions
                )
                asset = replace(asset, versions=versions)
            out.append(asset)
        return out

    def _versions(self, name: str, view: str = "ActiveOnly") -> list[AssetVersion]:
        found: list[AssetVersion] = self._call(
            f"list versions of data asset {name}", lambda: self.rest.versions(name, view)
        )
        return found

    def list_other_data(self, exclude: Iterable[str]) -> list[DataLocation]:
        """The import runs (filtered by the service, and read by `list_assets` at the same
        time), the data assets' names (one list, paged), and a version list for each asset
        not in ``exclude``, in parallel: on a workspace holding only the declared assets, the
        names are the only requests added."""
        skip = set(exclude)
        with ThreadPoolExecutor(max_workers=READ_PARALLELISM) as pool:
            runs = pool.submit(self._import_runs)
            archived = pool.submit(self._archived_names)
            active = self._call("list data assets", lambda: self.rest.asset_names("ActiveOnly"))
            names = sorted((set(active) | archived.result()) - skip)
            versions = list(pool.map(lambda name: self._versions(name, "All"), names))
            found = [
                DataLocation(name, v.version, v.path)
                for name, listed in zip(names, versions, strict=True)
                for v in listed
            ]
            found += [
                DataLocation(run.asset, run.job.version, run.job.output, running=True)
                for run in runs.result()
                if run.asset not in skip and run.job.active and run.job.output
            ]
        return found

    def list_import_definitions(self) -> dict[str, ImportDefinition]:
        found: dict[str, ImportDefinition] = self._call(
            "list import runs", self.rest.import_definitions
        )
        archived = self._archived_names()
        return {name: d for name, d in found.items() if name not in archived}

    def list_imported_assets(self, owner: str) -> list[str]:
        """Assets named by ``owner``'s import runs, less the archived ones (as the embedded
        workspace answers): the import runs (the list `list_assets` reads too) and the archived
        assets, both lists the service filters, read at once."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            archived = pool.submit(self._archived_names)
            names = {run.asset for run in self._import_runs() if run.job.owner == owner}
            return sorted(names - archived.result())

    def _import_runs(self) -> list[ImportRun]:
        runs: list[ImportRun] = self._shared("list import jobs", self.rest.import_runs)
        return runs

    def _archived_names(self) -> set[str]:
        read = partial(self.rest.asset_names, "ArchivedOnly")
        return set(self._shared("list archived data assets", read))

    def _shared(self, what: str, read: Callable[[], Any]) -> Any:
        """``read()``, once for the callers that ask at the same time (a plan's `list_assets`
        and `list_imported_assets` run together and both need the import runs and the archived
        assets); a later call reads afresh."""
        with self._reads_lock:
            reading = self._reads.get(what)
            first = reading is None
            if reading is None:
                reading = self._reads[what] = Future()
        if not first:
            return reading.result()
        try:
            found = self._call(what, read)
            reading.set_result(found)
            return found
        except BaseException as exc:
            reading.set_exception(exc)
            raise
        finally:
            with self._reads_lock:
                del self._reads[what]

    def stored_secret_key(self) -> bytes | None:
        raise ReconcileError(
            "an Azure ML workspace needs settings.secret_key to compare secrets: reconciler "
            "keeps nothing there that only the applier can read (Reader sees every tag)",
            hint="add `settings: {secret_key: ${env:RECONCILER_HMAC_KEY}}` to the environment "
            "file, put a key (`openssl rand -hex 32`) in the applier's secret store, and pass "
            "it to the apply job; plans made with --no-secrets need no key",
        )

    # --- writes ------------------------------------------------------------------------------

    def new_secret_key(self) -> bytes:
        key = self.stored_secret_key()
        assert key is not None  # unreachable: raises
        return key

    @contextmanager
    def lock(self, holder: str, timeout: float) -> Iterator[LockGuard]:
        """A lease on a blob in the default datastore's container (see `lock.blob_lease`);
        while it is held, every write this client sends checks it first."""
        store = self._call("read the default datastore", self.client.datastores.get_default)
        url = account_url(
            str(store.account_name), store.endpoint or "core.windows.net", store.protocol or ""
        )
        container = str(getattr(store, "container_name", "") or "azureml")
        with blob_lease(url, container, self._credential, holder, timeout) as guard:
            self._fence.guard = guard
            try:
                yield guard
            finally:
                self._fence.guard = None

    def put(
        self,
        kind: Kind,
        name: str,
        essence: AnyEssence,
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

    def restore_asset(self, name: str) -> None:
        self._call(f"restore data asset {name}", lambda: self.client.data.restore(name))

    def materialize(
        self,
        name: str,
        version: str,
        essence: ImportEssence,
        progress: Progress | None = None,
        *,
        tags: Mapping[str, str] | None = None,
    ) -> ImportJob:
        submission = Submission(self.client, self._call, self.poll_seconds)
        current = submission.run(name, version, essence, dict(tags or {}))
        if current.status is JobStatus.COMPLETED:  # registered bare by the service: label it
            labels = {**essence.tags, **dict(tags or {}), FINGERPRINT_PROPERTY: essence.fingerprint}
            auto_delete = essence.auto_delete_setting  # the SDK refuses it on an import's job
            self._call(
                f"label data asset {name}:{version}",
                partial(
                    write_metadata, self.client, self._scope(), name, version,
                    essence.description, labels, None, auto_delete,
                ),
            )  # fmt: skip
        return current

    def update_asset_metadata(
        self,
        name: str,
        version: str,
        description: str | None,
        tags: Mapping[str, str],
        *,
        definition: ImportEssence | None = None,
        auto_delete: AutoDelete | None = None,
    ) -> None:
        keep = None if definition is None else {FINGERPRINT_PROPERTY: definition.fingerprint}
        self._call(
            f"update data asset {name}:{version}",
            partial(
                write_metadata, self.client, self._scope(), name, version, description, tags,
                keep, auto_delete,
            ),
        )  # fmt: skip

    def share_versions(self, source: str, name: str) -> None:
        """Each version's REST body, read and written back under ``name``: the same ``dataUri``
        (the SDK's ``data.create_or_update`` would read an MLTable from storage first)."""
        registered = {v.version for v in self._versions(name, "All")}
        for version in self._versions(source, "All"):
            if version.version not in registered:
                self._call(
                    f"register data asset {name}:{version.version}",
                    partial(self._share, source, name, version.version),
                )
            self._call(
                f"tag data asset {source}:{version.version}",
                partial(self._retag, source, version.version, lambda t: {**t, MOVED_TO_TAG: name}),
            )

    def _share(self, source: str, name: str, version: str) -> None:
        body = self.client.data._operation.get(name=source, version=version, **self._scope())
        tags = {k: v for k, v in (body.properties.tags or {}).items() if k != MOVED_TO_TAG}
        body.properties.tags = {**tags, MOVED_FROM_TAG: source}
        self.client.data._operation.create_or_update(
            name=name, version=version, body=body, **self._scope()
        )

    def _retag(
        self, name: str, version: str, change: Callable[[dict[str, str]], dict[str, str]]
    ) -> None:
        operations = self.client.data._operation
        body = operations.get(name=name, version=version, **self._scope())
        body.properties.tags = change(dict(body.properties.tags or {}))
        operations.create_or_update(name=name, version=version, body=body, **self._scope())

    def forget(self, kind: Kind, name: str) -> None:
        self._call(f"stop managing {kind} {name}", partial(_FORGET[kind], self, name))

    def forget_asset(self, name: str) -> None:
        for version in self._versions(name, "All"):
            self._call(
                f"stop managing data asset {name}:{version.version}",
                partial(self._retag, name, version.version, released),
            )

    def _scope(self) -> dict[str, str]:
        return {
            "resource_group_name": self.target.resource_group,
            "workspace_name": self.target.workspace,
        }

    def data_folder(self, name: str, version: str) -> Path:
        raise ProviderError(
            f"reconcile show reads data from the embedded workspace only; for {name}:{version} "
            "in Azure ML use the studio's data preview or `az ml data show`"
        )
