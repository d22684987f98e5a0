"""From a validated `Platform` to the typed `DesiredState` everything else works on.

Each connection, datastore, import and schedule becomes a `DesiredResource` with its essence,
its secret references (kept apart, by field path) and what it depends on. Secret values are
resolved here, once per command, and only when the command needs them; then no plain field may
contain one (`reconciler.config.leaks`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypedDict

from pydantic import BaseModel

from reconciler.config.leaks import value_problems
from reconciler.config.loader import LoadedConfig, load
from reconciler.config.model.connection_credentials import credential_type
from reconciler.config.model.connections import AnyConnection
from reconciler.config.model.datastores import AnyDatastoreCredentials
from reconciler.config.model.fields import Lifecycle
from reconciler.config.model.imports import DataImport
from reconciler.config.model.platform import AzureWorkspace, Platform
from reconciler.config.problems import by_location
from reconciler.config.projectfiles import leaves, trusted_outside
from reconciler.config.refactoring import moves, removals
from reconciler.config.resolve import resolve_secrets
from reconciler.core.connection_kinds import API_KEY, CONNECTION_CREDENTIALS
from reconciler.core.consumers import ConsumerWindow
from reconciler.core.desired import DesiredResource, DesiredState, Locator, WorkspaceTarget
from reconciler.core.errors import (
    INVALID,
    UNREADABLE_SECRETS,
    ConfigError,
    FieldPath,
    Position,
)
from reconciler.core.essences import (
    AutoDelete,
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
from reconciler.core.vocabulary import DATASTORE_CREDENTIALS, CredentialKind

DEFAULT_POLICIES = "policies"


def desired_state(
    project_dir: Path,
    environment: str | None = None,
    *,
    with_secrets: bool = True,
    keyvault: Callable[[], KeyVaultReader] | None = None,
) -> DesiredState:
    """Load, validate and (unless ``with_secrets`` is False) resolve every secret, once."""
    config = load(project_dir, environment, with_secrets=with_secrets)
    return from_config(config, with_secrets=with_secrets, keyvault=keyvault)


def from_config(
    config: LoadedConfig,
    *,
    with_secrets: bool = True,
    keyvault: Callable[[], KeyVaultReader] | None = None,
) -> DesiredState:
    platform = config.platform
    resources = tuple(desired_resources(platform))
    locator = Locator({**config.positions, **_api_key_positions(platform, config.positions)})
    secrets = SecretValues(resolved=False)
    policy_dirs = _policy_dirs(platform, config.project_dir, locator)
    if with_secrets:
        secrets, unread = resolve_secrets(
            resources, locator, config.variables, keyvault, platform.settings.secret_key
        )
        leaks = value_problems(config, resources, secrets)
        if unread or leaks:
            heading = INVALID if leaks else UNREADABLE_SECRETS
            raise ConfigError(problems=by_location([*unread, *leaks]), heading=heading)
    return DesiredState(
        environment=config.environment,
        project_dir=config.project_dir,
        workspace=_target(config),
        prune=platform.settings.prune,
        resources=resources,
        secrets=secrets,
        locator=locator,
        project=platform.project,
        sources=config.sources,
        policy_dirs=policy_dirs,
        moves=moves(config),
        removals=removals(config),
        consumers=_consumers(platform),
    )


def _policy_dirs(platform: Platform, project_dir: Path, locator: Locator) -> tuple[Path, ...]:
    """The policy folders: as written (each must be a folder), else policies/ if it is one."""
    if platform.policies is None:
        default = project_dir / DEFAULT_POLICIES
        return (default,) if default.is_dir() else ()
    problems = [
        locator.problem(
            ("policies", index),
            f"no folder {folder!r} in the project",
            f"create it (with your .rego files), or remove it from policies; the default is "
            f"{DEFAULT_POLICIES}/ when it exists",
        )
        for index, folder in enumerate(platform.policies)
        if not (project_dir / folder).is_dir()
    ]
    if problems:
        raise ConfigError(problems=problems)
    return tuple(project_dir / folder for folder in platform.policies)


def _consumers(platform: Platform) -> ConsumerWindow | None:
    wanted = platform.settings.consumers
    return ConsumerWindow(days=wanted.days, jobs=wanted.jobs) if wanted.enabled else None


def _target(config: LoadedConfig) -> WorkspaceTarget:
    target, project_dir = config.platform.workspace, config.project_dir
    if isinstance(target, AzureWorkspace):
        return WorkspaceTarget(
            "azureml",
            subscription_id=target.subscription_id,
            resource_group=target.resource_group,
            workspace_name=target.workspace_name,
        )
    folder = project_dir / target.path
    if leaves(project_dir, folder) and not trusted_outside(folder):  # a link leads out
        raise ConfigError(
            problems=[
                config.problem(
                    ("workspace", "path"),
                    f"{target.path} leads outside the project through a symbolic link (to "
                    f"{folder.resolve()}); the embedded workspace stays inside the project",
                    "remove the link, or point workspace.path at a real folder in the project",
                )
            ]
        )
    return WorkspaceTarget("local", path=folder, label=target.path)


def desired_resources(platform: Platform) -> list[DesiredResource]:
    resources: list[DesiredResource] = []
    for name, connection in platform.connections.items():
        connection_spec, secrets = connection_essence(connection)
        resources.append(
            DesiredResource(
                Kind.CONNECTION,
                name,
                connection_spec,
                secrets,
                (),
                ("connections", name),
                **_lifecycle(connection.lifecycle),
            )
        )
    for name, store in platform.datastores.items():
        credentials, secrets = _datastore_credentials(store.credentials)
        fields = store.model_dump(exclude={"credentials", "tags", "lifecycle", "schema_", "name"})
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
                    item.schedule.name or schedule_name(name),
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
    auto_delete = item.auto_delete_setting
    return ImportEssence(
        type=definition.type,
        source=source,
        path=definition.path,
        version=item.version,
        description=item.description,
        tags=dict(item.tags),
        auto_delete_setting=AutoDelete(**auto_delete.model_dump()) if auto_delete else None,
        fingerprint=fingerprint(definition),
    )


def connection_essence(
    connection: AnyConnection,
) -> tuple[ConnectionEssence, dict[str, SecretRef]]:
    """A connection's essence in az ml's terms and its secret references: the target whatever
    field its type writes it in, an ``api_key`` beside it as ``credentials.key``, omitted
    credentials as the type's default (Entra ID or none), ``tags`` and ``metadata`` merged."""
    kind = connection.kind
    api_key = getattr(connection, API_KEY, None)
    secrets: dict[str, SecretRef] = {}
    if api_key is not None:
        credentials = Credentials(type="api_key")
        secrets = {CONNECTION_CREDENTIALS["api_key"].secret_paths[0]: api_key}
    elif connection.credentials is None:
        credentials = Credentials(type=kind.default_credential or "none")
    else:
        given = connection.credentials
        credentials, secrets = _credentials(CONNECTION_CREDENTIALS[credential_type(given)], given)
    essence = ConnectionEssence(
        type=kind.name,
        target=connection.target_value,
        credentials=credentials,
        is_shared=connection.is_shared,
        tags=connection.user_metadata,
        **{ours: getattr(connection, ours, None) for _, ours in kind.metadata},
    )
    return essence, secrets


def _api_key_positions(
    platform: Platform, positions: Mapping[FieldPath, Position]
) -> dict[FieldPath, Position]:
    """An ``api_key`` beside the target is the connection's ``credentials.key``: problems with
    it are located where it is written."""
    found: dict[FieldPath, Position] = {}
    secret = CONNECTION_CREDENTIALS["api_key"].secret_paths[0].split(".")
    for name in platform.connections:
        where = positions.get(("connections", name, API_KEY))
        if where is not None:
            found[("connections", name, *secret)] = where
    return found


def _datastore_credentials(
    creds: AnyDatastoreCredentials | None,
) -> tuple[Credentials, dict[str, SecretRef]]:
    if creds is None:  # identity-based access
        return Credentials(type="none"), {}
    return _credentials(DATASTORE_CREDENTIALS[creds.kind], creds)


def _credentials(
    kind: CredentialKind, creds: BaseModel
) -> tuple[Credentials, dict[str, SecretRef]]:
    """The essence's credentials (plain fields) and the secret references by field path, as
    the credential kind's table says which is which."""
    plain = {field: getattr(creds, field) for field in kind.plain_fields}
    secrets = {
        path: getattr(creds, field)
        for field, path in zip(kind.secret_fields, kind.secret_paths, strict=True)
    }
    return Credentials(type=kind.name, **plain), secrets
