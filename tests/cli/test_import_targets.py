"""Where an import may write, checked at validate: Azure ML's managed datastore (each run in a
folder the service names, so several imports share it), a datastore's root (which holds
everything on it), and the auto-delete setting only the managed datastore honours."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LOCAL, PLATFORM, RunCli, local_env, write_project

MANAGED = "azureml://datastores/workspacemanageddatastore"
IMPORT = """\
  {name}:
    source:
      type: database
      connection: azureml:snowflake_globorealty
      query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW
    path: {path}
"""


def project(tmp_path: Path, *imports: str) -> Path:
    platform = PLATFORM[: PLATFORM.index("imports:")] + "imports:\n" + "".join(imports)
    return write_project(
        tmp_path,
        {
            "platform.yaml": platform,
            "environments/local.yaml": LOCAL,
            "environments/local.env": local_env(),
        },
    )


def line_of(root: Path, text: str) -> int:
    lines = (root / "platform.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_imports_may_share_the_managed_datastore_and_expire_there(
    tmp_path: Path, invoke: RunCli
) -> None:
    expiring = "    auto_delete_setting: {condition: last_accessed_greater_than, value: 90d}\n"
    root = project(
        tmp_path,
        IMPORT.format(name="houses", path=MANAGED) + expiring,
        IMPORT.format(name="houses_copy", path=MANAGED + "/"),
    )

    result = invoke("validate", cwd=root)

    assert result.code == 0, result.output


def test_a_sub_path_of_the_managed_datastore_is_refused_as_azure_ml_refuses_it(
    tmp_path: Path, invoke: RunCli
) -> None:
    root = project(tmp_path, IMPORT.format(name="houses", path=MANAGED + "/paths/houses"))

    result = invoke("validate", cwd=root)

    assert result.code == 1
    line = line_of(root, "path: azureml://datastores/workspacemanageddatastore/paths/houses")
    assert (
        f"platform.yaml:{line}:5: imports.houses.path: Azure ML places imports into its managed "
        f"datastore itself: a sub-path cannot be given; write {MANAGED}"
    ) in result.stderr


def test_auto_delete_is_refused_where_azure_ml_would_not_honour_it(
    tmp_path: Path, invoke: RunCli
) -> None:
    path = "azureml://datastores/rawdata/paths/houses"
    expiring = "    auto_delete_setting: {value: 30d}\n"
    root = project(tmp_path, IMPORT.format(name="houses", path=path) + expiring)

    result = invoke("validate", cwd=root)

    assert result.code == 1
    line = line_of(root, "auto_delete_setting")
    assert (
        f"platform.yaml:{line}:5: imports.houses.auto_delete_setting: Azure ML deletes imported "
        f"data by itself only in its managed datastore; this import writes to {path}: set "
        f"path: {MANAGED}, or remove auto_delete_setting"
    ) in result.stderr


def test_a_datastores_root_overlaps_every_other_import_on_it(
    tmp_path: Path, invoke: RunCli
) -> None:
    root = project(
        tmp_path,
        IMPORT.format(name="houses", path="azureml://datastores/rawdata/paths/houses"),
        IMPORT.format(name="everything", path="azureml://datastores/rawdata/paths/"),
    )

    result = invoke("validate", cwd=root)

    assert result.code == 1
    assert (
        "imports.houses.path: azureml://datastores/rawdata/paths/houses is inside the path of "
        "import 'everything'"
    ) in result.stderr
