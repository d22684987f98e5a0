"""Import pipeline jobs: the PUT body -> an import spec, and job records -> REST jobs.

``data.import_data`` submits a Pipeline job with one ``import_data`` node (research 3.4). The
emulator turns that node into the import spec `LocalWorkspace.materialize` runs, and renders
the store's job records back in the service's job shape: the client's body echoed, plus
``status``, the system properties Azure adds and the import's own properties. Jobs run by the
local provider (no REST body stored) get a body synthesised from their import definition, so
both sides list the same jobs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reconciler.core.essences import ImportDefinition, ImportEssence, Source, fingerprint
from reconciler.core.names import normalise_datastore_path
from reconciler.core.vocabulary import (
    FINGERPRINT_PROPERTY,
    NAME_PLACEHOLDER,
    default_asset_type,
)
from reconciler.core.vocabulary import MATERIALIZATION_ASSET_PROPERTY as ASSET_PROPERTY
from reconciler.providers.local.jobs import OUTPUT_KEY
from reconciler.providers.local.store import JobRecord
from reconciler_testing.emulator.mapping import NAME_SUFFIX, Scope, properties_of
from reconciler_testing.emulator.other_jobs import is_import, render_job, service
from reconciler_testing.emulator.protocol import JSON, bad_request

ERROR_PROPERTY = "emulator.error"
ROWS_PROPERTY = "emulator.rows"
COMPONENT = "azureml://registries/azureml/components/import_data_{}/versions/0.0.1"
SYSTEM_PROPERTIES = {
    "azureml.DevPlatv2": "true",
    "azureml.DatasetAccessMode": "Asset",
    "azureml.runsource": "azureml.PipelineRun",
    "runSource": "MFE",
    "runType": "HTTP",
    "azureml.parameters": "{}",
    "azureml.continue_on_step_failure": "True",
    "azureml.continue_on_failed_optional_input": "True",
    "azureml.enforceRerun": "True",
    "azureml.defaultDataStoreName": "workspaceblobstore",
    "azureml.pipelineComponent": "pipelinerun",
}


@dataclass(frozen=True)
class ImportOrder:
    """What a submitted import pipeline asks for."""

    asset: str
    version: str | None  # None: the container's next version when it runs
    spec: ImportEssence
    # the sink path ends in ${{name}}, which the service resolves to the job's name: each run
    # writes to a folder of its own (else straight into the path)
    per_run: bool = True


def import_order(body: JSON) -> ImportOrder:
    props = properties_of(body)
    if props.get("jobType") != "Pipeline":
        raise bad_request(
            f"Job type {props.get('jobType')!r} is not supported by the emulator: it runs data "
            "import pipelines (data.import_data) only."
        )
    node = next(
        (n for n in (props.get("jobs") or {}).values() if _is_import(n)),
        None,
    )
    if node is None:
        raise bad_request("The pipeline has no import_data step; the emulator runs imports only.")
    source = node.get("source") or {}
    kind = source.get("type")
    field = "query" if kind == "database" else "path"
    connection = str(source.get("connection") or "").removeprefix("azureml:")
    if kind not in ("database", "file_system") or not connection or not source.get(field):
        raise bad_request(
            "import_data source needs type database|file_system, a connection "
            "and a query (database) or path (file_system)."
        )
    sink = (node.get("outputs") or {}).get("sink") or {}
    path = normalise_datastore_path(str(sink.get("uri") or ""))
    if path is None:
        raise bad_request(f"import_data sink uri {sink.get('uri')!r} is not a datastore URI.")
    client_properties = props.get("properties") or {}
    asset = sink.get("name") or client_properties.get(ASSET_PROPERTY)
    if not asset:
        raise bad_request("import_data sink has no asset name.")
    definition = ImportDefinition(
        type=sink.get("job_output_type") or default_asset_type(kind),
        source=Source(type=kind, connection=connection, **{field: source[field]}),
        path=path,
    )
    description = props.get("description")
    version = sink.get("version")
    spec = ImportEssence(
        type=definition.type,
        source=definition.source,
        path=definition.path,
        version=str(version) if version else None,
        # the SDK describes the job with its experiment name when the import has no description
        description=None if description == props.get("experimentName") else description,
        tags={str(k): str(v) for k, v in (props.get("tags") or {}).items()},
        fingerprint=client_properties.get(FINGERPRINT_PROPERTY) or fingerprint(definition),
    )
    named = str(sink.get("uri") or "").rstrip("/").endswith(NAME_PLACEHOLDER)
    return ImportOrder(str(asset), spec.version, spec, named)


def _is_import(node: Any) -> bool:
    return isinstance(node, dict) and node.get("task") == "import_data"


def job_to_rest(scope: Scope, record: JobRecord) -> JSON:
    rest = record.body.get("rest")
    if isinstance(rest, dict) and not record.asset and not is_import(rest):
        props = rest.get("properties") or {}
        return render_job(scope, record.id, props, record.status, record.created_at)
    return render(
        scope,
        record.id,
        rest or synthesised_body(scope, record),
        record.status,
        record.created_at,
        answered_properties(record),
    )


def answered_properties(record: JobRecord) -> JSON:
    """What the service adds to a job's properties beside the client's: the import's asset and,
    here, its outcome (``emulator.*``). A job the local provider ran (no REST body) carries the
    properties reconciler gave it there."""
    extra: JSON = {ASSET_PROPERTY: record.asset} if record.asset else {}
    if "rest" not in record.body:
        extra.update(record.body.get("properties") or {})
    if record.error:
        extra[ERROR_PROPERTY] = record.error
    if record.rows is not None:
        extra[ROWS_PROPERTY] = str(record.rows)
    return extra


def render(
    scope: Scope, job_id: str, rest: JSON, status: str, created: str, extra: JSON | None = None
) -> JSON:
    """The job resource as the service answers it: the submitted body plus server fields."""
    props = dict(rest.get("properties") or {})
    studio = f"https://ml.azure.com/runs/{job_id}?wsid={scope.workspace_path}"
    props.update(
        {
            "status": status,
            "properties": {
                **SYSTEM_PROPERTIES,
                **(props.get("properties") or {}),
                **(extra or {}),
            },
            "services": {
                "Tracking": service(
                    "Tracking", f"azureml://emulator/mlflow/v1.0{scope.workspace_path}?"
                ),
                "Studio": service("Studio", studio),
            },
            "computeId": None,
            "identity": None,
            "componentId": None,
            "notificationSetting": None,
            "secretsConfiguration": None,
            "sourceJobId": None,
        }
    )
    props.setdefault("isArchived", False)
    return {
        **scope.resource(f"jobs/{job_id}", job_id, "jobs"),
        "properties": props,
        "systemData": {"createdAt": created, "createdBy": "emulator", "createdByType": "User"},
    }


def synthesised_body(scope: Scope, record: JobRecord) -> JSON:
    """A pipeline body like the SDK's for a job the local provider ran (it sent none)."""
    source = dict(record.body.get("source") or {})
    kind = source.get("type", "database")
    step = f"data_import_{record.asset}"
    rest_source = {**source, "connection": f"azureml:{source.get('connection', '')}"}
    node = {
        "type": "data_transfer",
        "task": "import_data",
        "_source": "BUILTIN",
        "source": rest_source,
        "display_name": step,
        "computeId": f"{scope.workspace_path}/computes/serverless",
        "outputs": {
            "sink": {
                # where the local provider wrote it, else the path az ml would send
                "uri": str(
                    record.body.get(OUTPUT_KEY) or f"{record.body.get('path', '')}{NAME_SUFFIX}"
                ),
                "job_output_type": record.body.get("type", "mltable"),
                "name": record.asset,
                "version": record.version,
            }
        },
        "componentId": COMPONENT.format(kind),
    }
    return {
        "properties": {
            "jobType": "Pipeline",
            "displayName": step,
            "experimentName": step,
            "description": step,
            "tags": {},
            "isArchived": False,
            "inputs": {},
            "outputs": {},
            "properties": {},
            "settings": {"force_rerun": True, "_source": "CLASS"},
            "jobs": {step: node},
        }
    }


@dataclass(frozen=True)
class JobQuery:
    """The ``GET jobs`` filters the service takes: ``jobType``, ``listViewType``, ``tag`` (jobs
    with this tag key), ``properties`` ("Comma-separated list of user property names (and
    optionally values). Example: prop1,prop2=value2": a job must have them all), and the
    ``scheduleId`` and legacy ``assetName`` azure-ai-ml still sends."""

    job_type: str | None = None
    view: str = "ActiveOnly"
    tag: str | None = None
    properties: tuple[tuple[str, str | None], ...] = ()
    schedule: str | None = None
    asset: str | None = None

    @classmethod
    def parse(cls, params: dict[str, str | None]) -> JobQuery:
        view = params.get("listViewType") or "ActiveOnly"
        if view not in ("ActiveOnly", "ArchivedOnly", "All"):
            raise bad_request(f"listViewType {view!r} is not one of ActiveOnly, ArchivedOnly, All.")
        wanted: list[tuple[str, str | None]] = []
        for item in (params.get("properties") or "").split(","):
            name, sep, value = item.strip().partition("=")
            if name.strip():
                wanted.append((name.strip(), value.strip() if sep else None))
        return cls(
            job_type=params.get("jobType") or None,
            view=view,
            tag=params.get("tag") or None,
            properties=tuple(wanted),
            schedule=params.get("scheduleId") or None,
            asset=params.get("assetName") or None,
        )

    @property
    def by_view_only(self) -> bool:
        """Every job of a view (``GET jobs`` with no filter): answered without parsing the
        bodies of jobs that are not on the page asked for."""
        return not (self.job_type or self.tag or self.properties or self.schedule or self.asset)

    @property
    def imports_only(self) -> bool:
        """Only import jobs can match (they alone name an asset)."""
        return self.asset is not None or any(n == ASSET_PROPERTY for n, _ in self.properties)

    @property
    def stored_text(self) -> tuple[str, ...]:
        """Strings a matching job's stored body must contain: client property names and the
        tag key (system and emulator properties are added when answering, not stored)."""
        names = [n for n, _ in self.properties if n not in _ADDED and not n.startswith("emulator.")]
        names += [self.tag] if self.tag else []
        return tuple(json.dumps(n) for n in names)

    def matches(self, job: JSON, asset: str) -> bool:
        props = job["properties"]
        if self.job_type and props.get("jobType") != self.job_type:
            return False
        archived = bool(props.get("isArchived"))
        if (self.view == "ActiveOnly" and archived) or (
            self.view == "ArchivedOnly" and not archived
        ):
            return False
        if self.asset and asset != self.asset:
            return False
        if self.tag and self.tag not in (props.get("tags") or {}):
            return False
        answered = props.get("properties") or {}
        for name, value in self.properties:
            if name not in answered or (value is not None and str(answered[name]) != value):
                return False
        return not self.schedule or answered.get("azureml.scheduleId") == self.schedule


_ADDED = frozenset({*SYSTEM_PROPERTIES, ASSET_PROPERTY})
