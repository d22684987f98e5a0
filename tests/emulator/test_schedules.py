"""Import-data schedules through the real SDK: create, list views, disable, delete, LROs."""

from __future__ import annotations

import time
from typing import Any

import pytest

from reconciler.core.essences import Kind
from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import Emulator
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
    # four long-running operations (two creates, a disable, a delete), each polled twice
    assert emulator.stats()["routes"]["GET /operations/{id}"] == 8


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


def test_operations_are_polled_as_recorded(make_emulator: Any, make_client: Any) -> None:
    emulator = make_emulator(lro_retry_after=0.3)
    ml = make_client(emulator)
    url = "/schedules/nightly?api-version=2023-06-01-preview"

    started = time.monotonic()
    created = ml.schedules.begin_create_or_update(cron()).result()
    ml.schedules.begin_delete("nightly").result()
    elapsed = time.monotonic() - started

    assert created.provisioning_state == "Succeeded"
    routes = emulator.stats()["routes"]
    assert routes["GET /operations/{id}"] == 4  # running then Succeeded, twice
    assert 0.6 <= elapsed < 3.0  # retry-after-ms honoured (not the SDK's 5 s default)
    assert emulator.stats()["statuses"][202] == 1
    put = call(emulator, "PUT", url, {"properties": _body(ml)})
    assert put.status == 201 and put.body["properties"]["provisioningState"] == "Creating"
    assert put.headers["x-ms-async-operation-timeout"] == "PT30M"
    assert put.headers["location"].startswith(emulator.workspace_url + "/schedules/nightly?")
    poll = call(emulator, "GET", put.headers["azure-asyncoperation"], absolute=True)
    assert poll.body["status"] == "Creating"  # as recorded, then Succeeded
    assert (
        call(emulator, "GET", put.headers["azure-asyncoperation"], absolute=True).body["status"]
        == "Succeeded"
    )


def _body(ml: Any) -> dict[str, Any]:
    """A schedule PUT's properties as azure-ai-ml 1.35 sends them (research notes 3.5)."""
    return {
        "description": "nightly",
        "properties": {},
        "tags": {},
        "trigger": {"triggerType": "Cron", "expression": "15 3 * * *", "timeZone": "UTC"},
        "action": {
            "actionType": "ImportData",
            "dataImportDefinition": {
                "assetName": "houses",
                "dataType": "uri_folder",
                "dataUri": PATH,
                "source": {
                    "sourceType": "database",
                    "connection": "azureml:snowflake_globorealty",
                    "query": "SELECT 1",
                },
            },
        },
    }


def test_the_sync_knob_answers_at_once(make_emulator: Any, make_client: Any) -> None:
    emulator = make_emulator(lro="sync")
    ml = make_client(emulator)

    assert ml.schedules.begin_create_or_update(cron()).result().provisioning_state == "Succeeded"
    ml.schedules.begin_delete("nightly").result()

    assert "GET /operations/{id}" not in emulator.stats()["routes"]


def test_display_name_is_kept(ml: Any) -> None:
    nightly = cron()
    nightly.display_name = "Nightly houses"
    ml.schedules.begin_create_or_update(nightly).result()

    assert ml.schedules.get("nightly").display_name == "Nightly houses"


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ({"triggerType": "Cron", "expression": "61 3 * * *"}, "'61' is not a valid minute"),
        ({"triggerType": "Cron", "expression": "every night"}, "needs 5 fields"),
        (
            {"triggerType": "Recurrence", "frequency": "fortnight", "interval": 1},
            "frequency 'fortnight' is not valid",
        ),
        ({"triggerType": "Recurrence", "frequency": "Day", "interval": 0}, "interval '0'"),
    ],
)
def test_invalid_triggers_are_user_errors(
    ml: Any, emulator: Emulator, trigger: dict[str, Any], message: str
) -> None:
    body = _body(ml)
    body["trigger"] = {**trigger, "timeZone": "UTC"}
    reply = call(
        emulator, "PUT", "/schedules/bad?api-version=2023-06-01-preview", {"properties": body}
    )

    assert reply.status == 400
    assert message in reply.body["error"]["message"]
    assert call(emulator, "GET", "/schedules/bad?api-version=2023-06-01-preview").status == 404


def test_missing_schedule_is_not_found(ml: Any) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError, match="Resource Trigger nope not found"):
        ml.schedules.get("nope")
