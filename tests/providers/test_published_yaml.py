"""Microsoft's published YAML for every connection and datastore type, on both providers.

Each file of ``tests/fixtures/aml_yaml`` (Learn's reference and how-to pages, azureml-examples,
azure-ai-ml's own test configurations) pasted under ``connections:`` or ``datastores:`` with its
name as the key (`tests.samples`): it validates, plans, applies and then plans no changes, on
the embedded workspace and through the real SDK against the emulator. The same resources made
by another tool (azure-ai-ml's ``load_connection``/``load_datastore`` and ``create_or_update``,
or the REST body the service stores) and then declared are adopted with no field changed, by
the Azure provider and by the embedded workspace reading the same store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.config import desired_state
from reconciler.core.plan import Action, Reason
from reconciler.engine.planner import build_plan
from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import FakeCredential
from tests.emulator.conftest import call
from tests.providers.conftest import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, Harness
from tests.samples import SECRET_VALUE, SECRET_VARIABLE, Sample, all_files, pasted, unique

# Published YAML reconciler refuses, and why (what it says is checked in tests/unit)
REFUSED = {
    "azure_ai_services-aad.learn.yml": "ai_services_resource_id",
    "azure_ai_services-api_key.learn.yml": "ai_services_resource_id",
    "azure_sql_db-sql_auth.legacy.yml": "unknown connection type",
    "container_registry-managed_identity.yml": "not valid YAML",
    "datastore-one_lake-none.yml": "not valid YAML",
}
# Published YAML azure-ai-ml 1.35 itself cannot load (reconciler translates it): made by
# another tool through the REST body the SDK sends for their siblings instead
SDK_CANNOT_LOAD = {
    "azure_blob-account_key.learn.yml",
    "azure_blob-sas.learn.yml",
    "azure_one_lake-aad.learn.yml",
    "azure_one_lake-service_principal.learn.yml",
    "serverless-api_key.learn.yml",
    "azure_sql_db-sql_auth.howto.yml",
}
# The types and credentials no published file shows, in az ml's YAML shape
OURS = """\
connections:
  ai_services_key:
    type: azure_ai_services
    endpoint: https://globorealty.cognitiveservices.azure.com/
    ai_services_resource_id: /subscriptions/s/resourceGroups/rg/providers/ai/accounts/gr
    api_key: ${env:SAMPLE_SECRET}
  openai_versioned:
    type: azure_open_ai
    azure_endpoint: https://globorealty.openai.azure.com/
    api_version: 2024-02-01
    open_ai_resource_id: /subscriptions/s/resourceGroups/rg/providers/ai/accounts/oai
    credentials: {type: api_key, key: "${env:SAMPLE_SECRET}"}
    is_shared: false
    metadata: {team: pricing}
  lake_identity:
    type: azure_data_lake_gen2
    target: https://globorealty.dfs.core.windows.net/lake
    credentials: {type: managed_identity, client_id: 0000-client, resource_id: /subscriptions/s/uai}
  onelake_guid:
    type: azure_one_lake
    endpoint: onelake.dfs.fabric.microsoft.com
    one_lake_workspace_name: 0123abcd-0123-0123-0123-0123456789ab
    artifact: {type: lake_house, name: 3210dcba-0123-0123-0123-0123456789ab}
  custom_open:
    type: custom
    target: https://api.globorealty.example
  synapse_sales:
    type: azure_synapse_analytics
    target: Server=tcp:gr.sql.azuresynapse.net,1433;Database=sales
    credentials: {type: username_password, username: loader, password: "${env:SAMPLE_SECRET}"}
  mysql_sales:
    type: azure_my_sql_db
    target: gr.mysql.database.azure.com
    credentials: {type: username_password, username: loader, password: "${env:SAMPLE_SECRET}"}
  postgres_sales:
    type: azure_postgres_db
    target: gr.postgres.database.azure.com
    credentials: {type: username_password, username: loader, password: "${env:SAMPLE_SECRET}"}
  speech_entra:
    type: azure_speech
    endpoint: https://globorealty.cognitiveservices.azure.com/
datastores:
  gen2-certificate:
    type: azure_data_lake_gen2
    account_name: globorealtylake
    filesystem: bronze
    credentials:
      tenant_id: 00000000-0000-0000-0000-0000000000aa
      client_id: 00000000-0000-0000-0000-0000000000cc
      thumbprint: 0123456789ABCDEF0123456789ABCDEF01234567
      certificate: ${env:SAMPLE_SECRET}
  gen1-certificate:
    type: azure_data_lake_gen1
    store_name: globorealtygen1
    credentials:
      tenant_id: 00000000-0000-0000-0000-0000000000aa
      client_id: 00000000-0000-0000-0000-0000000000cc
      thumbprint: 0123456789ABCDEF0123456789ABCDEF01234567
      certificate: ${env:SAMPLE_SECRET}
    tags: {zone: gen1}
  gen2-resource:
    type: azure_data_lake_gen2
    account_name: globorealtylake
    filesystem: silver
    credentials:
      tenant_id: 00000000-0000-0000-0000-0000000000aa
      client_id: 00000000-0000-0000-0000-0000000000cc
      client_secret: ${env:SAMPLE_SECRET}
      resource_url: https://storage.azure.com/
"""


def accepted() -> list[Sample]:
    files = [f for s in ("connections", "datastores") for f in all_files(s) if f not in REFUSED]
    return unique(files)


def declared() -> str:
    """Every accepted sample and OURS in one platform.yaml."""
    samples = pasted(accepted())
    head, _, tail = samples.partition("datastores:\n")
    ours_connections, _, ours_datastores = OURS.removeprefix("connections:\n").partition(
        "datastores:\n"
    )
    return head + ours_connections + "datastores:\n" + tail + ours_datastores


def addresses(text: str) -> set[str]:
    state = desired_state_of(text)
    return {r.address for r in state.resources}


def desired_state_of(text: str) -> Any:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "platform.yaml").write_text(text)
        (root / "environments").mkdir()
        (root / "environments/x.yaml").write_text("{}\n")
        return desired_state(root, "x", with_secrets=False)


@pytest.mark.parametrize("harness", ["local", "azureml"], indirect=True)
def test_published_yaml_applies_and_then_plans_no_changes(harness: Harness) -> None:
    text = declared()
    harness.write(text, **{SECRET_VARIABLE: SECRET_VALUE})
    plan = harness.plan()
    wanted = addresses(text)
    assert {c.address: c.action for c in plan.resource_changes} == dict.fromkeys(
        wanted, Action.CREATE
    )
    result = harness.apply()
    assert result.ok, result.results
    again = harness.plan()
    assert not again.has_changes, [
        (c.address, c.fields) for c in again.resource_changes if c.fields
    ]


def _made_by_the_sdk(emulator: Any, samples: list[Sample], folder: Path) -> None:
    """Each sample as az ml makes it: azure-ai-ml loads the published file (its secrets as
    written there) and creates it."""
    from azure.ai.ml import MLClient, load_connection, load_datastore

    ml = MLClient(FakeCredential(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
    for item in samples:
        path = folder / item.file
        path.write_text(item.body.replace(f"${{env:{SECRET_VARIABLE}}}", "sdk-made-secret"))
        if item.section == "connections":
            ml.connections.create_or_update(load_connection(source=path))
        else:
            ml.datastores.create_or_update(load_datastore(source=path))


MADE_BY_REST = (
    "my_blobstore_ak",
    "my_blobstore_sas",
    "myonelake_cl",
    "myonelake_sp",
    "my_maas_apk",
    "azure_sql_db_sql_auth_howto",
    "ai_services_key",
    "openai_versioned",
)


def _made_by_rest(emulator: Any) -> None:
    """The rest as the service stores what another tool sent (the bodies azure-ai-ml sends for
    the same YAML; research: connections-research.md, section 3)."""
    bodies: dict[str, dict[str, Any]] = {
        "my_blobstore_ak": {
            "category": "AzureBlob",
            "authType": "AccountKey",
            "target": "myendpoint",
            "credentials": {"sas": "hand-made-key"},  # azure-ai-ml's account key, as it sends
            "metadata": {"ContainerName": "dummycont", "AccountName": "mystroageacct"},
            "isSharedToAll": True,
        },
        "my_blobstore_sas": {
            "category": "AzureBlob",
            "authType": "SAS",
            "target": "myendpoint",
            "credentials": {"sas": "hand-made-sas"},
            "metadata": {"ContainerName": "dummycont", "AccountName": "mystroageacct"},
            "isSharedToAll": True,
        },
        "myonelake_cl": {
            "category": "AzureOneLake",
            "authType": "AAD",
            "target": "https://contoso-onelake.dfs.fabric.microsoft.com/XXXXXXXXXX/XXXXXXXXXX.Lakehouse",
            "metadata": {},
            "isSharedToAll": True,
        },
        "myonelake_sp": {
            "category": "AzureOneLake",
            "authType": "ServicePrincipal",
            "target": "https://contoso-onelake.dfs.fabric.microsoft.com/XXXXXXXXXX/XXXXXXXXXX.Lakehouse",
            "credentials": {
                "clientId": "XXXXXXXXXX",
                "clientSecret": "s",
                "tenantId": "XXXXXXXXXX",
            },
            "metadata": {},
            "isSharedToAll": True,
        },
        "my_maas_apk": {
            "category": "Serverless",
            "authType": "ApiKey",
            "target": "https://serverless.endpoint.net/",
            "credentials": {"key": "hand-made-key"},
            "metadata": {},
            "isSharedToAll": True,
        },
        "azure_sql_db_sql_auth_howto": {
            "category": "AzureSqlDb",
            "authType": "UsernamePassword",
            "target": "Server=tcp:<server>,<port>;Database=<database>;Trusted_Connection=False;"
            "Encrypt=True;Connection Timeout=30",
            "credentials": {"username": "<username>", "password": "hand-made-password"},
            "metadata": {},
            "isSharedToAll": True,
        },
        "ai_services_key": {
            "category": "AIServices",
            "authType": "ApiKey",
            "target": "https://globorealty.cognitiveservices.azure.com/",
            "credentials": {"key": "hand-made-key"},
            "metadata": {
                "ResourceId": "/subscriptions/s/resourceGroups/rg/providers/ai/accounts/gr"
            },
            "isSharedToAll": True,
        },
        "openai_versioned": {
            "category": "AzureOpenAi",
            "authType": "ApiKey",
            "target": "https://globorealty.openai.azure.com/",
            "credentials": {"key": "hand-made-key"},
            "metadata": {
                "team": "pricing",
                "ApiType": "Azure",
                "ApiVersion": "2024-02-01",
                "ResourceId": "/subscriptions/s/resourceGroups/rg/providers/ai/accounts/oai",
            },
            "isSharedToAll": False,
        },
    }
    assert sorted(bodies) == sorted(MADE_BY_REST)
    for name, properties in bodies.items():
        reply = call(
            emulator,
            "PUT",
            f"/connections/{name}?api-version=2024-04-01-preview",
            {"properties": properties},
        )
        assert reply.status in (200, 201), (name, reply.body)


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_published_yaml_made_by_another_tool_is_adopted_with_no_field_changed(
    harness: Harness, emulator: Any, tmp_path: Path
) -> None:
    samples = [s for s in accepted() if s.file not in SDK_CANNOT_LOAD]
    folder = tmp_path / "sdk"
    folder.mkdir()
    _made_by_the_sdk(emulator, samples, folder)
    _made_by_rest(emulator)
    made = {s.address for s in samples} | {f"connection.{name}" for name in MADE_BY_REST}
    text = declared()
    harness.write(text, **{SECRET_VARIABLE: SECRET_VALUE})
    wanted = addresses(text)
    assert made <= wanted

    for plan in (harness.plan(), _embedded_plan(harness)):
        changes = {c.address: c for c in plan.resource_changes}
        for address in sorted(made):
            change = changes[address]
            assert (change.action, change.action_reason) == (Action.UPDATE, Reason.ADOPT), address
            assert [f.path for f in change.fields if not f.sensitive] == [], address

    assert harness.apply().ok
    again = harness.plan()
    assert not again.has_changes, [
        (c.address, c.fields) for c in again.resource_changes if c.fields
    ]


def _embedded_plan(harness: Harness) -> Any:
    """The embedded workspace's plan on the emulator's store (what it holds, as written)."""
    overlay = harness.root / "environments/test.yaml"
    saved = overlay.read_text()
    overlay.write_text("env_file: environments/test.env\nworkspace: {provider: local, path: ws}\n")
    try:
        desired = desired_state(harness.root, "test")
        return build_plan(desired, LocalWorkspace(harness.root / "ws", label="ws"))
    finally:
        overlay.write_text(saved)
