"""Adopting a workspace made with plain azure-ai-ml code, through the emulator: export, plan
(adoption only), apply, plan (no changes). The user name of a connection is not returned by
Azure ML, so export asks for it as a variable."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from azure.ai.ml import MLClient

from reconciler_testing.emulator import FakeCredential
from tests.conftest import RunCli
from tests.emulator.conftest import call
from tests.emulator.test_imports import connect, import_houses, wait_for
from tests.providers.conftest import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, Harness


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_a_workspace_made_with_the_sdk_is_exported_and_adopted(
    harness: Harness, emulator: Any, invoke: RunCli
) -> None:
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore

    ml = MLClient(FakeCredential(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
    connect(ml, harness.snowflake)
    ml.datastores.create_or_update(
        AzureBlobDatastore(
            name="bronze",
            account_name="globorealtydata",
            container_name="bronze",
            credentials=AccountKeyConfiguration(account_key="sdk-made-account-key-1234"),
            tags={"layer": "bronze"},
        )
    )
    submitted = import_houses(ml)
    assert wait_for(ml, submitted.name).status == "Completed"
    harness.write("{}\n")

    exported = invoke("export", "--env", "test", cwd=harness.root)
    assert exported.code == 0, exported.output
    data = yaml.safe_load(exported.stdout)
    credentials = data["connections"]["snowflake_globorealty"]["credentials"]
    assert credentials["username"] == "${SNOWFLAKE_GLOBOREALTY_USERNAME}"  # never returned
    assert credentials["password"] == "${env:SNOWFLAKE_GLOBOREALTY_PASSWORD}"
    assert data["datastores"]["bronze"]["credentials"] == {
        "account_key": "${env:BRONZE_ACCOUNT_KEY}"
    }
    assert (
        data["imports"]["houses"]["path"] == "azureml://datastores/workspaceblobstore/paths/houses"
    )

    harness.write(
        exported.stdout,
        SNOWFLAKE_GLOBOREALTY_USERNAME=harness.snowflake.username,
        SNOWFLAKE_GLOBOREALTY_PASSWORD=harness.snowflake.password,
        BRONZE_ACCOUNT_KEY="sdk-made-account-key-1234",
    )
    plan = harness.plan()
    changed = {c.address: c.action_reason for c in plan.resource_changes if c.is_change}
    assert changed == {  # the data asset too: its version is labelled, nothing imported
        "connection.snowflake_globorealty": "adopt_unmanaged",
        "datastore.bronze": "adopt_unmanaged",
        "import.houses": "adopt_unmanaged",
    }
    assert harness.apply().ok
    after = harness.plan()
    assert not after.has_changes, [(c.address, c.fields) for c in after.resource_changes]


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_connections_reconciler_does_not_model_are_listed_not_fatal(
    harness: Harness, emulator: Any, invoke: RunCli
) -> None:
    """A Pinecone connection (a category the service has and az ml's YAML does not) is listed
    as not declarable; plans go on."""
    body = {
        "properties": {
            "authType": "ApiKey",
            "category": "Pinecone",
            "target": "https://globorealty.pinecone.io/",
            "metadata": {"Environment": "prod"},
            "credentials": {"key": "openai-key-never-shown"},
        }
    }
    reply = call(emulator, "PUT", "/connections/team_openai?api-version=2024-04-01-preview", body)
    assert reply.status in (200, 201), reply.body
    harness.write("{}\n")

    exported = invoke("export", "--env", "test", cwd=harness.root)
    assert exported.code == 0, exported.output
    assert "connection.team_openai" in exported.stdout  # named in the skipped list
    assert "is not modelled by reconciler" in exported.stdout
    assert "openai-key-never-shown" not in exported.output

    planned = invoke("plan", "--env", "test", cwd=harness.root)
    assert planned.code == 0, planned.output
    assert "openai-key-never-shown" not in planned.output


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_an_adopted_import_shows_its_job_and_its_secrets_as_not_compared(
    harness: Harness, emulator: Any, invoke: RunCli
) -> None:
    """Issue 17 defect 6: status said "never run" although the SDK's completed import made the
    version, and the adoption plan called secrets nobody could compare "(changed)"."""
    ml = MLClient(FakeCredential(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
    connect(ml, harness.snowflake)
    submitted = import_houses(ml)
    assert wait_for(ml, submitted.name).status == "Completed"
    harness.write("{}\n")
    exported = invoke("export", "--env", "test", cwd=harness.root).stdout
    harness.write(
        exported,
        SNOWFLAKE_GLOBOREALTY_USERNAME=harness.snowflake.username,
        SNOWFLAKE_GLOBOREALTY_PASSWORD=harness.snowflake.password,
    )

    plan = invoke("plan", "--env", "test", cwd=harness.root)
    assert plan.code == 0, plan.output
    assert "credentials.password: (sensitive, not compared: written on adoption)" in plan.stdout
    assert "(changed)" not in plan.stdout
    assert harness.apply().ok
    status = invoke("status", "--env", "test", cwd=harness.root)
    assert status.code == 0, status.output
    (row,) = [line for line in status.stdout.splitlines() if line.startswith("houses ")]
    assert "Completed" in row and "never run" not in row
    assert "(changed)" not in invoke("plan", "--env", "test", cwd=harness.root).stdout
