"""An import-data schedule as the service lists it (JSON) -> its essence.

What azure-ai-ml's ``ImportDataSchedule._from_rest_object`` reads, read straight from the REST
body (a plan lists schedules without building the SDK's entities, see `arm`): the action's
``dataImportDefinition`` (asset, ``dataUri``, source), the trigger (cron or recurrence) and the
schedule's own fields. The service's rewrites are undone as for the other kinds: long data URIs,
a server-chosen ``dataType`` (the asset type is kept in a tag) and ``startTime`` (the one asked
for is kept in a tag). Schedules of other actions (jobs, monitors) are not reconciler's: None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.essences import (
    ImportDefinition,
    Kind,
    RecurrencePattern,
    ScheduleEssence,
    Source,
    Trigger,
)
from reconciler.core.live import LiveResource
from reconciler.core.names import normalise_datastore_path
from reconciler.core.tags import split_tags
from reconciler.core.vocabulary import ASSET_TYPE_TAG, START_TIME_TAG, default_asset_type

IMPORT_DATA = "ImportData"  # the action of an import schedule


def schedule_from_json(item: Mapping[str, Any]) -> LiveResource | None:
    props = item.get("properties") or {}
    action = props.get("action") or {}
    imported = action.get("dataImportDefinition")
    if action.get("actionType") != IMPORT_DATA or not isinstance(imported, Mapping):
        return None
    raw_tags = {str(k): str(v) for k, v in (props.get("tags") or {}).items() if v is not None}
    tags = split_tags(raw_tags)
    source = imported.get("source") or {}
    is_database = source.get("sourceType") == "database"  # as the SDK reads it
    source_type = "database" if is_database else "file_system"
    uri = str(imported.get("dataUri") or "")
    definition = ImportDefinition(
        type=raw_tags.get(ASSET_TYPE_TAG, default_asset_type(source_type)),
        source=Source(
            type=source_type,
            connection=str(source.get("connection") or "").removeprefix("azureml:"),
            query=source.get("query") if is_database else None,
            path=None if is_database else source.get("path"),
        ),
        path=normalise_datastore_path(uri) or uri,
    )
    essence = ScheduleEssence(
        import_name=str(imported.get("assetName") or ""),
        trigger=trigger_essence(props.get("trigger") or {}, raw_tags.get(START_TIME_TAG)),
        enabled=bool(props.get("isEnabled")),
        description=props.get("description") or None,
        import_definition=definition,
        tags=tags.user,
    )
    return LiveResource.read(Kind.SCHEDULE, str(item.get("name")), essence, tags, False)


def trigger_essence(trigger: Mapping[str, Any], start_time: str | None) -> Trigger:
    time_zone = str(trigger.get("timeZone") or "UTC")
    if str(trigger.get("triggerType") or "").lower() == "cron":
        return Trigger(
            type="cron",
            expression=" ".join(str(trigger.get("expression") or "").split()),
            time_zone=time_zone,
            start_time=start_time or None,
        )
    pattern = trigger.get("schedule")
    return Trigger(
        type="recurrence",
        frequency=str(trigger.get("frequency") or "").lower(),
        interval=int(trigger.get("interval") or 0),
        time_zone=time_zone,
        start_time=start_time or None,
        schedule=RecurrencePattern(
            hours=_ints(pattern.get("hours")),
            minutes=_ints(pattern.get("minutes")),
            week_days=[str(d).lower() for d in _list(pattern.get("weekDays"))],
            month_days=_ints(pattern.get("monthDays")),
        )
        if isinstance(pattern, Mapping) and pattern
        else None,
    )


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _ints(value: Any) -> list[int]:
    return [int(v) for v in _list(value)]
