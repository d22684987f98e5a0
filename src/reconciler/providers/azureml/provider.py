"""Azure ML through azure-ai-ml: the same `Workspace` contract as the embedded workspace.

Reads make one list call per kind (the SDK follows ``nextLink`` pages) and look data assets up
in bounded parallel; import runs are found with one ``jobs.list`` filtered on
``azureml.materializationAssetName`` (``data.list_materialization_status`` is broken in 1.35).
An import's fingerprint travels in its job's properties, so a version's definition is known
even though the service creates the version itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from reconciler.errors import ProviderError
from reconciler.names import normalise_datastore_path
from reconciler.providers.azureml import mapping
from reconciler.providers.azureml.errors import Target, call
from reconciler.providers.base import Progress
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

ASSET_PROPERTY = "azureml.materializationAssetName"
VERSION_PROPERTY = "reconciler.version"
_DONE = {"Completed": "Completed", "Failed": "Failed", "Canceled": "Canceled"}
_FAILED_LIKE = {"NotResponding": "Failed", "CancelRequested": "Canceled"}
READ_PARALLELISM = 8


def _quiet_sdk() -> None:
    """azure-ai-ml logs a warning for every experimental class it builds (DataImport,
    ImportDataSchedule): noise in a plan, so keep only its errors."""
    import logging

    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)


def credential() -> Any:
    """DefaultAzureCredential (az login, OIDC in CI, managed identity); ``emulator`` for ours."""
    if os.environ.get("RECONCILER_AZURE_CREDENTIAL") == "emulator":
        from reconciler.emulator.credential import FakeCredential

        return FakeCredential()
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(exclude_interactive_browser_credential=True)


class AzureWorkspace:
    """Implements `reconciler.providers.base.Workspace` on an azure-ai-ml ``MLClient``."""

    def __init__(self, subscription_id: str, resource_group: str, workspace_name: str) -> None:
        from azure.ai.ml import MLClient

        _quiet_sdk()
        self.target = Target(subscription_id, resource_group, workspace_name)
        self.client = MLClient(
            credential(),
            subscription_id=subscription_id,
            resource_group_name=resource_group,
            workspace_name=workspace_name,
            enable_telemetry=False,
        )
        self.poll_seconds = float(os.environ.get("RECONCILER_AZURE_POLL_SECONDS", "5"))

    def describe(self) -> str:
        t = self.target
        return f"azureml:{t.subscription_id}/{t.resource_group}/{t.workspace}"

    def _call(self, what: str, func: Any) -> Any:
        return call(what, self.target, func)

    # --- reads -------------------------------------------------------------------------------

    def list_resources(self, kind: Kind) -> list[LiveResource]:
        ml = self.client
        if kind == "connection":
            items = self._call("list connections", lambda: list(ml.connections.list()))
            return [mapping.connection_live(c) for c in items]
        if kind == "datastore":
            items = self._call("list datastores", lambda: list(ml.datastores.list()))
            return [mapping.datastore_live(d) for d in items]
        if kind == "schedule":
            from azure.ai.ml._restclient.arm_ml_service.models import ScheduleListViewType

            items = self._call(
                "list schedules",
                lambda: list(ml.schedules.list(list_view_type=ScheduleListViewType.ALL)),
            )
            return [s for s in (mapping.schedule_live(i) for i in items) if s is not None]
        return []

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
            by_version = {j.version: j for j in asset_jobs if j.status == "Completed"}
            resolved = tuple(_with_job_fingerprint(v, by_version.get(v.version)) for v in found)
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
            asset = properties.get(ASSET_PROPERTY)
            if asset in names:
                jobs.setdefault(asset, []).append(_job(job, asset))
        return jobs

    # --- writes ------------------------------------------------------------------------------

    def put(
        self,
        kind: Kind,
        name: str,
        spec: Mapping[str, Any],
        secrets: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> None:
        ml = self.client
        if kind == "connection":
            entity = mapping.connection_entity(name, spec, secrets, tags)
            self._call(f"write connection {name}", lambda: ml.connections.create_or_update(entity))
        elif kind == "datastore":
            entity = mapping.datastore_entity(name, spec, secrets, tags)
            self._call(f"write datastore {name}", lambda: ml.datastores.create_or_update(entity))
        elif kind == "schedule":
            entity = mapping.schedule_entity(name, spec, tags)
            self._call(
                f"write schedule {name}",
                lambda: ml.schedules.begin_create_or_update(entity).result(),
            )
        else:
            raise ProviderError(f"cannot write a {kind} directly")

    def delete(self, kind: Kind, name: str) -> None:
        ml = self.client
        if kind == "connection":
            self._call(f"delete connection {name}", lambda: ml.connections.delete(name))
        elif kind == "datastore":
            self._call(f"delete datastore {name}", lambda: ml.datastores.delete(name))
        elif kind == "schedule":
            self._call(f"delete schedule {name}", lambda: ml.schedules.begin_delete(name).result())
        else:
            raise ProviderError(f"cannot delete a {kind}")

    def materialize(
        self, name: str, version: str, spec: Mapping[str, Any], progress: Progress | None = None
    ) -> ImportJob:
        import json

        definition = {k: spec[k] for k in DEFINITION_FIELDS}
        request = mapping.data_import(
            name,
            definition,
            version=version,
            description=spec.get("description"),
            tags={**dict(spec.get("tags") or {}), MANAGED_BY_TAG: MANAGED_BY_VALUE},
            properties={
                FINGERPRINT_PROPERTY: spec["fingerprint"],
                DEFINITION_PROPERTY: json.dumps(definition, sort_keys=True),
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
        from azure.ai.ml.operations import _data_operations

        data = self._call(
            f"read data asset {name}:{version}", lambda: self.client.data.get(name, version)
        )
        data.description = description
        data.tags = {**dict(tags), MANAGED_BY_TAG: MANAGED_BY_VALUE}
        # The SDK would read the MLTable file from storage (84 s to fail with no route to the
        # storage account) only to validate a path that is not changing: skip that read.
        attribute = "read_remote_mltable_metadata_contents"
        original = getattr(_data_operations, attribute)

        def skip(**_: Any) -> Any:
            raise ProviderError("skipped")

        setattr(_data_operations, attribute, skip)
        try:
            self._call(
                f"update data asset {name}:{version}",
                lambda: self.client.data.create_or_update(data),
            )
        finally:
            setattr(_data_operations, attribute, original)

    def data_folder(self, name: str, version: str) -> Path:
        raise ProviderError(
            f"reconcile show reads data from the embedded workspace only; for {name}:{version} "
            "in Azure ML use the studio's data preview or `az ml data show`"
        )


def _version(data: Any) -> AssetVersion:
    tags, managed, _ = split_tags(dict(data.tags or {}))
    properties = dict(getattr(data, "properties", None) or {})
    definition = properties.get(DEFINITION_PROPERTY)
    return AssetVersion(
        version=str(data.version),
        path=normalise_datastore_path(str(data.path)) or str(data.path),
        fingerprint=properties.get(FINGERPRINT_PROPERTY),
        description=data.description or None,
        tags=tags,
        managed=managed,
        created_at=str(getattr(getattr(data, "creation_context", None), "created_at", "") or ""),
        definition=json_object(definition),
    )


def _with_job_fingerprint(version: AssetVersion, job: ImportJob | None) -> AssetVersion:
    """The service creates the version, so its fingerprint comes from the job that made it."""
    if version.fingerprint is not None or job is None:
        return version
    from dataclasses import replace

    return replace(version, fingerprint=job.fingerprint, definition=job.definition)


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
        status=status,  # type: ignore[arg-type]
        started_at=str(getattr(context, "created_at", "") or ""),
        error=error,
        definition=json_object(properties.get(DEFINITION_PROPERTY)),
    )


def _sink_version(job: Any) -> str | None:
    for child in (getattr(job, "jobs", None) or {}).values():
        sink = (getattr(child, "outputs", None) or {}).get("sink")
        version = getattr(sink, "version", None)
        if version:
            return str(version)
    return None
