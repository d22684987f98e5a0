"""The provider contract: the same behaviour from the embedded workspace and from Azure ML."""

from __future__ import annotations

import pytest

from reconciler.config import desired_state
from reconciler.core.errors import ConfigError
from reconciler.core.essences import Kind
from tests.providers.conftest import Harness

GLOBOREALTY = """\
connections:
  snowflake_globorealty:
    type: snowflake
    target: ${TARGET}
    credentials:
      type: username_password
      username: ${SNOWFLAKE_USER}
      password: ${env:SNOWFLAKE_PASSWORD}
    tags: {owner: data-platform}
datastores:
  rawdata:
    type: azure_blob
    description: Raw data
    account_name: globorealtydata
    container_name: rawdata
    credentials:
      account_key: ${env:STORAGE_ACCOUNT_KEY}
    tags: {layer: bronze}
imports:
  raw_house_data:
    description: House sales
    source:
      type: database
      connection: azureml:snowflake_globorealty
      query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW
    path: azureml://datastores/rawdata/paths/raw_house_data
    tags: {layer: bronze}
    schedule:
      trigger:
        type: cron
        expression: "0 3 * * *"
        time_zone: UTC
"""


def write_globorealty(h: Harness, **overrides: str) -> None:
    variables = {
        "TARGET": h.snowflake.jdbc_target,
        "SNOWFLAKE_USER": h.snowflake.username,
        "SNOWFLAKE_PASSWORD": h.snowflake.password,
        "STORAGE_ACCOUNT_KEY": "account-key-1",
    }
    variables.update(overrides)
    h.write(GLOBOREALTY, **variables)


def actions(h: Harness, prune: bool = False) -> dict[str, str]:
    return {
        c.address: c.action.value
        for c in h.plan(prune).resource_changes
        if c.action.value != "no-op"
    }


def test_globorealty_converges_and_then_plans_no_changes(harness: Harness) -> None:
    write_globorealty(harness)
    assert actions(harness) == {
        "connection.snowflake_globorealty": "create",
        "datastore.rawdata": "create",
        "import.raw_house_data": "materialize",
        "schedule.raw_house_data-schedule": "create",
    }
    result = harness.apply()
    assert result.ok, result.results
    plan = harness.plan()
    assert not plan.has_changes, [(c.address, c.fields) for c in plan.resource_changes if c.fields]
    (asset,) = harness.workspace().list_assets(["raw_house_data"])
    assert [v.version for v in asset.versions] == ["1"]
    assert asset.jobs[-1].status == "Completed"


def test_a_system_datastore_is_listed_as_ignored_and_never_planned(harness: Harness) -> None:
    write_globorealty(harness)
    plan = harness.plan(prune=True)
    assert "datastore.workspaceblobstore" in [i.address for i in plan.ignored]
    assert "datastore.workspaceblobstore" not in [c.address for c in plan.resource_changes]


def test_secrets_are_never_read_back_but_a_rotation_is_detected(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    live = {
        r.address: r
        for k in (Kind.CONNECTION, Kind.DATASTORE)
        for r in harness.workspace().list_resources(k)
    }
    assert "account-key-1" not in repr(live)
    assert harness.snowflake.password not in repr(live)
    write_globorealty(harness, STORAGE_ACCOUNT_KEY="account-key-2")
    plan = harness.plan()
    (change,) = [c for c in plan.resource_changes if c.action.value != "no-op"]
    assert change.address == "datastore.rawdata"
    assert [(f.path, f.sensitive) for f in change.fields] == [("credentials.account_key", True)]
    assert harness.apply().ok
    assert not harness.plan().has_changes


def test_a_changed_query_materializes_version_2_and_keeps_version_1(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    harness.write(GLOBOREALTY.replace("REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE BEDROOMS > 2"))
    plan = harness.plan()
    changed = {
        c.address: (c.action.value, c.version)
        for c in plan.resource_changes
        if c.action.value != "no-op"
    }
    assert changed == {
        "import.raw_house_data": ("materialize", "2"),
        "schedule.raw_house_data-schedule": ("update", None),
    }
    assert harness.apply().ok
    (asset,) = harness.workspace().list_assets(["raw_house_data"])
    assert sorted(v.version for v in asset.versions) == ["1", "2"]
    assert not harness.plan().has_changes


def test_removed_resources_are_deleted_only_with_prune(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    text = GLOBOREALTY[: GLOBOREALTY.index("    schedule:")]
    harness.write(text)
    assert actions(harness) == {}
    assert actions(harness, prune=True) == {"schedule.raw_house_data-schedule": "delete"}
    assert harness.apply(prune=True).ok
    assert actions(harness, prune=True) == {}


def test_tags_and_descriptions_update_in_place(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    harness.write(GLOBOREALTY.replace("tags: {layer: bronze}\n", "tags: {layer: silver}\n", 1))
    assert actions(harness) == {"datastore.rawdata": "update"}
    assert harness.apply().ok
    assert actions(harness) == {}


def test_a_pruned_import_declared_again_is_restored_with_its_versions(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    harness.write(GLOBOREALTY[: GLOBOREALTY.index("imports:")])
    assert actions(harness, prune=True) == {
        "import.raw_house_data": "archive",
        "schedule.raw_house_data-schedule": "delete",
    }
    assert harness.apply(prune=True).ok
    owner = desired_state(harness.root, "test", with_secrets=False).owner
    assert harness.workspace().list_imported_assets(owner) == []

    write_globorealty(harness)
    plan = {c.address: c for c in harness.plan().resource_changes if c.is_change}
    assert sorted(plan) == ["import.raw_house_data", "schedule.raw_house_data-schedule"]
    restore = plan["import.raw_house_data"]
    assert (restore.action.value, restore.action_reason) == ("update", "restore_archived")
    assert [(f.path, f.before, f.after) for f in restore.fields] == [("archived", True, False)]
    assert harness.apply().ok
    (asset,) = harness.workspace().list_assets(["raw_house_data"])
    assert (asset.archived, [v.version for v in asset.versions]) == (False, ["1"])
    assert not harness.plan().has_changes


def _import(name: str, query: str, path: str = "raw_house_data") -> str:
    return (
        f"  {name}:\n    source:\n      type: database\n"
        f"      connection: azureml:snowflake_globorealty\n      query: {query}\n"
        f"    path: azureml://datastores/rawdata/paths/{path}\n"
    )


def _refusals(h: Harness) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        h.plan(prune=True)
    return [f"{p.path}: {p.message}" for p in refused.value.problems]


def test_no_import_writes_where_another_assets_data_is_or_into_its_asset(
    harness: Harness,
) -> None:
    """Data versions are immutable and data assets owned: another asset's import at our
    asset's path (the asset undeclared there, or archived by a rename) and another project's
    import of our asset's name are refused at plan."""
    write_globorealty(harness)
    assert harness.apply().ok
    (asset,) = harness.workspace().list_assets(["raw_house_data"])
    stored = asset.versions[0].path  # <path>/1 embedded; <path>/<job name> on Azure ML
    base = GLOBOREALTY[: GLOBOREALTY.index("imports:")] + "imports:\n"

    harness.write(base + _import("house_sales_all", "SELECT 1"))  # raw_house_data undeclared
    assert _refusals(harness) == [
        "imports.house_sales_all.path: azureml://datastores/rawdata/paths/raw_house_data overlaps "
        f"the data of data asset raw_house_data version 1, stored at {stored}; data versions "
        "are immutable, and this import would write there"
    ]

    harness.write(f"project: billing\n{base}{_import('raw_house_data', 'SELECT 2', 'billing')}")
    refusals = _refusals(harness)
    assert (
        "imports.raw_house_data: data asset raw_house_data exists and is managed by reconciler "
        "for default/test (version 1); this plan would add version 2 to it"
    ) in refusals  # (the connection and datastore are refused too: also not billing's)

    harness.write(base.removesuffix("imports:\n"))  # renamed: the old asset archived (kept)...
    assert harness.apply(prune=True).ok
    assert harness.workspace().list_imported_assets("default/test") == []
    harness.write(base + _import("raw_house_data_v2", "SELECT 1"))  # ...then the same folder
    assert [r.split(" overlaps ")[0] for r in _refusals(harness)] == [
        "imports.raw_house_data_v2.path: azureml://datastores/rawdata/paths/raw_house_data"
    ]
