"""Jobs the emulator keeps but never runs: command, sweep and pipeline jobs other than imports,
and the job definitions of job schedules (``CreateJob``).

The service stores what the client sent and fills in its defaults; the recordings show them
(`tests/fidelity/recordings/public/command_job/...serverless`, `.../schedule/...command_job_
schedule`): a job's PUT answers 201 with status ``Starting``, ``services`` (Tracking, Studio),
``resources`` (one instance, ``shmSize`` 2g), a serverless job's
``_azureml.ComputeTargetType: amlctrain`` property, each input's ``description: null`` and
``mode: ReadOnlyMount``, a ``default`` output in the workspace's artifact store, and nulls for
what was not sent; a schedule's job definition gets the same fields with status ``NotStarted``,
no ``default`` output and ``services`` null in the PUT's answer (``{}`` afterwards). A job
later reads ``Queued``: the service waits for compute, and the emulator has none, so a job that
is not an import stays queued (nothing runs; the recorded GET also shows the compute the
service picked and its system tags, which the emulator does not invent). An import pipeline
(`reconciler_testing.emulator.jobs`) is the one kind it runs.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler_testing.emulator.mapping import Scope
from reconciler_testing.emulator.protocol import JSON, bad_request

PUT_STATUS = "Starting"  # a job's status in the PUT's answer (recorded)
STORED_STATUS = "Queued"  # what it reads afterwards (recorded): waiting for compute
SCHEDULED_STATUS = "NotStarted"  # a schedule's job definition (recorded)
_RESOURCES = {
    "instanceCount": 1,
    "instanceType": None,
    "locations": None,
    "properties": None,
    "shmSize": "2g",
    "dockerArgs": None,
}
_COMMAND_NULLS = ("codeId", "distribution", "autologgerSettings", "limits")
_JOB_TYPES = ("Command", "Pipeline", "Sweep", "AutoML", "Spark", "FineTuning", "Distillation")


def is_import(body: JSON) -> bool:
    """A data import pipeline (``data.import_data``): the one job the emulator runs."""
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict) or props.get("jobType") != "Pipeline":
        return False
    nodes = props.get("jobs") or {}
    return isinstance(nodes, dict) and any(
        isinstance(n, dict) and n.get("task") == "import_data" for n in nodes.values()
    )


def check_job(props: Any) -> JSON:
    if not isinstance(props, dict):
        raise bad_request("The request body has no 'properties' object.")
    kind = props.get("jobType")
    if kind not in _JOB_TYPES:
        raise bad_request(f"Job type {kind!r} is not one of {', '.join(_JOB_TYPES)}.")
    return props


def with_defaults(props: JSON, *, job_name: str | None) -> JSON:
    """``props`` (a job's, or a schedule's job definition when ``job_name`` is None) with the
    fields the service adds; nothing the client sent is changed."""
    out = copy.deepcopy(props)
    for key in ("description", "componentId", "notificationSetting"):
        out.setdefault(key, None)
    out.setdefault("tags", {})
    out.setdefault("properties", {})
    out.setdefault("displayName", None)
    out.setdefault("experimentName", "Default")
    out.setdefault("computeId", None)
    if job_name and out["computeId"] is None:  # serverless: the service says on what it runs
        out["properties"] = {**out["properties"], "_azureml.ComputeTargetType": "amlctrain"}
    out.setdefault("isArchived", False)
    out.setdefault("identity", None)
    out["inputs"] = {k: _input(v) for k, v in (out.get("inputs") or {}).items()}
    out.setdefault("outputs", {})
    if out.get("jobType") == "Command":
        out["resources"] = {**_RESOURCES, **(out.get("resources") or {})}
        queue = out.get("queueSettings")
        out["queueSettings"] = {"priority": None, **queue} if isinstance(queue, dict) else None
        for key in _COMMAND_NULLS:
            out.setdefault(key, None)
        out.setdefault("environmentVariables", {})
        out.setdefault("parameters", {} if job_name else None)
        if job_name:
            outputs = dict(out["outputs"])
            outputs.setdefault("default", _default_output(job_name))
            out["outputs"] = outputs
    if out.get("jobType") == "Pipeline":
        out.setdefault("settings", {})
        out.setdefault("jobs", {})
        out.setdefault("sourceJobId", None)
    return out


def _input(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out = {"description": None, **value}
    kind = str(value.get("jobInputType") or "")
    if kind and kind.lower() != "literal":
        out.setdefault("mode", "ReadOnlyMount")
    return out


def _default_output(job_name: str) -> JSON:
    return {
        "description": None,
        "uri": f"azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.{job_name}",
        "assetName": None,
        "assetVersion": None,
        "mode": "ReadWriteMount",
        "jobOutputType": "uri_folder",
    }


def render_job(scope: Scope, name: str, props: JSON, status: str, created: str) -> JSON:
    """A stored job as the service answers it."""
    answer = dict(props)
    studio = f"https://ml.azure.com/runs/{name}?wsid={scope.workspace_path}"
    answer["status"] = status
    answer["services"] = {
        "Tracking": service("Tracking", f"azureml://emulator/mlflow/v1.0{scope.workspace_path}?"),
        "Studio": service("Studio", studio),
    }
    return {
        **scope.resource(f"jobs/{name}", name, "jobs"),
        "properties": answer,
        "systemData": {"createdAt": created, "createdBy": "emulator", "createdByType": "User"},
    }


def service(kind: str, endpoint: str) -> JSON:
    """A job's service entry (Tracking, Studio) as the service lists it."""
    return {
        "jobServiceType": kind,
        "port": None,
        "endpoint": endpoint,
        "status": None,
        "errorMessage": None,
        "properties": None,
        "nodes": None,
    }


def scheduled_definition(definition: Any) -> JSON:
    """A ``CreateJob`` schedule's job definition as stored: checked, with the defaults."""
    props = check_job(definition)
    stored = with_defaults(props, job_name=None)
    stored["status"] = SCHEDULED_STATUS
    stored.setdefault("services", {})
    return stored
