"""The embedded workspace's consumers: its schedules and recent jobs, as `LiveConsumers`.

The store holds two kinds of each. Schedules and jobs submitted through the Azure ML emulator's
API (command and pipeline jobs, job schedules, imports submitted by azure-ai-ml) keep the body
the client sent, as the service stores it (``rest``), and are read the way the Azure provider
reads the service's answers (`reconciler.core.references`). Import schedules and import runs
that the local provider itself wrote are read from their import definitions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.core.consumers import LiveConsumer, LiveConsumers
from reconciler.core.essences import Trigger
from reconciler.core.references import (
    import_usages,
    job_usages,
    schedule_usages,
    trigger_from_json,
)
from reconciler.providers.local.jobs import OUTPUT_KEY
from reconciler.providers.local.store import JobRecord, Record, Store, timestamp

REST = "rest"  # a record's body as the client sent it (the emulator's API)


def list_consumers(store: Store, since: datetime, limit: int) -> LiveConsumers:
    schedules = tuple(schedule_consumer(r) for r in store.list_objects("schedule"))
    jobs = tuple(job_consumer(r) for r in store.recent_jobs(timestamp(since), limit))
    return LiveConsumers(schedules, jobs)


def schedule_consumer(record: Record) -> LiveConsumer:
    rest = record.body.get(REST)
    if isinstance(rest, dict):
        props = rest.get("properties") or {}
        action = props.get("action") or {}
        job = action.get("jobDefinition") or {}
        return LiveConsumer(
            kind="schedule",
            name=record.name,
            type=str(job.get("jobType") or action.get("actionType") or ""),
            usages=schedule_usages(action),
            created_at=record.created_at,
            enabled=props.get("isEnabled", True) is not False,
            trigger=trigger_from_json(props.get("trigger") or {}),
        )
    definition = record.body.get("import_definition") or {}
    source = definition.get("source") or {}
    return LiveConsumer(
        kind="schedule",
        name=record.name,
        type="ImportData",
        usages=import_usages(str(source.get("connection") or ""), str(definition.get("path"))),
        created_at=record.created_at,
        enabled=bool(record.body.get("enabled", True)),
        trigger=_trigger(record.body.get("trigger")),
        imports=str(record.body.get("import") or "") or None,
    )


def _trigger(body: Any) -> Trigger | None:
    try:
        return Trigger.model_validate(body)
    except ValueError:
        return None


def job_consumer(record: JobRecord) -> LiveConsumer:
    rest = record.body.get(REST)
    if isinstance(rest, dict):
        props = rest.get("properties") or {}
        return LiveConsumer(
            kind="job",
            name=record.id,
            type=str(props.get("jobType") or ""),
            usages=job_usages(props),
            created_at=record.created_at,
            status=record.status,
            imports=record.asset or None,
        )
    source = record.body.get("source") or {}
    return LiveConsumer(
        kind="job",
        name=record.id,
        type="Pipeline",  # an import run is a pipeline job with one import_data step
        usages=import_usages(
            str(source.get("connection") or ""),
            str(record.body.get(OUTPUT_KEY) or record.body.get("path") or ""),
        ),
        created_at=record.created_at,
        status=record.status,
        imports=record.asset or None,
    )
