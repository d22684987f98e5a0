"""Workspace connections through the real SDK: CRUD, list, 404, write-only secrets."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.providers.local.store import Store
from reconciler_testing.emulator import Emulator
from tests.emulator.conftest import call

TARGET = "jdbc:snowflake://acme.snowflakecomputing.com/?db=GLOBOREALTY&warehouse=WH"


def snowflake(name: str, password: str = "pw-1", **metadata: str) -> Any:
    from azure.ai.ml.entities import UsernamePasswordConfiguration, WorkspaceConnection

    return WorkspaceConnection(
        name=name,
        type="snowflake",
        target=TARGET,
        credentials=UsernamePasswordConfiguration(username="loader", password=password),
        metadata=dict(metadata),
    )


def test_create_get_list_delete(ml: Any, emulator: Emulator) -> None:
    from azure.ai.ml.entities import AccessKeyConfiguration, WorkspaceConnection
    from azure.core.exceptions import ResourceNotFoundError

    created = ml.connections.create_or_update(snowflake("sf_conn", team="data"))
    ml.connections.create_or_update(
        WorkspaceConnection(
            name="lake",
            type="s3",
            target="s3://bucket",
            credentials=AccessKeyConfiguration(access_key_id="AKIA1", secret_access_key="sk-1"),
        )
    )

    got = ml.connections.get("sf_conn")
    assert (created.type, got.type, got.target) == ("snowflake", "snowflake", TARGET)
    assert got.metadata == {"team": "data"}
    # secrets never come back: the SDK rebuilds the credential type from authType
    assert (got.credentials.type, got.credentials.username) == ("username_password", None)
    assert got.credentials.password is None
    assert ml.connections.get("lake").credentials.type == "access_key"
    assert sorted(c.name for c in ml.connections.list()) == ["lake", "sf_conn"]
    assert [c.name for c in ml.connections.list(connection_type="snowflake")] == ["sf_conn"]

    ml.connections.delete("lake")
    with pytest.raises(ResourceNotFoundError, match="Connection lake can't be found"):
        ml.connections.get("lake")
    ml.connections.delete("lake")  # deleting again is fine (204)
    assert emulator.stats()["statuses"][204] == 1


def test_put_answers_200_for_create_and_update(ml: Any, emulator: Emulator) -> None:
    ml.connections.create_or_update(snowflake("sf_conn"))
    ml.connections.create_or_update(snowflake("sf_conn", password="pw-2", team="x"))

    assert emulator.stats()["routes"]["PUT /connections/{name}"] == 2
    assert 201 not in emulator.stats()["statuses"]
    assert ml.connections.get("sf_conn").metadata == {"team": "x"}


def test_store_keeps_user_name_and_secrets_apart(ml: Any, emulator: Emulator) -> None:
    ml.connections.create_or_update(
        snowflake("sf_conn", "pw-secret", **{"managed-by": "reconciler"})
    )

    store = Store(emulator.root)
    try:
        record = store.get("connection", "sf_conn")
        assert record is not None
        assert {k: v for k, v in record.body.items() if k != "as_sent"} == {
            "type": "snowflake",
            "target": TARGET,
            "credentials": {"type": "username_password", "username": "loader"},
            "is_shared": True,
            "tags": {"managed-by": "reconciler"},
        }
        assert store.secrets("connection", "sf_conn") == {"credentials.password": "pw-secret"}
    finally:
        store.close()


def test_listsecrets_returns_the_credentials(ml: Any, emulator: Emulator) -> None:
    ml.connections.create_or_update(snowflake("sf_conn", "pw-secret"))

    reply = call(
        emulator, "POST", "/connections/sf_conn/listsecrets?api-version=2024-04-01-preview"
    )

    assert reply.status == 200
    assert reply.body["properties"]["credentials"] == {
        "username": "loader",
        "password": "pw-secret",
    }
    plain = call(emulator, "GET", "/connections/sf_conn?api-version=2024-04-01-preview")
    assert plain.body["properties"]["credentials"] is None


def test_every_category_the_service_accepts_is_kept_verbatim(ml: Any, emulator: Emulator) -> None:
    from azure.ai.ml.entities import (
        ManagedIdentityConfiguration,
        PatTokenConfiguration,
        UsernamePasswordConfiguration,
        WorkspaceConnection,
    )

    ml.connections.create_or_update(
        WorkspaceConnection(
            name="feed_conn",
            type="python_feed",
            target="https://pypi.example/simple",
            credentials=PatTokenConfiguration(pat="pat-secret"),
        )
    )
    ml.connections.create_or_update(
        WorkspaceConnection(
            name="acr_conn",
            type="container_registry",
            target="https://acr.example",
            credentials=ManagedIdentityConfiguration(client_id="cid", resource_id="rid"),
        )
    )
    ml.connections.create_or_update(
        WorkspaceConnection(
            name="git_conn",
            type="git",
            target="https://git.example/repo",
            credentials=UsernamePasswordConfiguration(username="u", password="pw"),
            metadata={"team": "ml"},
        )
    )

    feed, acr, git = (ml.connections.get(n) for n in ("feed_conn", "acr_conn", "git_conn"))
    assert (feed.type, feed.target, feed.credentials.type) == (
        "python_feed",
        "https://pypi.example/simple",
        "pat",
    )
    assert (acr.type, acr.credentials.type) == ("container_registry", "managed_identity")
    assert (git.type, git.metadata) == ("git", {"team": "ml"})
    reply = call(
        emulator, "POST", "/connections/feed_conn/listsecrets?api-version=2024-04-01-preview"
    )
    assert reply.body["properties"]["credentials"] == {"pat": "pat-secret"}
    plain = call(emulator, "GET", "/connections/feed_conn?api-version=2024-04-01-preview")
    assert plain.body["properties"]["credentials"] is None
    assert sorted(c.name for c in ml.connections.list(connection_type="git")) == ["git_conn"]


def test_categories_are_answered_in_the_services_casing(emulator: Emulator) -> None:
    body = {
        "properties": {
            "category": "AzureOpenAi",
            "authType": "apikey",
            "target": "https://oai.example",
            "credentials": {"key": "k-1"},
            "metadata": {"ApiType": "azure", "ApiVersion": "2024-02-01"},
        }
    }
    put = call(emulator, "PUT", "/connections/oai_conn?api-version=2024-04-01-preview", body)

    assert put.status == 200
    assert (put.body["properties"]["category"], put.body["properties"]["authType"]) == (
        "AzureOpenAI",
        "ApiKey",
    )
    assert put.body["properties"]["metadata"] == {"ApiType": "azure", "ApiVersion": "2024-02-01"}


@pytest.mark.parametrize(
    ("name", "category", "message"),
    [
        ("redis_conn", "Telepathy", "category 'Telepathy' is not supported"),
        ("bad name!", "Git", "name 'bad name!' is not valid"),
        ("-leading-dash", "Git", "name '-leading-dash' is not valid"),
    ],
)
def test_what_the_service_refuses_is_a_user_error(
    emulator: Emulator, name: str, category: str, message: str
) -> None:
    body = {"properties": {"category": category, "authType": "None", "target": "x"}}
    path = f"/connections/{name.replace(' ', '%20')}?api-version=2024-04-01-preview"
    reply = call(emulator, "PUT", path, body)

    assert reply.status == 400
    assert reply.headers["x-ms-response-type"] == "error"
    assert reply.body["error"]["code"] == "UserError"
    assert message in reply.body["error"]["message"]
