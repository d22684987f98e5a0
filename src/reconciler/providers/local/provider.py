"""The embedded workspace as a provider: essences in, essences out, imports run for real.

Reads map store records to `LiveResource`/`LiveAsset` and never write: a running job whose
heartbeat stopped is *seen* as interrupted, not recorded so. Writes keep secrets apart
(write-only) and tag what reconciler manages. Imports run through a pluggable `ImportRunner`
into a staging folder that is moved into place only on success; the data asset version is
registered last, so a failed or interrupted run leaves neither files nor a version behind (and
the next import clears what an interrupted one left in staging). Data never lands over data:
the version's folder is claimed right before the move (see `placement`).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from reconciler.core.consumers import LiveConsumers
from reconciler.core.errors import ImportFailed, LockLost, ProviderError
from reconciler.core.essences import (
    DEFINITION_FIELDS,
    AnyEssence,
    AutoDelete,
    ConnectionEssence,
    ImportDefinition,
    ImportEssence,
    Kind,
    parse_essence,
)
from reconciler.core.live import (
    AssetVersion,
    DataLocation,
    ImportedData,
    ImportJob,
    JobStatus,
    LiveAsset,
    LiveResource,
    auto_delete_of,
    auto_delete_wire,
    import_definitions,
    stored_definition,
    with_job_definitions,
)
from reconciler.core.names import DatastoreUri, PathEscape, inside
from reconciler.core.tags import released, split_tags
from reconciler.core.vocabulary import (
    DATA_TAGS,
    DEFINITION_PROPERTY,
    FINGERPRINT_PROPERTY,
    JOB_PROPERTY,
    MATERIALIZATION_ASSET_PROPERTY,
    MOVED_FROM_TAG,
    MOVED_TO_TAG,
    OWNER_TAG,
    ROWS_PROPERTY,
)
from reconciler.core.workspace import LockGuard, Progress
from reconciler.imports.base import ImportRunner, import_request
from reconciler.providers.local.consumers import REST, list_consumers
from reconciler.providers.local.jobs import OUTPUT_KEY, Heartbeat, job_from_record, staging_name
from reconciler.providers.local.lock import file_lock
from reconciler.providers.local.placement import claim, mark, refusal, unmark
from reconciler.providers.local.secretkey import new_key, stored_key
from reconciler.providers.local.store import AUTO_DELETE_KEY, JobRecord, Store, now


def _default_runner() -> ImportRunner:
    from reconciler.imports.runners import default_runner  # heavy: only when importing

    return default_runner()


class LocalWorkspace:
    """Implements `reconciler.core.workspace.Workspace` on a `Store`."""

    def __init__(
        self,
        root: Path,
        label: str | None = None,
        runner_factory: Callable[[], ImportRunner] = _default_runner,
        *,
        read_only: bool = False,
    ) -> None:
        self._read_only = read_only
        self.root = root
        self._label = label or str(root)
        self._runner_factory = runner_factory
        self._runner: ImportRunner | None = None
        self._guard: LockGuard | None = None  # while an apply holds the lock

    @cached_property
    def store(self) -> Store:
        """Opened (for writing: created) at first use, so that what is refused before the
        workspace is read or written (a plan for another workspace) creates nothing."""
        return Store(self.root, read_only=self._read_only)

    def describe(self) -> str:
        return f"local:{self._label}"

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    # --- reads -------------------------------------------------------------------------------

    def list_resources(self, kind: Kind) -> list[LiveResource]:
        """Job schedules (stored as their REST body) are not resources reconciler models."""
        return [
            live_resource(kind, record.name, record.body, record.system)
            for record in self.store.list_objects(kind)
            if REST not in record.body
        ]

    def summarize_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        return self.list_assets(names)  # every version is at hand

    def list_consumers(self, since: datetime, limit: int) -> LiveConsumers:
        return list_consumers(self.store, since, limit)

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        assets = []
        for name in names:
            versions = self._versions(name)
            jobs = tuple(job_from_record(record) for record in self.store.list_jobs(name))
            if versions or jobs:
                resolved = with_job_definitions(versions, jobs)
                assets.append(LiveAsset(name, resolved, jobs, self.store.is_archived(name)))
        return assets

    def _versions(self, name: str) -> tuple[AssetVersion, ...]:
        return tuple(
            _version(v, body, created) for v, body, created in self.store.list_versions(name)
        )

    def list_other_data(self, exclude: Iterable[str]) -> list[DataLocation]:
        skip = set(exclude)
        found = [
            DataLocation(asset, version, path)
            for asset, version, path in self.store.version_paths()
            if asset not in skip
        ]
        for record in self.store.find_jobs(imports_only=True):
            if record.asset in skip or not record.active or record.lease_expired():
                continue
            job = job_from_record(record)
            if job.output:
                found.append(DataLocation(job.asset, job.version, job.output, running=True))
        return found

    def list_imported_assets(self, owner: str) -> list[str]:
        names = {
            r.asset
            for r in self.store.list_jobs()
            if (r.body.get("properties") or {}).get(OWNER_TAG) == owner
        }
        return sorted(n for n in names if not self.store.is_archived(n))

    def list_import_definitions(self) -> dict[str, ImportDefinition]:
        made = [d for record in self.store.list_jobs() if (d := _imported(record))]  # oldest first
        ran = {data.asset for data in made}
        names = [n for n in self.store.list_asset_names() if n not in ran]
        archived = {n for n in (*ran, *names) if self.store.is_archived(n)}
        versions = {n: self._versions(n) for n in names if n not in archived}
        return import_definitions(made, versions, archived)

    def stored_secret_key(self) -> bytes | None:
        return stored_key(self.root)

    # --- writes ------------------------------------------------------------------------------

    def new_secret_key(self) -> bytes:
        self._fence()
        self.store  # noqa: B018 (the folder the key lives in exists once the store does)
        return new_key(self.root)

    @contextmanager
    def lock(self, holder: str, timeout: float) -> Iterator[LockGuard]:
        """The file lock (see `lock.file_lock`); while it is held, every write checks it."""
        self.store  # noqa: B018 (the folder the lock file lives in exists once the store does)
        with file_lock(self.root, holder, timeout) as guard:
            self._guard = guard
            try:
                yield guard
            finally:
                self._guard = None

    def _fence(self) -> None:
        """Before a write: is the apply lock (if one is held) still ours?"""
        if self._guard is not None:
            self._guard.check()

    def put(
        self,
        kind: Kind,
        name: str,
        essence: AnyEssence,
        secrets: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> None:
        self._fence()
        body = essence.to_dict()
        body["tags"] = {**dict(body.get("tags") or {}), **tags}
        self.store.put(kind, name, body, dict(secrets))

    def delete(self, kind: Kind, name: str) -> None:
        self._fence()
        self.store.delete(kind, name)

    def archive_asset(self, name: str) -> None:
        self._fence()
        self.store.set_archived(name, True)

    def restore_asset(self, name: str) -> None:
        self._fence()
        self.store.set_archived(name, False)

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
        self._fence()
        current = {v: b for v, b, _ in self.store.list_versions(name)}.get(version)
        if current is None:
            raise ProviderError(f"data asset {name}:{version} does not exist")
        keep = {k: v for k, v in (current.get("tags") or {}).items() if k in DATA_TAGS}
        body = {**current, "description": description, "tags": {**dict(tags), **keep}}
        if definition is not None:
            body["properties"] = {**(current.get("properties") or {}), **_recorded(definition)}
        body.pop(AUTO_DELETE_KEY, None)
        if auto_delete is not None:
            body[AUTO_DELETE_KEY] = auto_delete_wire(auto_delete)
        self.store.create_version(name, version, body)

    def share_versions(self, source: str, name: str) -> None:
        registered = {v for v, _, _ in self.store.list_versions(name)}
        for version, body, _ in self.store.list_versions(source):
            tags = dict(body.get("tags") or {})
            if version not in registered:
                moved = {**tags, MOVED_FROM_TAG: source}
                moved.pop(MOVED_TO_TAG, None)
                self.store.create_version(name, version, {**body, "tags": moved})
            if tags.get(MOVED_TO_TAG) != name:
                self.store.create_version(
                    source, version, {**body, "tags": {**tags, MOVED_TO_TAG: name}}
                )

    def forget(self, kind: Kind, name: str) -> None:
        record = self.store.get(kind, name)
        if record is None:
            raise ProviderError(f"{kind} {name!r} does not exist")
        body = {**record.body, "tags": released(record.body.get("tags"))}
        self.store.put(kind, name, body, self.store.secrets(kind, name))

    def forget_asset(self, name: str) -> None:
        for version, body, _ in self.store.list_versions(name):
            self.store.create_version(name, version, {**body, "tags": released(body.get("tags"))})

    def materialize(
        self,
        name: str,
        version: str,
        essence: ImportEssence,
        progress: Progress | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        job_id: str | None = None,
        job_extra: Mapping[str, Any] | None = None,
        version_properties: Mapping[str, str] | None = None,
        folder: str | None = None,
    ) -> ImportJob:
        """Run the import now, in this thread. ``job_id`` and ``job_extra`` (merged into the
        stored job body) let the Azure ML emulator run jobs that a client named and shaped;
        ``version_properties`` replace reconciler's own properties on the registered version
        (the emulator puts there only what the real service would); ``folder`` is where, under
        the import's path, the data lands (default: the version; the emulator passes the job's
        name, as the service resolves ``${{name}}``)."""
        self._fence()
        job_id = job_id or f"import_{name}_{uuid.uuid4().hex[:10]}"
        definition = essence.definition.to_dict()
        properties = {
            **_recorded(essence),
            MATERIALIZATION_ASSET_PROPERTY: name,
            **{k: v for k, v in (tags or {}).items() if k == OWNER_TAG},
        }
        target = _datastore_uri(essence.path)
        if folder is None:  # the managed datastore places each run in its job's own folder
            folder = job_id if target.service_placed else version
        target = target.joined(folder)
        output = str(target)
        job_body = {
            **dict(job_extra or {}),
            **definition,
            "properties": properties,
            OUTPUT_KEY: output,
        }
        self.store.create_job(job_id, name, version, job_body, os.getpid())
        self._sweep_staging()
        if self._registered(name, version):
            message = f"import {name}: version {version} already exists; versions are immutable"
            return self._fail(job_id, None, message)
        self.store.update_job(job_id, status=JobStatus.RUNNING, started_at=now())
        staging: Path | None = None
        beat = Heartbeat(self.store, job_id)
        try:
            # every write stays under the workspace folder, whatever a client sent
            final = _inside(self.root, "datastores", target.datastore, target.folder)
            staging = _inside(self.root, "staging", staging_name(job_id))
            connection, secrets = self._connection(name, essence)
            request = import_request(name, version, essence.definition, connection, secrets)
            staging.mkdir(parents=True)
            if self._runner is None:
                self._runner = self._runner_factory()
            with beat:
                result = self._runner.run(request, staging, progress)
            if self._registered(name, version):
                raise ImportFailed(
                    f"import {name}: version {version} was registered meanwhile (by another "
                    "run); versions are immutable, so this run's data was discarded"
                )
            self._fence()  # the import may have run for hours: is the lock still ours?
            mark(staging, job_id)  # moves with the data
            refused = f"import {name}: refused to write version {version}"
            claim(self.store, final, output, refused)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                staging.rename(final)
            except OSError:  # another run filled the folder since the check
                filled = refusal(refused, output, "was filled meanwhile")
                raise ImportFailed(filled) from None
            own = {
                **properties,
                JOB_PROPERTY: job_id,
                ROWS_PROPERTY: str(result.rows),
            }
            self.store.create_version(
                name,
                version,
                {
                    "path": output,
                    "type": essence.type,
                    "description": essence.description,
                    "tags": {**essence.tags, **dict(tags or {})},
                    "properties": dict(version_properties)
                    if version_properties is not None
                    else own,
                    **(
                        {AUTO_DELETE_KEY: auto_delete_wire(essence.auto_delete_setting)}
                        if essence.auto_delete_setting is not None
                        else {}
                    ),
                },
            )
            unmark(final)  # registered: no longer a leftover
        except ImportFailed as exc:
            return self._fail(job_id, staging, exc.message)
        except LockLost:  # write nothing more: the run reads as interrupted once its lease ends
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        except Exception as exc:  # a runner bug must still leave a Failed job, not a Running one
            return self._fail(job_id, staging, f"unexpected {type(exc).__name__} in the import")
        self.store.update_job(job_id, status=JobStatus.COMPLETED, ended_at=now(), rows=result.rows)
        record = self.store.get_job(job_id)
        assert record is not None
        return job_from_record(record)

    def data_folder(self, name: str, version: str) -> Path:
        body = {v: b for v, b, _ in self.store.list_versions(name)}.get(version)
        if body is None:
            raise ProviderError(f"data asset {name} has no version {version}")
        try:
            stored = _datastore_uri(body["path"])
            return inside(self.root, "datastores", stored.datastore, stored.folder)
        except (PathEscape, ImportFailed) as exc:
            raise ProviderError(str(exc)) from None

    def _fail(self, job_id: str, staging: Path | None, error: str) -> ImportJob:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        self.store.update_job(job_id, status=JobStatus.FAILED, ended_at=now(), error=error)
        record = self.store.get_job(job_id)
        assert record is not None
        return job_from_record(record)

    def _registered(self, name: str, version: str) -> bool:
        return any(v == version for v, _, _ in self.store.list_versions(name))

    def _sweep_staging(self) -> None:
        """Remove what interrupted imports left in staging (their jobs are no longer alive)."""
        folder = self.root / "staging"
        if not folder.is_dir():
            return
        alive = {
            staging_name(r.id) for r in self.store.list_jobs() if r.active and not r.lease_expired()
        }
        for leftover in folder.iterdir():
            if leftover.name not in alive:
                shutil.rmtree(leftover, ignore_errors=True)

    def _connection(
        self, name: str, essence: ImportEssence
    ) -> tuple[ConnectionEssence, dict[str, str]]:
        """The connection's essence and stored secrets, for the runner."""
        record = self.store.get("connection", essence.source.connection)
        if record is None:
            raise ImportFailed(f"import {name}: connection {essence.source.connection!r} not found")
        connection = parse_essence(Kind.CONNECTION, record.body)
        return connection, self.store.secrets("connection", essence.source.connection)


def _recorded(essence: ImportEssence) -> dict[str, str]:
    """What a version records of the definition it was made with."""
    definition = json.dumps(essence.definition.to_dict(), sort_keys=True)
    return {FINGERPRINT_PROPERTY: essence.fingerprint, DEFINITION_PROPERTY: definition}


def live_resource(kind: Kind, name: str, body: dict[str, Any], system: bool) -> LiveResource:
    tags = split_tags(body.get("tags"))
    essence = parse_essence(kind, {**body, "tags": tags.user})
    return LiveResource.read(kind, name, essence, tags, system)


def _imported(record: JobRecord) -> ImportedData | None:
    """What a completed import run made, its definition read off its body (the emulator's
    runs, submitted as the SDK shapes them, record no definition property)."""
    if record.status != JobStatus.COMPLETED:
        return None
    try:
        definition = ImportDefinition.model_validate({k: record.body[k] for k in DEFINITION_FIELDS})
    except (KeyError, ValueError):
        return None
    return ImportedData(record.asset, job_from_record(record).output, definition)


def _version(version: str, body: dict[str, Any], created: str) -> AssetVersion:
    tags = split_tags(body.get("tags"))
    properties = body.get("properties") or {}
    return AssetVersion(
        version=version,
        path=body.get("path", ""),
        fingerprint=properties.get(FINGERPRINT_PROPERTY),
        description=body.get("description"),
        tags=tags.user,
        managed=tags.managed,
        created_at=created,
        definition=stored_definition(properties.get(DEFINITION_PROPERTY)),
        provenance=tags.provenance,
        owner=tags.owner,
        prevent_destroy=tags.prevent_destroy,
        moved_from=(body.get("tags") or {}).get(MOVED_FROM_TAG),
        auto_delete=auto_delete_of(body.get(AUTO_DELETE_KEY)),
    )


def _inside(root: Path, *parts: str) -> Path:
    try:
        return inside(root, *parts)
    except PathEscape as exc:
        raise ImportFailed(f"refused to write outside the workspace folder: {exc}") from None


def _datastore_uri(uri: str) -> DatastoreUri:
    parsed = DatastoreUri.parse(uri)
    if parsed is None:
        raise ImportFailed(f"{uri} is not a datastore folder (azureml://datastores/<d>/paths/<p>)")
    return parsed
