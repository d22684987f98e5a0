"""``reconcile export`` after ``moved:`` renames, on both providers: the export declares each
import as it is now (its new name, the connection it reads through now, its description, tags
and schedule), the file validates, and a fresh project pointed at the same workspace plans
nothing (the same project) or only adoptions (another project), then no changes."""

from __future__ import annotations

from typing import Any

import yaml

from reconciler.core.plan import Reason
from tests.conftest import RunCli
from tests.providers.conftest import Harness
from tests.providers.test_contract import GLOBOREALTY, write_globorealty

RENAMED_IMPORT = GLOBOREALTY.replace("  raw_house_data:\n", "  house_sales:\n") + (
    "moved:\n  - from: import.raw_house_data\n    to: import.house_sales\n"
)
RENAMED_CONNECTION = GLOBOREALTY.replace("snowflake_globorealty", "snowflake_main") + (
    "moved:\n  - {from: connection.snowflake_globorealty, to: connection.snowflake_main}\n"
)
UNSCHEDULED = GLOBOREALTY[: GLOBOREALTY.index("    schedule:\n")]


def _exported(harness: Harness, invoke: RunCli) -> tuple[str, dict[str, Any]]:
    result = invoke("export", "--env", "test", cwd=harness.root)
    assert result.code == 0, result.output
    return result.stdout, yaml.safe_load(result.stdout)


def _import(
    name: str, connection: str, schedule: bool = True, datastore: str = "rawdata"
) -> dict[str, Any]:
    """What the export should declare: GLOBOREALTY's import, as written by export."""
    found: dict[str, Any] = {
        "description": "House sales",
        "source": {
            "type": "database",
            "connection": connection,
            "query": "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW",
        },
        "path": f"azureml://datastores/{datastore}/paths/raw_house_data",
        "tags": {"layer": "bronze"},
    }
    if schedule:
        found["schedule"] = {"trigger": {"type": "cron", "expression": "0 3 * * *"}}
    return found


def _round_trip(
    harness: Harness, invoke: RunCli, text: str, connection: str, datastore: str = "rawdata"
) -> None:
    """The exported file validates; as this project's platform.yaml it plans no changes; as
    another project's, with ``lifecycle: {adopt: true}`` on everything, only take-overs that
    change no field, then no changes."""
    variable = connection.upper()
    harness.write(
        text,
        **{
            f"{variable}_USERNAME": harness.snowflake.username,
            f"{variable}_PASSWORD": harness.snowflake.password,
            f"{datastore.upper()}_ACCOUNT_KEY": "account-key-1",
        },
    )
    validated = invoke("validate", "--env", "test", cwd=harness.root)
    assert validated.code == 0, validated.output
    same = harness.plan()
    assert not same.has_changes, [(c.address, c.fields) for c in same.resource_changes]

    data = yaml.safe_load(text)
    for section in ("connections", "datastores", "imports"):
        for item in data[section].values():
            item["lifecycle"] = {"adopt": True}
    harness.write("project: adopter\n" + yaml.safe_dump(data, sort_keys=False))
    plan = harness.plan()
    changed = {c.address: (c.action_reason, c.fields) for c in plan.resource_changes if c.is_change}
    assert set(changed) == {
        f"connection.{connection}",
        f"datastore.{datastore}",
        *(f"import.{name}" for name in data["imports"]),
        *(f"schedule.{name}-schedule" for name, i in data["imports"].items() if "schedule" in i),
    }
    assert {reason for reason, _ in changed.values()} == {Reason.TAKE_OVER}, changed
    assert [fields for _, fields in changed.values() if fields] == [], changed
    assert harness.apply().ok
    after = harness.plan()
    assert not after.has_changes, [(c.address, c.fields) for c in after.resource_changes]


def test_a_renamed_import_is_exported_under_its_new_name_and_round_trips(
    harness: Harness, invoke: RunCli
) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    harness.write(RENAMED_IMPORT)
    assert harness.apply().ok
    assert not harness.plan().has_changes

    text, data = _exported(harness, invoke)

    assert data["imports"] == {"house_sales": _import("house_sales", "snowflake_globorealty")}
    _round_trip(harness, invoke, text, "snowflake_globorealty")


def test_a_renamed_import_without_a_schedule_is_exported(harness: Harness, invoke: RunCli) -> None:
    write_globorealty(harness)
    harness.write(UNSCHEDULED)
    assert harness.apply().ok
    harness.write(
        UNSCHEDULED.replace("  raw_house_data:\n", "  house_sales:\n")
        + "moved:\n  - from: import.raw_house_data\n    to: import.house_sales\n"
    )
    assert harness.apply().ok

    text, data = _exported(harness, invoke)

    assert data["imports"] == {
        "house_sales": _import("house_sales", "snowflake_globorealty", schedule=False)
    }
    _round_trip(harness, invoke, text, "snowflake_globorealty")


def test_imports_exported_after_a_connection_rename_name_the_new_connection(
    harness: Harness, invoke: RunCli
) -> None:
    write_globorealty(harness)
    harness.write(UNSCHEDULED)
    assert harness.apply().ok
    harness.write(
        UNSCHEDULED.replace("snowflake_globorealty", "snowflake_main")
        + "moved:\n  - {from: connection.snowflake_globorealty, to: connection.snowflake_main}\n"
    )
    assert harness.apply().ok
    assert not harness.plan().has_changes

    text, data = _exported(harness, invoke)

    assert list(data["connections"]) == ["snowflake_main"]
    assert data["imports"] == {
        "raw_house_data": _import("raw_house_data", "snowflake_main", schedule=False)
    }
    _round_trip(harness, invoke, text, "snowflake_main")


def test_a_scheduled_import_exported_after_a_connection_rename_names_the_new_connection(
    harness: Harness, invoke: RunCli
) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    harness.write(RENAMED_CONNECTION)
    assert harness.apply().ok

    text, data = _exported(harness, invoke)

    assert data["imports"] == {"raw_house_data": _import("raw_house_data", "snowflake_main")}
    _round_trip(harness, invoke, text, "snowflake_main")


def test_imports_exported_after_a_datastore_rename_write_to_the_new_datastore(
    harness: Harness, invoke: RunCli
) -> None:
    write_globorealty(harness)
    harness.write(UNSCHEDULED)
    assert harness.apply().ok
    harness.write(
        UNSCHEDULED.replace("  rawdata:\n", "  lake:\n").replace(
            "datastores/rawdata", "datastores/lake"
        )
        + "moved:\n  - {from: datastore.rawdata, to: datastore.lake}\n"
    )
    assert harness.apply().ok
    assert not harness.plan().has_changes

    text, data = _exported(harness, invoke)

    assert data["imports"] == {
        "raw_house_data": _import(
            "raw_house_data", "snowflake_globorealty", schedule=False, datastore="lake"
        )
    }
    _round_trip(harness, invoke, text, "snowflake_globorealty", datastore="lake")
