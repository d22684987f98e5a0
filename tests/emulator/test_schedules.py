"""Import-data schedules through the real SDK: create, list views, disable, delete, LROs."""

from __future__ import annotations

import time
from typing import Any

import pytest

from reconciler.emulator import Emulator
from reconciler.providers.local.provider import LocalWorkspace
from reconciler.resources import Kind
from tests.emulator.conftest import call

PATH = "azureml://datastores/workspaceblobstore/paths/houses"


def schedule(name: str, trigger: Any) -> Any:
    from azure.ai.ml.data_transfer import Database
    from azure.ai.ml.entities import DataImport, ImportDataSchedule

    source = Database(connection="azureml:snowflake_globorealty", query="SELECT 1")
    data_import = DataImport(name="houses", path=PATH, source=source)
    return ImportDataSchedule(
        name=name, trigger=trigger, import_data=data_import, description="nightly"
    )


def cron(name: str = "nightly") -> Any:
    from azure.ai.ml.entities import CronTrigger

    return schedule(name, CronTrigger(expression="15 3 * * *", time_zone="UTC"))


def recurrence(name: str = "daily") -> Any:
    from azure.ai.ml.entities import RecurrencePattern, RecurrenceTrigger

    pattern = RecurrencePattern(hours=[3], minutes=[30])
    return schedule(name, RecurrenceTrigger(frequency="day", interval=1, schedule=pattern))


def names(schedules: Any) -> list[str]:
    return sorted(s.name for s in schedules)


def test_create_list_disable_delete(ml: Any, emulator: Emulator) -> None:
    from azure.ai.ml._restclient.arm_ml_service.models import ScheduleListViewType

    created = ml.schedules.begin_create_or_update(cron()).result()
    ml.schedules.begin_create_or_update(recurrence()).result()

    assert (created.provisioning_state, created.is_enabled) == ("Succeeded", True)
    daily = ml.schedules.get("daily")
    assert (daily.trigger.frequency, daily.trigger.interval) == ("day", 1)
    assert (daily.trigger.schedule.hours, daily.trigger.schedule.minutes) == ([3], [30])
    ml.schedules.begin_disable("nightly").result()
    assert names(ml.schedules.list()) == ["daily"]
    assert names(ml.schedules.list(list_view_type=ScheduleListViewType.DISABLED_ONLY)) == [
        "nightly"
    ]
    assert names(ml.schedules.list(list_view_type=ScheduleListViewType.ALL)) == [
        "daily",
        "nightly",
    ]
    ml.schedules.begin_delete("nightly").result()
    assert names(ml.schedules.list(list_view_type=ScheduleListViewType.ALL)) == ["daily"]
    assert "GET /operations/{id}" not in emulator.stats()["routes"]  # sync: nothing to poll


def test_the_service_rewrites_are_mimicked(ml: Any, emulator: Emulator) -> None:
    ml.schedules.begin_create_or_update(cron()).result()
    url = "/schedules/nightly?api-version=2023-06-01-preview"
    got = call(emulator, "GET", url).body

    props = got["properties"]
    definition = props["action"]["dataImportDefinition"]
    assert definition["dataType"] == "mltable"  # the SDK sent uri_folder
    assert definition["source"]["tableName"] is None
    assert definition["dataUri"] == PATH
    assert props["trigger"]["startTime"]  # filled in by the service
    assert props["properties"] == {"azureml.materializationAssetName": "houses"}
    del props["trigger"]["startTime"]
    put = call(emulator, "PUT", url, {"properties": props}).body["properties"]
    assert put["action"]["dataImportDefinition"]["dataUri"] == PATH + "/${{name}}"
    assert put["trigger"]["startTime"] is None
    entity = ml.schedules.get("nightly")
    assert entity.import_data.type == "mltable"
    assert entity.import_data.source.connection == "azureml:snowflake_globorealty"


def test_store_body_is_the_local_schedule_essence(ml: Any, emulator: Emulator) -> None:
    ml.schedules.begin_create_or_update(recurrence()).result()

    local = LocalWorkspace(emulator.root)
    try:
        (live,) = local.list_resources(Kind.SCHEDULE)
    finally:
        local.close()
    assert live.spec == {
        "import": "houses",
        "trigger": {
            "type": "recurrence",
            "frequency": "day",
            "interval": 1,
            "schedule": {"hours": [3], "minutes": [30], "week_days": [], "month_days": []},
            "time_zone": "UTC",
        },
        "enabled": True,
        "description": "nightly",
        "import_definition": {
            "type": "mltable",
            "source": {
                "type": "database",
                "connection": "snowflake_globorealty",
                "query": "SELECT 1",
            },
            "path": PATH,
        },
        "tags": {},
    }


def test_async_operations_are_polled_with_retry_after(make_emulator: Any, make_client: Any) -> None:
    emulator = make_emulator(lro="async")
    ml = make_client(emulator)

    started = time.monotonic()
    created = ml.schedules.begin_create_or_update(cron()).result()
    ml.schedules.begin_delete("nightly").result()
    elapsed = time.monotonic() - started

    assert created.provisioning_state == "Succeeded"
    routes = emulator.stats()["routes"]
    assert routes["GET /operations/{id}"] == 4  # InProgress then Succeeded, twice
    assert 2.0 <= elapsed < 4.5  # Retry-After: 1 honoured (not the SDK's 5 s default)
    assert emulator.stats()["statuses"][202] == 1


def test_missing_schedule_is_not_found(ml: Any) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError, match="Resource Trigger nope not found"):
        ml.schedules.get("nope")
