"""From a validated `Platform` to the typed `DesiredState` everything else works on.

Each connection, datastore, import and schedule becomes a `DesiredResource` with its essence,
its secret references (kept apart, by field path) and what it depends on. Secret values are
resolved here, once per command, and only when the command needs them; then no plain field may
contain one (`reconciler.config.leaks`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

from reconciler.config.leaks import value_problems
from reconciler.config.loader import LoadedConfig, by_location, load
from reconciler.config.model.platform import (
    AccessKey,
    AccountKeyCredentials,
    AzureWorkspace,
    DataImport,
    Lifecycle,
    Platform,
    SasCredentials,
    ServicePrincipalCredentials,
)
from reconciler.config.resolve import resolve_secrets
from reconciler.core.desired import DesiredResource, DesiredState, Locator, WorkspaceTarget
from reconciler.core.errors import ConfigError
from reconciler.core.essences import (
    ConnectionEssence,
    Credentials,
    DatastoreEssence,
    ImportDefinition,
    ImportEssence,
    Kind,
    RecurrencePattern,
    ScheduleEssence,
    Source,
    Trigger,
    address,
    fingerprint,
    schedule_name,
)
from reconciler.core.secrets import KeyVaultReader, SecretRef, SecretValues


def desired_state(
    project_dir: Path,
    environment: str | None = None,
    *,
    with_secrets: bool = True,
    keyvault: Callable[[], KeyVaultReader] | None = None,
) -> DesiredState:
    """Load, validate and (unless ``with_secrets`` is False) resolve every secret, once."""
    config = load(project_dir, environment)
    return from_config(config, with_secrets=with_secrets, keyvault=keyvault)


def from_config(
    config: LoadedConfig,
    *,
    with_secrets: bool = True,
    keyvault: Callable[[], KeyVaultReader] | None = None,
) -> DesiredState:
    platform = config.platform
    resources = tuple(desired_resources(platform))
    locator = Locator(config.positions)
    secrets = SecretValues(resolved=False)
    if with_secrets:
        secrets, problems = resolve_secrets(resources, locator, config.variables, keyvault)
        problems += value_problems(config, resources, secrets)
        if problems:
            raise ConfigError(problems=by_location(problems))
    return DesiredState(
        environment=config.environment,
        project_dir=config.project_dir,
        workspace=_target(platform, config.project_dir),
        prune=platform.settings.prune,
        resources=resources,
        secrets=secrets,
        locator=locator,
        project=platform.project,
    )


def _target(platform: Platform, project_dir: Path) -> WorkspaceTarget:
    target = platform.workspace
    if isinstance(target, AzureWorkspace):
        return WorkspaceTarget(
            "azureml",
            subscription_id=target.subscription_id,
            resource_group=target.resource_group,
            workspace_name=target.workspace_name,
        )
    return WorkspaceTarget("local", path=project_dir / target.path, label=target.path)


def desired_resources(platform: Platform) -> list[DesiredResource]:
    resources: list[DesiredResource] = []
    for name, connection in platform.connections.items():
        creds = connection.credentials
        secrets: dict[str, SecretRef]
        if isinstance(creds, AccessKey):
            credentials = Credentials(type=creds.type, access_key_id=creds.access_key_id)
            secrets = {"credentials.secret_access_key": creds.secret_access_key}
        else:
            credentials = Credentials(type=creds.type, username=creds.username)
            secrets = {"credentials.password": creds.password}
        connection_essence = ConnectionEssence(
            type=connection.type,
            target=connection.target,
            credentials=credentials,
            tags=dict(connection.tags),
        )
        resources.append(
            DesiredResource(
                Kind.CONNECTION,
                name,
                connection_essence,
                secrets,
                (),
                ("connections", name),
                **_lifecycle(connection.lifecycle),
            )
        )
    for name, store in platform.datastores.items():
        credentials, secrets = _datastore_credentials(store.credentials)
        fields = store.model_dump(exclude={"credentials", "tags", "lifecycle"})
        essence = DatastoreEssence(**fields, tags=dict(store.tags), credentials=credentials)
        resources.append(
            DesiredResource(
                Kind.DATASTORE,
                name,
                essence,
                secrets,
                (),
                ("datastores", name),
                **_lifecycle(store.lifecycle),
            )
        )
    for name, item in platform.imports.items():
        spec = import_essence(item)
        deps = [address(Kind.CONNECTION, item.source.connection)]
        if item.datastore in platform.datastores:
            deps.append(address(Kind.DATASTORE, item.datastore))
        lifecycle = _lifecycle(item.lifecycle)
        resources.append(
            DesiredResource(
                Kind.IMPORT, name, spec, {}, tuple(deps), ("imports", name), **lifecycle
            )
        )
        if item.schedule is not None:
            schedule = ScheduleEssence(
                import_name=name,
                trigger=_trigger(item),
                enabled=item.schedule.enabled,
                description=item.schedule.description,
                import_definition=spec.definition,
                tags={},
            )
            resources.append(
                DesiredResource(
                    Kind.SCHEDULE,
                    schedule_name(name),
                    schedule,
                    {},
                    (*deps, address(Kind.IMPORT, name)),
                    ("imports", name, "schedule"),
                    **lifecycle,
                )
            )
    return resources


class _Lifecycle(TypedDict):
    prevent_destroy: bool | None
    adopt: bool


def _lifecycle(lifecycle: Lifecycle) -> _Lifecycle:
    """``prevent_destroy`` only when written: a removed line keeps the recorded protection."""
    written = "prevent_destroy" in lifecycle.model_fields_set
    return {
        "prevent_destroy": lifecycle.prevent_destroy if written else None,
        "adopt": lifecycle.adopt,
    }


def _trigger(item: DataImport) -> Trigger:
    assert item.schedule is not None
    data = item.schedule.trigger.model_dump(exclude_none=True)
    pattern = data.pop("schedule", None)
    return Trigger(**data, schedule=RecurrencePattern(**pattern) if pattern is not None else None)


def import_essence(item: DataImport) -> ImportEssence:
    source = Source(**item.source.model_dump())
    definition = ImportDefinition(type=item.asset_type, source=source, path=item.path)
    return ImportEssence(
        type=definition.type,
        source=source,
        path=definition.path,
        version=item.version,
        description=item.description,
        tags=dict(item.tags),
        fingerprint=fingerprint(definition),
    )


def _datastore_credentials(creds: object) -> tuple[Credentials, dict[str, SecretRef]]:
    if isinstance(creds, AccountKeyCredentials):
        return Credentials(type="account_key"), {"credentials.account_key": creds.account_key}
    if isinstance(creds, SasCredentials):
        return Credentials(type="sas"), {"credentials.sas_token": creds.sas_token}
    if isinstance(creds, ServicePrincipalCredentials):
        credentials = Credentials(
            type="service_principal",
            tenant_id=creds.tenant_id,
            client_id=creds.client_id,
            authority_url=creds.authority_url,
        )
        return credentials, {"credentials.client_secret": creds.client_secret}
    return Credentials(type="none"), {}
