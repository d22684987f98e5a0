"""Workspace connections through the real SDK: CRUD, list, 404, write-only secrets."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator import Emulator
from reconciler.providers.local.store import Store
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

    created = ml.connections.create_or_update(snowflake("sf", team="data"))
    ml.connections.create_or_update(
        WorkspaceConnection(
            name="lake",
            type="s3",
            target="s3://bucket",
            credentials=AccessKeyConfiguration(access_key_id="AKIA1", secret_access_key="sk-1"),
        )
    )

    got = ml.connections.get("sf")
    assert (created.type, got.type, got.target) == ("snowflake", "snowflake", TARGET)
    assert got.metadata == {"team": "data"}
    # secrets never come back: the SDK rebuilds the credential type from authType
    assert (got.credentials.type, got.credentials.username) == ("username_password", None)
    assert got.credentials.password is None
    assert ml.connections.get("lake").credentials.type == "access_key"
    assert sorted(c.name for c in ml.connections.list()) == ["lake", "sf"]
    assert [c.name for c in ml.connections.list(connection_type="snowflake")] == ["sf"]

    ml.connections.delete("lake")
    with pytest.raises(ResourceNotFoundError, match="Connection lake can't be found"):
        ml.connections.get("lake")
    ml.connections.delete("lake")  # deleting again is fine (204)
    assert emulator.stats()["statuses"][204] == 1


def test_put_answers_200_for_create_and_update(ml: Any, emulator: Emulator) -> None:
    ml.connections.create_or_update(snowflake("sf"))
    ml.connections.create_or_update(snowflake("sf", password="pw-2", team="x"))

    assert emulator.stats()["routes"]["PUT /connections/{name}"] == 2
    assert 201 not in emulator.stats()["statuses"]
    assert ml.connections.get("sf").metadata == {"team": "x"}


def test_store_keeps_user_name_and_secrets_apart(ml: Any, emulator: Emulator) -> None:
    ml.connections.create_or_update(snowflake("sf", "pw-secret", **{"managed-by": "reconciler"}))

    store = Store(emulator.root)
    try:
        record = store.get("connection", "sf")
        assert record is not None
        assert record.body == {
            "type": "snowflake",
            "target": TARGET,
            "credentials": {"type": "username_password", "username": "loader"},
            "tags": {"managed-by": "reconciler"},
        }
        assert store.secrets("connection", "sf") == {"credentials.password": "pw-secret"}
    finally:
        store.close()


def test_listsecrets_returns_the_credentials(ml: Any, emulator: Emulator) -> None:
    ml.connections.create_or_update(snowflake("sf", "pw-secret"))

    reply = call(emulator, "POST", "/connections/sf/listsecrets?api-version=2024-04-01-preview")

    assert reply.status == 200
    assert reply.body["properties"]["credentials"] == {
        "username": "loader",
        "password": "pw-secret",
    }
    plain = call(emulator, "GET", "/connections/sf?api-version=2024-04-01-preview")
    assert plain.body["properties"]["credentials"] is None


def test_unsupported_category_is_a_user_error(emulator: Emulator) -> None:
    body = {"properties": {"category": "Redis", "authType": "None", "target": "x"}}
    reply = call(emulator, "PUT", "/connections/r?api-version=2024-04-01-preview", body)

    assert reply.status == 400
    assert reply.headers["x-ms-response-type"] == "error"
    assert reply.body["error"]["code"] == "UserError"
    assert "Redis" in reply.body["error"]["message"]
