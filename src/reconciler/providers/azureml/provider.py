"""Azure ML: the same `Workspace` contract as the embedded workspace.

Each resource kind has one row in `_KINDS`: how to list, build, write and delete it; imports are
submitted and followed to their end by `submission`. Reads are JSON through azure-ai-ml's
management pipeline without azure-ai-ml (`arm`, `reads`): one list per kind, following
``nextLink`` pages (the planner reads the kinds concurrently); data assets off the containers'
list and the import runs (`assets`), which one ``jobs.list`` finds, filtered by the service on
the property every import run carries (``properties=azureml.materializationAssetName``:
reconciler's, and those made outside it, such as the run that made an adopted import's version),
so a workspace's other pipeline jobs, however many, cost nothing
(``data.list_materialization_status`` is broken in 1.35). Writes go through an azure-ai-ml
``MLClient``, made by the first of them.

The service registers an import's data version itself, with none of the import's description,
tags or properties. So the import's job carries reconciler's fingerprint and definition, and
once the job completes the provider writes the version's description and tags (reconciler's
ownership tags and the fingerprint among them), and copies them onto the asset's container
(`containers`). The credential is handed in by the caller.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reconciler.core.consumers import LiveConsumers
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
    DataLocation,
    ImportJob,
    JobStatus,
    LiveAsset,
    LiveResource,
    auto_delete_wire,
)
from reconciler.core.tags import released
from reconciler.core.vocabulary import (
    FINGERPRINT_PROPERTY,
    MOVED_FROM_TAG,
    MOVED_TO_TAG,
)
from reconciler.core.workspace import LockGuard, Progress
from reconciler.providers.azureml import mapping
from reconciler.providers.azureml.arm import arm_client
from reconciler.providers.azureml.assets import READ_PARALLELISM, AssetReads
from reconciler.providers.azureml.client import Fence, ml_client, transport
from reconciler.providers.azureml.connections import connection_body
from reconciler.providers.azureml.consumers import ConsumerReader
from reconciler.providers.azureml.containers import write_latest
from reconciler.providers.azureml.errors import Target, call
from reconciler.providers.azureml.labels import write_metadata
from reconciler.providers.azureml.lock import account_url, blob_lease
from reconciler.providers.azureml.reads import AUTO_DELETE_FIELD, RestReader
from reconciler.providers.azureml.submission import Submission

DEFAULT_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class _KindOps:
    """What the provider does with one kind of resource."""

    list: Callable[[AzureWorkspace], list[LiveResource]]  # as JSON (`reads`)
    build: Callable[[str, AnyEssence, Mapping[str, str], Mapping[str, str]], Any]
    write: Callable[[AzureWorkspace, str, Any], Any]  # (workspace, name, what build made)
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
        build=lambda _name, essence, secrets, tags: connection_body(
            narrow(essence, ConnectionEssence), secrets, tags
        ),
        write=lambda workspace, name, body: workspace.rest.put(
            f"/connections/{quote(name, safe='')}",
            {"api-version": workspace.rest.connections_api},
            body,
        ),
        delete=lambda ml, name: ml.connections.delete(name),
    ),
    Kind.DATASTORE: _KindOps(
        list=lambda workspace: workspace.rest.datastores(),
        build=lambda name, essence, secrets, tags: mapping.datastore_entity(
            name, narrow(essence, DatastoreEssence), secrets, tags
        ),
        write=lambda workspace, _name, entity: workspace.client.datastores.create_or_update(entity),
        delete=lambda ml, name: ml.datastores.delete(name),
    ),
    Kind.SCHEDULE: _KindOps(
        list=lambda workspace: workspace.rest.schedules(),
        build=lambda name, essence, _secrets, tags: mapping.schedule_entity(
            name, narrow(essence, ScheduleEssence), tags
        ),
        write=lambda workspace, _name, entity: _write_schedule(workspace.client, entity),
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
    """Implements `reconciler.core.workspace.Workspace`: reads as JSON through azure-ai-ml's
    management pipeline (`arm`, `reads`), writes with an azure-ai-ml ``MLClient`` made when the
    first write needs it (importing azure-ai-ml costs seconds a plan does not spend)."""

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
        self.poll_seconds = poll_seconds
        self._credential = credential
        self._fence = Fence()  # every write asks the apply lock's guard, when one is held
        self._transport = transport(READ_PARALLELISM, self._fence)
        self._client: Any = None
        self._client_lock = threading.Lock()
        workspace_path = (
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace_name}"
        )
        reader = arm_client(credential, self._transport)
        self.rest: RestReader = RestReader(reader, workspace_path)
        self.assets = AssetReads(self.rest, self._call)
        self.consumers = ConsumerReader(reader, workspace_path, self._call)

    @property
    def client(self) -> Any:
        """The azure-ai-ml ``MLClient`` that writes (over the same connections as the reads)."""
        with self._client_lock:
            if self._client is None:
                t = self.target
                self._client = ml_client(
                    self._credential,
                    t.subscription_id,
                    t.resource_group,
                    t.workspace,
                    self._transport,
                )
            return self._client

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

    def summarize_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        return self.assets.summarize_assets(names)

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        return self.assets.list_assets(names)

    def list_other_data(self, exclude: Iterable[str]) -> list[DataLocation]:
        return self.assets.list_other_data(exclude)

    def list_consumers(self, since: datetime, limit: int) -> LiveConsumers:
        """Every schedule and the recent jobs (see `consumers`)."""
        return self.consumers.list_consumers(since, limit)

    def list_import_definitions(self) -> dict[str, ImportDefinition]:
        return self.assets.list_import_definitions()

    def list_imported_assets(self, owner: str) -> list[str]:
        return self.assets.list_imported_assets(owner)

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
        self._call(f"write {kind} {name}", lambda: ops.write(self, name, entity))

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
                partial(self._label, name, version, essence.description, labels, None, auto_delete),
            )
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
            partial(self._label, name, version, description, tags, keep, auto_delete),
        )

    def _label(
        self,
        name: str,
        version: str,
        description: str | None,
        tags: Mapping[str, str],
        keep: Mapping[str, str] | None,
        auto_delete: AutoDelete | None,
    ) -> None:
        """A version's metadata (`labels`), then its container's copy (`containers`)."""
        written = write_metadata(
            self.client, self._scope(), name, version, description, tags, keep, auto_delete
        )
        wire = auto_delete_wire(auto_delete) if auto_delete is not None else None
        self._write_latest(name, version, description, written, wire)

    def share_versions(self, source: str, name: str) -> None:
        """Each version's REST body, read and written back under ``name``: the same ``dataUri``
        (the SDK's ``data.create_or_update`` would read an MLTable from storage first)."""
        registered = {v.version for v in self.assets.versions(name, "All")}
        for version in self.assets.versions(source, "All"):
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
        self._written(name, version, body)

    def _retag(
        self, name: str, version: str, change: Callable[[dict[str, str]], dict[str, str]]
    ) -> None:
        operations = self.client.data._operation
        body = operations.get(name=name, version=version, **self._scope())
        body.properties.tags = change(dict(body.properties.tags or {}))
        operations.create_or_update(name=name, version=version, body=body, **self._scope())
        self._written(name, version, body)

    def forget(self, kind: Kind, name: str) -> None:
        self._call(f"stop managing {kind} {name}", partial(_FORGET[kind], self, name))

    def forget_asset(self, name: str) -> None:
        for version in self.assets.versions(name, "All"):
            self._call(
                f"stop managing data asset {name}:{version.version}",
                partial(self._retag, name, version.version, released),
            )

    def _written(self, name: str, version: str, body: Any) -> None:
        """A version's REST body was written back: its container's copy follows."""
        props = body.properties
        wire = props.get(AUTO_DELETE_FIELD)
        self._write_latest(name, version, props.description, props.tags, wire)

    def _write_latest(
        self, name: str, version: str, description: str | None, tags: Any, wire: Any
    ) -> None:
        """Every write of a version's metadata ends here (see `containers.write_latest`)."""
        scope = self._scope()
        write_latest(self.client, self.rest, scope, name, version, description, tags, wire)

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
