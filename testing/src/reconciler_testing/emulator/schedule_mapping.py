"""Import-data schedules: REST body <-> store body, with the service's rewrites.

The real service rewrites what it is sent (research section 3.5): ``dataType`` becomes
``mltable`` for database sources whatever the client said, database sources gain
``tableName``/``storedProcedure``/``storedProcedureParams: null``, the asset name is added to
``properties``, the PUT answer shows ``dataUri`` with ``/${{name}}`` appended and no
``startTime`` while later GETs show the stored path and a ``startTime``. Mimicking these makes a
client's normalisation run against the emulator as it would against Azure.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.names import normalise_datastore_path
from reconciler.core.vocabulary import MATERIALIZATION_ASSET_PROPERTY as ASSET_PROPERTY
from reconciler.core.vocabulary import default_asset_type
from reconciler.providers.local.store import Record
from reconciler_testing.emulator.mapping import (
    NAME_SUFFIX,
    Scope,
    properties_of,
    system_data,
    tags_of,
)
from reconciler_testing.emulator.other_jobs import scheduled_definition
from reconciler_testing.emulator.protocol import JSON, bad_request
from reconciler_testing.emulator.validation import check_cron, check_recurrence

PATTERN_FIELDS = {
    "hours": "hours",
    "minutes": "minutes",
    "weekDays": "week_days",
    "monthDays": "month_days",
}
DATABASE_NULLS = {"tableName": None, "storedProcedure": None, "storedProcedureParams": None}
REST = "rest"  # a job schedule's REST body (the store key the local provider reads too)
SENT_SERVICES = "sent_services"  # whether its job definition came with ``services``


def schedule_from_rest(body: JSON) -> JSON:
    """The store's body of a schedule: an import schedule as the embedded workspace's essence,
    a job schedule (``CreateJob``) as the REST body, its job definition with the service's
    defaults (`other_jobs`)."""
    props = properties_of(body)
    action = props.get("action") or {}
    if action.get("actionType") == "CreateJob":
        return job_schedule_from_rest(props)
    if action.get("actionType") != "ImportData":
        raise bad_request(
            f"Schedule action {action.get('actionType')!r} is not supported by the emulator "
            "(ImportData, CreateJob)."
        )
    store_body: JSON = {
        "import": "",
        "trigger": trigger_from_rest(props.get("trigger") or {}),
        "enabled": props.get("isEnabled", True) is not False,
        "description": props.get("description"),
        "import_definition": {},
        "tags": tags_of(props.get("tags")),
    }
    if props.get("displayName"):
        store_body["display_name"] = str(props["displayName"])
    definition = action.get("dataImportDefinition") or {}
    store_body["import"] = definition.get("assetName") or ""
    if not store_body["import"]:
        raise bad_request("Schedule action: dataImportDefinition.assetName is required.")
    store_body["import_definition"] = import_definition_from_rest(definition)
    extra = {k: v for k, v in (props.get("properties") or {}).items() if k != ASSET_PROPERTY}
    if extra:
        store_body["properties"] = extra
    return store_body


def job_schedule_from_rest(props: JSON) -> JSON:
    trigger_from_rest(props.get("trigger") or {})  # checked as an import schedule's is
    action = props.get("action") or {}
    definition = action.get("jobDefinition")
    stored = {
        "description": props.get("description"),
        "tags": tags_of(props.get("tags")),
        "properties": dict(props.get("properties") or {}),
        "displayName": props.get("displayName"),
        "isEnabled": props.get("isEnabled", True) is not False,
        "trigger": dict(props.get("trigger") or {}),
        "action": {
            "actionType": "CreateJob",
            "jobDefinition": scheduled_definition(definition),
        },
    }
    sent_services = isinstance(definition, dict) and "services" in definition
    return {REST: {"properties": stored}, SENT_SERVICES: sent_services}


def enabled(record: Record) -> bool:
    """Whether a stored schedule (import or job schedule) is enabled."""
    rest = record.body.get(REST)
    if isinstance(rest, dict):
        return bool((rest.get("properties") or {}).get("isEnabled", True))
    return bool(record.body.get("enabled", True))


def trigger_from_rest(trigger: JSON) -> JSON:
    kind = trigger.get("triggerType")
    if kind == "Cron":
        if not trigger.get("expression"):
            raise bad_request("Cron trigger: 'expression' is required.")
        check_cron(str(trigger["expression"]))
        out: JSON = {"type": "cron", "expression": trigger["expression"]}
    elif kind == "Recurrence":
        frequency, interval = trigger.get("frequency"), trigger.get("interval")
        if not frequency or interval is None:
            raise bad_request("Recurrence trigger: 'frequency' and 'interval' are required.")
        frequency = check_recurrence(frequency, interval)
        out = {"type": "recurrence", "frequency": frequency.lower(), "interval": interval}
        given = trigger.get("schedule") or {}
        pattern = {ours: list(given.get(theirs) or []) for theirs, ours in PATTERN_FIELDS.items()}
        if any(pattern.values()):  # the SDK sends an empty pattern for "no schedule"
            out["schedule"] = pattern
    else:
        raise bad_request(f"Trigger type {kind!r} is not supported (Cron, Recurrence).")
    out["time_zone"] = trigger.get("timeZone") or "UTC"
    for theirs, ours in (("startTime", "start_time"), ("endTime", "end_time")):
        if trigger.get(theirs):
            out[ours] = trigger[theirs]
    return out


def import_definition_from_rest(definition: JSON) -> JSON:
    source = definition.get("source") or {}
    kind = source.get("sourceType")
    connection = str(source.get("connection") or "").removeprefix("azureml:")
    if kind not in ("database", "file_system") or not connection:
        raise bad_request("Import source needs sourceType database|file_system and a connection.")
    field = "query" if kind == "database" else "path"
    if not source.get(field):
        raise bad_request(f"Import source of type {kind} needs '{field}'.")
    uri = str(definition.get("dataUri") or "")
    path = normalise_datastore_path(uri)
    if path is None:
        raise bad_request(f"dataUri {uri!r} is not an azureml://datastores/<d>/paths/<p> URI.")
    return {
        # the service decides the type from the source, whatever the client sent
        "type": default_asset_type(kind),
        "source": {"type": kind, "connection": connection, field: source[field]},
        "path": path,
    }


def schedule_to_rest(scope: Scope, record: Record, *, put_answer: str | None = None) -> JSON:
    """GET/list shape; with ``put_answer`` (a provisioningState) the shape a PUT answers (the
    properties alone while the operation runs; a synchronous answer also names the schedule)."""
    body = record.body
    if isinstance(body.get(REST), dict):
        return _job_schedule_to_rest(record, put_answer)
    asset = body.get("import", "")
    definition = body.get("import_definition") or {}
    source = dict(definition.get("source") or {})
    rest_source: JSON = {
        "connection": f"azureml:{source.get('connection', '')}",
        "sourceType": source.get("type"),
    }
    if source.get("type") == "database":
        rest_source.update({"query": source.get("query"), **DATABASE_NULLS})
    else:
        rest_source["path"] = source.get("path")
    uri = definition.get("path", "")
    asset_props = {ASSET_PROPERTY: asset}
    properties = {
        "description": body.get("description"),
        "tags": dict(body.get("tags") or {}),
        "properties": {**dict(body.get("properties") or {}), **asset_props},
        "displayName": body.get("display_name") or record.name,
        "isEnabled": bool(body.get("enabled", True)),
        "trigger": trigger_to_rest(body.get("trigger") or {}, record, put_answer is None),
        "action": {
            "actionType": "ImportData",
            "dataImportDefinition": {
                "description": None,
                "tags": {},
                "properties": asset_props if put_answer else {},
                "isArchived": False,
                "isAnonymous": False,
                "autoDeleteSetting": None,
                "dataUri": uri + NAME_SUFFIX if put_answer else uri,
                "stage": None,
                "intellectualProperty": None,
                "dataType": definition.get("type", "uri_folder"),
                "assetName": asset,
                "source": rest_source,
            },
        },
        "provisioningState": put_answer or "Succeeded",
    }
    if put_answer and put_answer != "Succeeded":  # as recorded: a PUT answers properties alone
        return {"properties": properties}
    # as recorded: a GET answers name, properties and systemData (no id or type)
    stamps = system_data(record.created_at, record.updated_at)
    return {"name": record.name, "properties": properties, "systemData": stamps}


def trigger_to_rest(trigger: JSON, record: Record, with_start: bool) -> JSON:
    start = trigger.get("start_time")
    if start is None and with_start:  # the service fills in when it started (its local time)
        start = record.created_at[:19]
    out: JSON = {"endTime": trigger.get("end_time"), "startTime": start}
    out["timeZone"] = trigger.get("time_zone", "UTC")
    if trigger.get("type") == "cron":
        out.update({"triggerType": "Cron", "expression": trigger.get("expression")})
        return out
    pattern: dict[str, Any] = trigger.get("schedule") or {}
    out.update(
        {
            "triggerType": "Recurrence",
            "frequency": trigger.get("frequency"),
            "interval": trigger.get("interval"),
            "schedule": {
                theirs: list(pattern.get(ours) or []) for theirs, ours in PATTERN_FIELDS.items()
            },
        }
    )
    return out


def _job_schedule_to_rest(record: Record, put_answer: str | None) -> JSON:
    """A job schedule as recorded: its stored body, the trigger's ``endTime`` (and, after the
    PUT, its ``startTime``) filled in; the PUT's answer shows ``services`` as sent (null when
    it was not) and later reads ``{}``."""
    properties = dict(record.body[REST]["properties"])
    trigger = dict(properties.get("trigger") or {})
    trigger.setdefault("endTime", None)
    if put_answer is None and not trigger.get("startTime"):
        trigger["startTime"] = record.created_at[:19]
    properties["trigger"] = trigger
    if put_answer and not record.body.get(SENT_SERVICES):
        action = dict(properties["action"])
        action["jobDefinition"] = {**action["jobDefinition"], "services": None}
        properties["action"] = action
    properties["displayName"] = properties.get("displayName") or record.name
    properties["provisioningState"] = put_answer or "Succeeded"
    if put_answer and put_answer != "Succeeded":
        return {"properties": properties}
    stamps = system_data(record.created_at, record.updated_at)
    return {"name": record.name, "properties": properties, "systemData": stamps}
