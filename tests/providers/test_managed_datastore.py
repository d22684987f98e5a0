"""Imports into Azure ML's managed datastore (with its auto-delete setting) and into a
datastore's root, as the service accepts them, on both providers (issue 17, item 7)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from reconciler.core.errors import ConfigError
from tests.conftest import RunCli
from tests.emulator.conftest import call
from tests.providers.conftest import Harness
from tests.providers.test_contract import GLOBOREALTY, write_globorealty

MANAGED = "azureml://datastores/workspacemanageddatastore"
BASE = GLOBOREALTY[: GLOBOREALTY.index("imports:")] + "imports:\n"


def managed_import(name: str, query: str, auto_delete: str | None = "30d") -> str:
    setting = (
        f"    auto_delete_setting: {{condition: created_greater_than, value: {auto_delete}}}\n"
        if auto_delete
        else ""
    )
    return (
        f"  {name}:\n    source:\n      type: database\n"
        f"      connection: azureml:snowflake_globorealty\n      query: {query}\n"
        f"    path: {MANAGED}\n{setting}"
    )


def changes(h: Harness) -> dict[str, Any]:
    return {c.address: c for c in h.plan().resource_changes if c.is_change}


def test_imports_into_the_managed_datastore_each_get_their_own_folder_and_expire(
    harness: Harness, invoke: RunCli
) -> None:
    write_globorealty(harness)
    two = managed_import("houses", "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW")
    two += managed_import(
        "houses_3br", "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW WHERE BEDROOMS = 3"
    )
    two += '    schedule: {trigger: {type: cron, expression: "0 3 * * *"}}\n'
    harness.write(BASE + two)  # two imports, one path: the service places each run

    planned = changes(harness)
    assert planned["import.houses"].action.value == "materialize"
    fields = {f.path: f.after for f in planned["import.houses"].fields}
    assert fields["path"] == MANAGED
    assert fields["auto_delete_setting.condition"] == "created_greater_than"
    assert fields["auto_delete_setting.value"] == "30d"
    assert harness.apply().ok

    assets = {a.name: a for a in harness.workspace().list_assets(["houses", "houses_3br"])}
    (houses,) = assets["houses"].versions
    (three,) = assets["houses_3br"].versions
    assert houses.path.startswith(MANAGED + "/paths/") and three.path.startswith(MANAGED)
    assert houses.path != three.path  # each run its own folder
    assert houses.auto_delete is not None
    assert (houses.auto_delete.condition, houses.auto_delete.value) == (
        "created_greater_than",
        "30d",
    )
    assert not harness.plan().has_changes

    # the setting is the version's metadata: changed in place, no new import
    longer = managed_import("houses", "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW", "45d")
    harness.write(BASE + longer + two[two.index("  houses_3br:") :])
    update = changes(harness)
    assert list(update) == ["import.houses"]
    assert update["import.houses"].action.value == "update"
    assert [(f.path, f.before, f.after) for f in update["import.houses"].fields] == [
        ("auto_delete_setting.value", "30d", "45d")
    ]
    assert harness.apply().ok
    (houses_after,) = harness.workspace().list_assets(["houses"])[0].versions
    assert houses_after.auto_delete is not None and houses_after.auto_delete.value == "45d"
    assert not harness.plan().has_changes

    exported = invoke("export", "--env", "test", "--kind", "import", cwd=harness.root)
    assert exported.code == 0, exported.output
    houses_yaml = yaml.safe_load(exported.stdout)["imports"]["houses"]
    assert houses_yaml["path"] == MANAGED
    assert houses_yaml["auto_delete_setting"] == {
        "condition": "created_greater_than",
        "value": "45d",
    }


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_what_the_sdk_sends_for_the_managed_datastore(harness: Harness, emulator: Any) -> None:
    """azure-ai-ml's import_data makes the bare URI the datastore's root (a sub-path is refused)
    and ${{name}} a folder per run; the auto-delete setting goes on the version afterwards, as
    `data.create_or_update` sends it (the SDK refuses one on an import's job output)."""
    write_globorealty(harness)
    harness.write(BASE + managed_import("houses", "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW"))
    assert harness.apply().ok

    jobs = call(emulator, "GET", "/jobs?api-version=2024-01-01-preview&jobType=Pipeline").body
    (job,) = jobs["value"]
    (node,) = job["properties"]["jobs"].values()
    assert node["outputs"]["sink"]["uri"] == MANAGED + "/paths/${{name}}"
    version = call(emulator, "GET", "/data/houses/versions/1?api-version=2023-04-01-preview")
    props = version.body["properties"]
    assert props["autoDeleteSetting"] == {"condition": "createdGreaterThan", "value": "30d"}
    assert props["dataUri"].endswith(f"/datastores/workspacemanageddatastore/paths/{job['name']}/")


def test_a_datastores_root_is_a_target_that_holds_everything_on_it(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok  # raw_house_data's version 1 is on rawdata
    root = GLOBOREALTY.replace(
        "path: azureml://datastores/rawdata/paths/raw_house_data",
        "path: azureml://datastores/rawdata/paths/",
    ).replace("  raw_house_data:", "  everything:")
    harness.write(root)

    with pytest.raises(ConfigError) as refused:
        harness.plan()

    (problem,) = refused.value.problems
    assert problem.path == "imports.everything.path"
    assert problem.message.startswith(
        "azureml://datastores/rawdata/paths/ overlaps the data of data asset raw_house_data "
        "version 1"
    )

    harness.write(
        root.replace("datastores/rawdata/paths/\n", "datastores/workspaceblobstore/paths/\n")
    )
    plan = changes(harness)  # an empty datastore's root is fine
    assert plan["import.everything"].action.value == "materialize"
    assert harness.apply().ok
    (everything,) = harness.workspace().list_assets(["everything"])
    assert everything.versions[0].path.startswith("azureml://datastores/workspaceblobstore/paths/")
    assert not harness.plan().has_changes
