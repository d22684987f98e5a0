"""The embedded workspace as a provider: essences in, essences out, imports run for real.

Reads map store records to `LiveResource`/`LiveAsset`; writes keep secrets apart (write-only)
and tag what reconciler manages. Imports run through a pluggable `ImportRunner` into a staging
folder that is moved into place only on success; the data asset version is registered last,
so a failed or interrupted run leaves neither files nor a version behind.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from reconciler.errors import ImportFailed, ProviderError
from reconciler.imports.base import ImportRequest, ImportRunner
from reconciler.names import PathEscape, inside
from reconciler.providers.base import Progress
from reconciler.providers.local.store import JobRecord, Store, now
from reconciler.resources import (
    DEFINITION_FIELDS,
    DEFINITION_PROPERTY,
    FINGERPRINT_PROPERTY,
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    AssetVersion,
    ImportJob,
    Kind,
    LiveAsset,
    LiveResource,
    json_object,
    split_tags,
)

_ACTIVE = ("Preparing", "Running")
_SERVER_FIELDS = ("is_default",)


def _default_runner() -> ImportRunner:
    from reconciler.imports.database import DatabaseImportRunner  # heavy: only when importing

    return DatabaseImportRunner()


class LocalWorkspace:
    """Implements `reconciler.providers.base.Workspace` on a `Store`."""

    def __init__(
        self,
        root: Path,
        label: str | None = None,
        runner_factory: Callable[[], ImportRunner] = _default_runner,
    ) -> None:
        self.store = Store(root)
        self.root = root
        self._label = label or str(root)
        self._runner_factory = runner_factory
        self._runner: ImportRunner | None = None

    def describe(self) -> str:
        return f"local:{self._label}"

    def close(self) -> None:
        self.store.close()

    # --- reads -------------------------------------------------------------------------------

    def list_resources(self, kind: Kind) -> list[LiveResource]:
        return [
            self._live(kind, record.name, record.body, record.system)
            for record in self.store.list_objects(kind)
        ]

    @staticmethod
    def _live(kind: Kind, name: str, body: dict[str, Any], system: bool) -> LiveResource:
        spec = {k: v for k, v in body.items() if k not in _SERVER_FIELDS}
        user_tags, managed, hashes = split_tags(spec.get("tags"))
        spec["tags"] = user_tags
        return LiveResource(kind, name, spec, managed, system, hashes)

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        assets = []
        for name in names:
            versions = tuple(
                self._version(version, body, created)
                for version, body, created in self.store.list_versions(name)
            )
            jobs = tuple(self._job(record) for record in self.store.list_jobs(name))
            if versions or jobs:
                assets.append(LiveAsset(name, versions, jobs))
        return assets

    @staticmethod
    def _version(version: str, body: dict[str, Any], created: str) -> AssetVersion:
        user_tags, managed, _ = split_tags(body.get("tags"))
        return AssetVersion(
            version=version,
            path=body.get("path", ""),
            fingerprint=(body.get("properties") or {}).get(FINGERPRINT_PROPERTY),
            description=body.get("description"),
            tags=user_tags,
            managed=managed,
            created_at=created,
            definition=json_object((body.get("properties") or {}).get(DEFINITION_PROPERTY)),
        )

    def _job(self, record: JobRecord) -> ImportJob:
        status, error = record.status, record.error
        if status in _ACTIVE and record.pid and not _alive(record.pid):
            status, error = "Failed", "the import was interrupted (its process ended)"
            self.store.update_job(record.id, status=status, error=error, ended_at=now())
        return ImportJob(
            id=record.id,
            asset=record.asset,
            version=record.version,
            fingerprint=(record.body.get("properties") or {}).get(FINGERPRINT_PROPERTY),
            status=status,  # type: ignore[arg-type]
            started_at=record.started_at or "",
            ended_at=record.ended_at or "",
            rows=record.rows,
            error=error,
        )

    # --- writes ------------------------------------------------------------------------------

    def put(
        self,
        kind: Kind,
        name: str,
        spec: Mapping[str, Any],
        secrets: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> None:
        body = dict(spec)
        body["tags"] = {**dict(spec.get("tags") or {}), **tags}
        self.store.put(kind, name, body, dict(secrets))

    def delete(self, kind: Kind, name: str) -> None:
        self.store.delete(kind, name)

    def update_asset_metadata(
        self, name: str, version: str, description: str | None, tags: Mapping[str, str]
    ) -> None:
        current = {v: b for v, b, _ in self.store.list_versions(name)}.get(version)
        if current is None:
            raise ProviderError(f"data asset {name}:{version} does not exist")
        keep = {k: v for k, v in (current.get("tags") or {}).items() if k == MANAGED_BY_TAG}
        body = {**current, "description": description, "tags": {**dict(tags), **keep}}
        self.store.create_version(name, version, body)

    def materialize(
        self,
        name: str,
        version: str,
        spec: Mapping[str, Any],
        progress: Progress | None = None,
        *,
        job_id: str | None = None,
        job_extra: Mapping[str, Any] | None = None,
    ) -> ImportJob:
        """Run the import now, in this thread. ``job_id`` and ``job_extra`` (merged into the
        stored job body) let the Azure ML emulator run jobs that a client named and shaped."""
        job_id = job_id or f"import_{name}_{uuid.uuid4().hex[:10]}"
        definition = {k: spec[k] for k in DEFINITION_FIELDS}
        properties = {
            FINGERPRINT_PROPERTY: spec["fingerprint"],
            DEFINITION_PROPERTY: json.dumps(definition, sort_keys=True),
            "azureml.materializationAssetName": name,
        }
        job_body = {**dict(job_extra or {}), **definition, "properties": properties}
        self.store.create_job(job_id, name, version, job_body, os.getpid())
        datastore, folder = _split_path(spec["path"])
        self.store.update_job(job_id, status="Running", started_at=now())
        staging: Path | None = None
        try:
            # every write stays under the workspace folder, whatever a client sent
            final = _inside(self.root, "datastores", datastore, folder, version)
            staging = _inside(self.root, "staging", job_id)
            request = self._request(name, version, spec)
            staging.mkdir(parents=True)
            if self._runner is None:
                self._runner = self._runner_factory()
            result = self._runner.run(request, staging, progress)
            if final.exists():  # left by a run that died before registering: never registered
                shutil.rmtree(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(final)
            self.store.create_version(
                name,
                version,
                {
                    "path": f"azureml://datastores/{datastore}/paths/{folder}/{version}",
                    "type": spec["type"],
                    "description": spec.get("description"),
                    "tags": {**dict(spec.get("tags") or {}), MANAGED_BY_TAG: MANAGED_BY_VALUE},
                    "properties": {
                        **properties,
                        "reconciler.job": job_id,
                        "rows": str(result.rows),
                    },
                },
            )
        except ImportFailed as exc:
            return self._fail(job_id, staging, exc.message)
        except Exception as exc:  # a runner bug must still leave a Failed job, not a Running one
            return self._fail(job_id, staging, f"unexpected {type(exc).__name__} in the import")
        self.store.update_job(job_id, status="Completed", ended_at=now(), rows=result.rows)
        record = self.store.get_job(job_id)
        assert record is not None
        return self._job(record)

    def data_folder(self, name: str, version: str) -> Path:
        body = {v: b for v, b, _ in self.store.list_versions(name)}.get(version)
        if body is None:
            raise ProviderError(f"data asset {name} has no version {version}")
        datastore, folder = _split_path(body["path"])
        try:
            return _inside(self.root, "datastores", datastore, folder)
        except ImportFailed as exc:
            raise ProviderError(exc.message) from None

    def _fail(self, job_id: str, staging: Path | None, error: str) -> ImportJob:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        self.store.update_job(job_id, status="Failed", ended_at=now(), error=error)
        record = self.store.get_job(job_id)
        assert record is not None
        return self._job(record)

    def _request(self, name: str, version: str, spec: Mapping[str, Any]) -> ImportRequest:
        source = spec["source"]
        connection = self.store.get("connection", source["connection"])
        if connection is None:
            raise ImportFailed(f"import {name}: connection {source['connection']!r} not found")
        body = connection.body
        secrets = self.store.secrets("connection", source["connection"])
        credentials = {k: v for k, v in body.get("credentials", {}).items() if k != "type"}
        credentials.update({k.removeprefix("credentials."): v for k, v in secrets.items()})
        return ImportRequest(
            asset_name=name,
            version=version,
            source_type=source["type"],
            connection_name=source["connection"],
            connection_type=body["type"],
            connection_target=body["target"],
            credentials=credentials,
            asset_type=spec["type"],
            query=source.get("query"),
            path=source.get("path"),
        )


def _inside(root: Path, *parts: str) -> Path:
    try:
        return inside(root, *parts)
    except PathEscape as exc:
        raise ImportFailed(f"refused to write outside the workspace folder: {exc}") from None


def _split_path(uri: str) -> tuple[str, str]:
    rest = uri.removeprefix("azureml://datastores/")
    datastore, _, folder = rest.partition("/paths/")
    return datastore, folder.strip("/")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
