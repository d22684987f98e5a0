"""Adopting an existing workspace: `reconcile export` writes what it holds as platform.yaml;
then a plan only adopts, apply adopts, and the next plan shows no changes."""

from __future__ import annotations

from pathlib import Path

import yaml

from reconciler.config.build import import_essence
from reconciler.config.model.imports import DatabaseSource, DataImport
from reconciler.core.essences import ConnectionEssence, Credentials, DatastoreEssence, Kind
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import LOCAL, RunCli, write_project
from tests.snowflake_fixture import LocalSnowflake

QUERY = """\
SELECT PROPERTY_ID, SALE_PRICE
FROM GLOBOREALTY.REAL_ESTATE.RAW
WHERE BEDROOMS >= 3
"""


def made_by_hand(root: Path, snowflake: LocalSnowflake) -> None:
    """A workspace made by scripts and the portal: nothing in it is managed by reconciler."""
    workspace = LocalWorkspace(root)
    workspace.put(
        Kind.CONNECTION,
        "snowflake_prod",
        ConnectionEssence(
            type="snowflake",
            target=snowflake.jdbc_target,
            credentials=Credentials(type="username_password", username=snowflake.username),
            tags={"owner": "data-platform"},
        ),
        {"credentials.password": snowflake.password},
        {},
    )
    workspace.put(
        Kind.DATASTORE,
        "bronze",
        DatastoreEssence(
            type="azure_blob",
            account_name="globorealtydata",
            container_name="bronze",
            description="Raw data",
            credentials=Credentials(type="account_key"),
        ),
        {"credentials.account_key": "hand-made-account-key-1234"},
        {},
    )
    workspace.put(
        Kind.DATASTORE,
        "lake",
        DatastoreEssence(type="azure_data_lake_gen1", store_name="globorealtylake"),
        {},
        {},
    )
    workspace.put(
        Kind.CONNECTION,
        "vault",
        ConnectionEssence(type="azure_key_vault", target="https://kv.vault.azure.net"),
        {},
        {},
    )
    item = DataImport(
        source=DatabaseSource(type="database", connection="snowflake_prod", query=QUERY),
        path="azureml://datastores/bronze/paths/houses",
        description="Houses with three bedrooms or more",
        tags={"layer": "bronze"},
    )
    job = workspace.materialize("houses", "1", import_essence(item))
    assert job.status == "Completed", job.error
    workspace.close()


def test_export_then_plan_only_adopts_then_apply_then_no_changes(
    tmp_path: Path, invoke: RunCli, local_snowflake: LocalSnowflake
) -> None:
    project = write_project(
        tmp_path,
        {
            "platform.yaml": "{}\n",
            "environments/local.yaml": LOCAL.replace("env_file: environments/local.env\n", ""),
        },
    )
    made_by_hand(project / ".reconcile/local", local_snowflake)

    exported = invoke("export", "--out", "exported.yaml", cwd=project)
    assert exported.code == 0, exported.output
    text = (project / "exported.yaml").read_text()
    assert "SNOWFLAKE_PROD_PASSWORD  (secret)" in text and "BRONZE_ACCOUNT_KEY  (secret)" in text
    assert "connection.vault: connection type 'azure_key_vault' is not modelled" in text
    assert "datastore.workspaceblobstore: a system datastore" in text
    assert "query: |\n" in text  # multi-line queries stay readable
    assert "SNOWFLAKE_PROD_PASSWORD, BRONZE_ACCOUNT_KEY" in exported.stderr or (
        "BRONZE_ACCOUNT_KEY, SNOWFLAKE_PROD_PASSWORD" in exported.stderr
    )
    data = yaml.safe_load(text)
    assert data["imports"]["houses"]["source"]["query"] == QUERY
    assert data["imports"]["houses"]["tags"] == {"layer": "bronze"}

    (project / "platform.yaml").write_text(text)
    secrets = {
        "SNOWFLAKE_PROD_PASSWORD": local_snowflake.password,
        "BRONZE_ACCOUNT_KEY": "hand-made-account-key-1234",
    }
    plan = invoke("plan", "--detailed-exitcode", "--format", "json", cwd=project, env=secrets)
    assert plan.code == 2, plan.output
    changes = yaml.safe_load(plan.stdout)["resource_changes"]
    adopted = {c["address"]: c["action_reason"] for c in changes if c["action"] != "no-op"}
    assert adopted == {  # the data asset too: its version gets reconciler's tags, no import
        "connection.snowflake_prod": "adopt_unmanaged",
        "datastore.bronze": "adopt_unmanaged",
        "datastore.lake": "adopt_unmanaged",
        "import.houses": "adopt_unmanaged",
    }
    assert {c["action"] for c in changes if c["address"] == "import.houses"} == {"update"}

    assert invoke("apply", "--auto-approve", cwd=project, env=secrets).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=project, env=secrets).code == 0


def test_export_one_kind(tmp_path: Path, invoke: RunCli, local_snowflake: LocalSnowflake) -> None:
    project = write_project(tmp_path, {"platform.yaml": "{}\n", "environments/local.yaml": LOCAL})
    (project / "environments/local.env").write_text("")
    made_by_hand(project / ".reconcile/local", local_snowflake)
    result = invoke("export", "--kind", "datastore", cwd=project)
    assert result.code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert list(data) == ["datastores"] and list(data["datastores"]) == ["bronze", "lake"]
    assert invoke("export", "--out", "platform.yaml", cwd=project).code == 1  # never overwrites
