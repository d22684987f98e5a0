"""Desired states built directly from values, no YAML: what the config layer would hand the
engine for the GloboRealty example (a Snowflake connection, a datastore, an import)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.core.desired import DesiredResource, DesiredState, Locator, WorkspaceTarget
from reconciler.core.essences import (
    ConnectionEssence,
    Credentials,
    DatastoreEssence,
    ImportDefinition,
    ImportEssence,
    Kind,
    Source,
    fingerprint,
)
from reconciler.core.secrets import SecretRef, SecretValues

PASSWORD = "pw-core-tier-secret-1"
ACCOUNT_KEY = "key-core-tier-secret-2"
QUERY = "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW"
PATH = "azureml://datastores/rawdata/paths/raw_house_data"


def connection(
    name: str = "snowflake", target: str = "jdbc:snowflake://acme", **life: Any
) -> DesiredResource:
    essence = ConnectionEssence(
        type="snowflake",
        target=target,
        credentials=Credentials(type="username_password", username="globorealty"),
    )
    secret = {"credentials.password": SecretRef(source="env", name="SNOWFLAKE_PASSWORD")}
    return DesiredResource(
        Kind.CONNECTION, name, essence, secret, (), ("connections", name), **life
    )


def datastore(name: str = "rawdata", container: str = "rawdata", **life: Any) -> DesiredResource:
    essence = DatastoreEssence(
        type="azure_blob",
        account_name="globorealtydata",
        container_name=container,
        credentials=Credentials(type="account_key"),
    )
    secret = {"credentials.account_key": SecretRef(source="env", name="STORAGE_ACCOUNT_KEY")}
    return DesiredResource(Kind.DATASTORE, name, essence, secret, (), ("datastores", name), **life)


def an_import(
    name: str = "raw_house_data",
    query: str = QUERY,
    path: str = PATH,
    version: str | None = None,
    **life: Any,
) -> DesiredResource:
    source = Source(type="database", connection="snowflake", query=query)
    definition = ImportDefinition(type="mltable", source=source, path=path)
    essence = ImportEssence(
        type="mltable",
        source=source,
        path=path,
        version=version,
        fingerprint=fingerprint(definition),
    )
    depends = ("connection.snowflake", "datastore.rawdata")
    return DesiredResource(Kind.IMPORT, name, essence, {}, depends, ("imports", name), **life)


def state(
    *resources: DesiredResource,
    secrets: bool = True,
    password: str = PASSWORD,
    project: str = "globorealty",
    environment: str = "dev",
) -> DesiredState:
    values = {
        ("connection.snowflake", "credentials.password"): password,
        ("datastore.rawdata", "credentials.account_key"): ACCOUNT_KEY,
    }
    chosen = {k: v for k, v in values.items() if any(r.address == k[0] for r in resources)}
    return DesiredState(
        environment=environment,
        project_dir=Path("."),
        workspace=WorkspaceTarget("local", label="twin"),
        prune=False,
        resources=resources,
        secrets=SecretValues(True, chosen) if secrets else SecretValues(resolved=False),
        locator=Locator(),
        project=project,
    )


def example(**changes: Any) -> DesiredState:
    """The GloboRealty example: connection, datastore, import (``changes`` go to `state`)."""
    return state(connection(), datastore(), an_import(), **changes)


def changed(resource: DesiredResource, **fields: Any) -> DesiredResource:
    """``resource`` with some essence fields changed."""
    return replace(resource, essence=resource.essence.model_copy(update=fields))
