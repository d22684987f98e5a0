"""Datastores through the real SDK: every credential type, stripped secrets, system store."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.essences import Kind
from reconciler.core.vocabulary import SYSTEM_DATASTORES
from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import Emulator


def datastores() -> list[Any]:
    from azure.ai.ml.entities import (
        AccountKeyConfiguration,
        AzureBlobDatastore,
        AzureDataLakeGen2Datastore,
        AzureFileDatastore,
        SasTokenConfiguration,
        ServicePrincipalConfiguration,
    )

    principal = ServicePrincipalConfiguration(
        tenant_id="00000000-0000-0000-0000-000000000001",
        client_id="00000000-0000-0000-0000-000000000002",
        client_secret="cs-1",
    )
    return [
        AzureBlobDatastore(
            name="blob_key",
            account_name="acct",
            container_name="raw",
            description="raw data",
            tags={"team": "data"},
            credentials=AccountKeyConfiguration(account_key="ak-1"),
        ),
        AzureBlobDatastore(
            name="blob_sas",
            account_name="acct",
            container_name="raw",
            credentials=SasTokenConfiguration(sas_token="sv=1&sig=x"),
        ),
        AzureBlobDatastore(name="blob_none", account_name="acct", container_name="raw"),
        AzureDataLakeGen2Datastore(
            name="adls_sp", account_name="lake", filesystem="fs", credentials=principal
        ),
        AzureDataLakeGen2Datastore(name="adls_none", account_name="lake", filesystem="fs"),
        AzureFileDatastore(
            name="files_key",
            account_name="acct",
            file_share_name="share",
            credentials=AccountKeyConfiguration(account_key="ak-2"),
        ),
    ]


SECRETS = {
    "blob_key": ("account_key", "ak-1"),
    "blob_sas": ("sas_token", "sv=1&sig=x"),
    "adls_sp": ("client_secret", "cs-1"),
    "files_key": ("account_key", "ak-2"),
}


def test_every_credential_type_round_trips(ml: Any, emulator: Emulator) -> None:
    for store in datastores():
        ml.datastores.create_or_update(store)

    for name, (field, value) in SECRETS.items():
        plain = ml.datastores.get(name)
        assert getattr(plain.credentials, field, None) is None, name  # stripped on GET
        secret = ml.datastores.get(name, include_secrets=True)
        assert getattr(secret.credentials, field) == value
    principal = ml.datastores.get("adls_sp").credentials
    assert (principal.tenant_id, principal.client_id) == (
        "00000000-0000-0000-0000-000000000001",
        "00000000-0000-0000-0000-000000000002",
    )
    assert (
        type(ml.datastores.get("blob_none").credentials).__name__ == "NoneCredentialConfiguration"
    )
    key = ml.datastores.get("blob_key")
    assert (key.description, key.tags, key.container_name) == ("raw data", {"team": "data"}, "raw")
    assert ml.datastores.get("files_key").file_share_name == "share"
    assert emulator.stats()["routes"]["POST /datastores/{name}/listSecrets"] == 4


def test_store_bodies_are_the_local_provider_essences(ml: Any, emulator: Emulator) -> None:
    for store in datastores():
        ml.datastores.create_or_update(store)

    local = LocalWorkspace(emulator.root)
    try:
        live = {r.name: r for r in local.list_resources(Kind.DATASTORE)}
        secrets = local.store.secrets("datastore", "adls_sp")
    finally:
        local.close()
    assert live["blob_key"].spec == {
        "type": "azure_blob",
        "account_name": "acct",
        "container_name": "raw",
        "endpoint": "core.windows.net",
        "protocol": "https",
        "description": "raw data",
        "credentials": {"type": "account_key"},
        "tags": {"team": "data"},
    }
    assert live["adls_sp"].spec["credentials"] == {
        "type": "service_principal",
        "tenant_id": "00000000-0000-0000-0000-000000000001",
        "client_id": "00000000-0000-0000-0000-000000000002",
        "authority_url": "https://login.microsoftonline.com",
    }
    assert live["files_key"].spec["file_share_name"] == "share"
    assert live["blob_none"].spec["credentials"] == {"type": "none"}
    assert secrets == {"credentials.client_secret": "cs-1"}
    assert live["workspaceblobstore"].system


def test_create_answers_201_then_update_200(ml: Any, emulator: Emulator) -> None:
    store = datastores()[0]
    ml.datastores.create_or_update(store)
    store.description = "changed"
    assert ml.datastores.create_or_update(store).description == "changed"

    assert emulator.stats()["statuses"] == {200: 1, 201: 1}


def test_system_datastore_is_listed_default_and_undeletable(ml: Any) -> None:
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    ml.datastores.create_or_update(datastores()[2])

    assert {d.name for d in ml.datastores.list()} == {"blob_none", *SYSTEM_DATASTORES}
    assert ml.datastores.get_default().name == "workspaceblobstore"
    with pytest.raises(HttpResponseError, match="system datastore") as raised:
        ml.datastores.delete("workspaceblobstore")
    assert raised.value.status_code == 400
    assert ml.datastores.get("workspaceblobstore").name == "workspaceblobstore"
    ml.datastores.delete("blob_none")
    with pytest.raises(ResourceNotFoundError, match="Could not find datastore: blob_none"):
        ml.datastores.get("blob_none")


def test_list_pages_follow_next_links(make_emulator: Any, make_client: Any) -> None:
    emulator = make_emulator(page_size=2)
    ml = make_client(emulator)
    for store in datastores():
        ml.datastores.create_or_update(store)

    names = [d.name for d in ml.datastores.list()]

    assert sorted(names) == sorted([d.name for d in datastores()] + [*SYSTEM_DATASTORES])
    assert emulator.stats()["routes"]["GET /datastores"] == 5  # 10 datastores, 2 per page


@pytest.mark.parametrize(
    ("name", "properties"),
    [
        (
            "gen1_store",
            {
                "datastoreType": "AzureDataLakeGen1",
                "storeName": "gen1account",
                "credentials": {
                    "credentialsType": "ServicePrincipal",
                    "tenantId": "00000000-0000-0000-0000-0000000000aa",
                    "clientId": "00000000-0000-0000-0000-0000000000cc",
                    "authorityUrl": "https://login.microsoftonline.com",
                    "secrets": {"secretsType": "ServicePrincipal", "clientSecret": "cs-9"},
                },
            },
        ),
        (
            "onelake_store",
            {
                "datastoreType": "OneLake",
                "oneLakeWorkspaceName": "fabric-ws",
                "endpoint": "onelake.dfs.fabric.microsoft.com",
                "artifact": {"artifactType": "LakeHouse", "artifactName": "lh"},
                "credentials": {"credentialsType": "None"},
            },
        ),
    ],
)
def test_adls_gen1_and_onelake_datastores_are_kept_and_answered(
    emulator: Emulator, name: str, properties: dict[str, Any]
) -> None:
    from tests.emulator.conftest import call

    path = f"/datastores/{name}?api-version=2024-10-01-preview"
    put = call(emulator, "PUT", path, {"properties": {**properties, "tags": {"k": "v"}}})

    assert put.status == 201
    got = call(emulator, "GET", path).body["properties"]
    expected = {k: v for k, v in properties.items() if k != "credentials"}
    assert {k: got[k] for k in expected} == expected
    assert got["tags"] == {"k": "v"}
    assert "secrets" not in got["credentials"]  # stripped, as the service does
    assert got["credentials"]["credentialsType"] == properties["credentials"]["credentialsType"]


def test_the_sdk_reads_an_adls_gen1_datastore(ml: Any) -> None:
    from azure.ai.ml.entities import AzureDataLakeGen1Datastore

    ml.datastores.create_or_update(AzureDataLakeGen1Datastore(name="gen1", store_name="acct1"))

    got = ml.datastores.get("gen1")
    assert (type(got).__name__, got.store_name) == ("AzureDataLakeGen1Datastore", "acct1")
    assert sorted(d.name for d in ml.datastores.list()) == sorted({"gen1", *SYSTEM_DATASTORES})


def test_a_tenant_or_client_id_that_is_not_a_guid_is_refused(emulator: Emulator) -> None:
    """The REST specification types them format: uuid (found by the specification check)."""
    from tests.emulator.conftest import call

    body = {
        "properties": {
            "datastoreType": "AzureDataLakeGen1",
            "storeName": "gen1account",
            "credentials": {
                "credentialsType": "ServicePrincipal",
                "tenantId": "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX",
                "clientId": "00000000-0000-0000-0000-0000000000cc",
                "secrets": {"secretsType": "ServicePrincipal", "clientSecret": "cs-9"},
            },
        }
    }
    reply = call(emulator, "PUT", "/datastores/gen1?api-version=2024-10-01-preview", body)

    assert reply.status == 400
    assert "'tenantId' is not a valid GUID" in reply.body["error"]["message"]
