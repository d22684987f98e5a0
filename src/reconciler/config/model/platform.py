"""The desired state: pydantic models of platform.yaml, validated once, with no I/O.

Field names follow the az ml CLI v2 YAML (connections, datastores, data imports, schedules) so
that users can copy from Microsoft's docs. Resources are mappings keyed by name, so environment
overlays can change one field of one resource. Plain strings may use ``${NAME}``, filled from the
environment at validation time (see `Text`); secret fields accept only a reference such as
``${env:NAME}`` (see `SecretRef`), resolved later and only when a command needs the value.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from reconciler.core.limits import (
    MAX_DESCRIPTION,
    MAX_FOLDER,
    MAX_NAME,
    MAX_QUERY,
    MAX_TAG_KEY,
    MAX_TAG_VALUE,
    MAX_TAGS,
    MAX_TEXT,
    MAX_VERSION,
    sql_statements,
    text_problem,
)
from reconciler.core.names import (
    DatastoreUri,
    canonical_datastore_path,
    connection_ref,
    project_folder,
)
from reconciler.core.schedules import cron_problem, time_zone_problem
from reconciler.core.secrets import SecretRef
from reconciler.core.vocabulary import (
    DECLARED_DATASTORE_CREDENTIALS,
    DEFAULT_AUTHORITY,
    DEFAULT_ENDPOINT,
    DEFAULT_PROTOCOL,
    RESERVED_TAG_PREFIXES,
    SYSTEM_DATASTORES,
    AssetType,
    DatastoreProtocol,
    RecurrenceFrequency,
    WeekDay,
    default_asset_type,
)

_VAR = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# Key Vault names: 3-24 letters, digits, '-'; secret names: 1-127 letters, digits, '-'
_VAULT = r"[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]"
_KV_SECRET = r"[A-Za-z0-9-]{1,127}"
_ENV_REF = re.compile(rf"^\$\{{env:({_ENV_NAME})\}}$")
_KEYVAULT_REF = re.compile(
    rf"^\$\{{keyvault:({_VAULT})/({_KV_SECRET})(?:/([0-9a-fA-F]{{32}}))?\}}$"
)
_SECRET_FORMS = (
    "${env:VARIABLE} or ${keyvault:VAULT/SECRET} (optionally ${keyvault:VAULT/SECRET/VERSION})"
)
_SECRET_PATTERN = (
    rf"^\$\{{(env:{_ENV_NAME}|keyvault:{_VAULT}/{_KV_SECRET}(/[0-9a-fA-F]{{32}})?)\}}$"
)


def plain_variables(text: str) -> tuple[str, ...]:
    """The variables ``${NAME}`` that fill ``text`` (``$${NAME}`` is a literal, not one)."""
    if "${" not in text:
        return ()
    return tuple(dict.fromkeys(m.group(2) for m in _VAR.finditer(text) if not m.group(1)))


def _interpolate(value: str, info: ValidationInfo) -> str:
    """Replace ``${NAME}`` with the variable's value; ``$${NAME}`` keeps a literal ``${NAME}``."""
    if "${" not in value:
        return value
    env: dict[str, str] = (info.context or {}).get("env", {})

    def substitute(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return "${" + name + "}"
        if not env.get(name):  # CI systems turn an unset variable into "": treat both alike
            raise PydanticCustomError(
                "missing_variable",
                "variable ${{name}} is not set (or empty); export {name} or add it to the "
                "environment's env_file",
                {"name": name},
            )
        return env[name]

    if "${env:" in value or "${keyvault:" in value:
        raise PydanticCustomError(
            "secret_ref_in_plain_field",
            "${env:...} and ${keyvault:...} mark secret references, but this field is not a "
            "secret; write ${NAME} to insert a variable's value",
        )
    return _VAR.sub(substitute, value)


def _bounded(max_chars: int, *, multiline: bool = False) -> AfterValidator:
    """Checked after ``${NAME}`` is filled: a variable's value counts, and may not smuggle in a
    control character either."""

    def check(value: str) -> str:
        problem = text_problem(value, max_chars, multiline=multiline)
        if problem is not None:
            raise PydanticCustomError("text", "this value {problem}", {"problem": problem})
        return value

    return AfterValidator(check)


Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_interpolate), _bounded(MAX_TEXT)]
"""A one-line string in which ``${NAME}`` is replaced from the environment."""
Prose = Annotated[
    str,
    Field(max_length=MAX_DESCRIPTION),
    AfterValidator(_interpolate),
    _bounded(MAX_DESCRIPTION, multiline=True),
]
"""A description: ``${NAME}`` filled, line breaks allowed, Azure ML's 5,000 characters."""


def _one_query(query: str) -> str:
    statements = sql_statements(query)
    if not statements:
        raise PydanticCustomError(
            "empty_query",
            "the query is empty; write the SELECT whose result becomes the data asset",
        )
    if len(statements) > 1:
        raise PydanticCustomError(
            "several_statements",
            "the query holds {count} SQL statements; a data import runs exactly one query "
            "(remove what follows the first ';')",
            {"count": len(statements)},
        )
    return query


Query = Annotated[
    str,
    Field(max_length=MAX_QUERY),
    AfterValidator(_interpolate),
    _bounded(MAX_QUERY, multiline=True),
    AfterValidator(_one_query),
]
"""One SQL statement (a trailing ';' and comments are fine), at most `MAX_QUERY` characters."""


def _parse_secret(value: Any, handler: Any) -> SecretRef:
    """A secret reference from its one written form. Errors never echo the value: it may be a
    real secret pasted by mistake."""
    if isinstance(value, SecretRef):
        return value
    text = value if isinstance(value, str) else None
    env = _ENV_REF.fullmatch(text) if text else None
    if env:
        return SecretRef(source="env", name=env.group(1))
    vault = _KEYVAULT_REF.fullmatch(text) if text else None
    if vault:
        return SecretRef(
            source="keyvault", vault=vault.group(1), name=vault.group(2), version=vault.group(3)
        )
    raise PydanticCustomError("secret_reference", _secret_problem(text))


def _secret_problem(text: str | None) -> str:
    accepted = f"write {_SECRET_FORMS}"
    if text is None:
        return f"this field is a secret and takes a reference written as a string; {accepted}"
    if re.fullmatch(rf"\$\{{{_ENV_NAME}\}}", text.strip()):
        return (
            "${NAME} inserts a plain variable, but this field is a secret: secret fields take a "
            f"secret reference; {accepted}"
        )
    scheme = re.fullmatch(r"\$\{([A-Za-z_-]+):.*\}", text.strip())
    if scheme and scheme.group(1) in ("env", "keyvault"):
        return f"this {scheme.group(1)} secret reference is malformed; {accepted}"
    if scheme:
        return f"unknown secret source {scheme.group(1)!r}; {accepted}"
    return f"this field is a secret and must be a reference, not a literal value; {accepted}"


Secret = Annotated[
    SecretRef,
    WrapValidator(_parse_secret),
    Field(json_schema_extra={"type": "string", "pattern": _SECRET_PATTERN}),
]


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise PydanticCustomError(
            "too_many_tags",
            "{count} tags; at most {limit} are allowed (Azure ML keeps 50 per resource and "
            "reconciler writes up to {reserved} of its own)",
            {"count": len(tags), "limit": MAX_TAGS, "reserved": 50 - MAX_TAGS},
        )
    for key in tags:
        if key.startswith(RESERVED_TAG_PREFIXES):
            raise PydanticCustomError(
                "reserved_tag",
                "tag '{key}' is reserved: reconciler uses tags starting with 'reconciler.' and "
                "'managed-by' to track what it manages; rename the tag",
                {"key": key},
            )
    return dict(sorted(tags.items()))


def _tag_key(key: str) -> str:
    problem = "is empty" if not key else text_problem(key, MAX_TAG_KEY)
    if problem is not None:
        raise PydanticCustomError("tag_key", "this tag key {problem}", {"problem": problem})
    return key


TagKey = Annotated[str, Field(max_length=MAX_TAG_KEY), AfterValidator(_tag_key)]
TagValue = Annotated[
    str, Field(max_length=MAX_TAG_VALUE), AfterValidator(_interpolate), _bounded(MAX_TAG_VALUE)
]
Tags = Annotated[dict[TagKey, TagValue], AfterValidator(_check_tags)]


class Strict(BaseModel):
    """Base for every model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- workspaces -----------------------------------------------------------------------------


class LocalWorkspace(Strict):
    """The embedded workspace: a folder under the project that behaves like Azure ML."""

    provider: Literal["local"] = Field(description="Use the embedded local workspace.")
    path: Annotated[Text, AfterValidator(project_folder)] = Field(
        ".reconcile/local",
        description="Folder (relative to the project) that holds the workspace's store and data.",
    )


class AzureWorkspace(Strict):
    """An Azure Machine Learning workspace, reached through azure-ai-ml."""

    provider: Literal["azureml"] = Field(description="Use a live Azure ML workspace.")
    subscription_id: Text = Field(description="Azure subscription ID.")
    resource_group: Text = Field(description="Resource group of the workspace.")
    workspace_name: Text = Field(description="Name of the Azure ML workspace.")


Workspace = Annotated[LocalWorkspace | AzureWorkspace, Field(discriminator="provider")]


# --- connections ----------------------------------------------------------------------------


class UsernamePassword(Strict):
    type: Literal["username_password"] = Field(description="Username and password.")
    username: Text = Field(description="User name.")
    password: Secret = Field(description="Password, as a secret reference: ${env:NAME}.")


class AccessKey(Strict):
    type: Literal["access_key"] = Field(description="Access key (S3).")
    access_key_id: Text = Field(description="Access key ID.")
    secret_access_key: Secret = Field(description="Secret access key: ${env:NAME}.")


class Lifecycle(Strict):
    """How reconciler may treat the resource, beyond making it match (as Terraform's
    ``lifecycle`` block)."""

    prevent_destroy: bool = Field(
        False,
        description="Refuse any plan that would delete or replace this resource (also after it "
        "is removed from platform.yaml: the protection is recorded on the resource, and only an "
        "explicit false lifts it).",
    )
    adopt: bool = Field(
        False,
        description="Take over a same-named resource that reconciler does not manage (made by "
        "hand, or by another project or environment), overwriting or replacing it as planned.",
    )


def _lifecycle() -> Any:
    return Field(default_factory=Lifecycle, description="Protection and adoption.")


class _Connection(Strict):
    target: Text = Field(description="Where the connection points (a JDBC URL, server, bucket).")
    tags: Tags = Field(default_factory=dict, description="Free-form tags (connection metadata).")
    lifecycle: Lifecycle = _lifecycle()


class SnowflakeConnection(_Connection):
    """A Snowflake database (``az ml connection`` type ``snowflake``)."""

    type: Literal["snowflake"]
    credentials: UsernamePassword = Field(description="How to log in.")

    @field_validator("target")
    @classmethod
    def _jdbc(cls, target: str) -> str:
        if not target.startswith("jdbc:snowflake://"):
            raise PydanticCustomError(
                "bad_target",
                "a snowflake target is a JDBC URL: jdbc:snowflake://<account>.snowflakecomputing"
                ".com/?db=<database>&warehouse=<warehouse>&role=<role>",
            )
        return target


class AzureSqlDbConnection(_Connection):
    """An Azure SQL database (``az ml connection`` type ``azure_sql_db``)."""

    type: Literal["azure_sql_db"]
    credentials: UsernamePassword = Field(description="How to log in.")


class S3Connection(_Connection):
    """An Amazon S3 bucket (``az ml connection`` type ``s3``)."""

    type: Literal["s3"]
    credentials: AccessKey = Field(description="How to authenticate.")


Connection = Annotated[
    SnowflakeConnection | AzureSqlDbConnection | S3Connection, Field(discriminator="type")
]


# --- datastores -----------------------------------------------------------------------------


class AccountKeyCredentials(Strict):
    kind: ClassVar[str] = "account_key"
    account_key: Secret = Field(description="Storage account key: ${env:NAME}.")


class SasCredentials(Strict):
    kind: ClassVar[str] = "sas"
    sas_token: Secret = Field(description="Shared access signature: ${env:NAME}.")


class ServicePrincipalCredentials(Strict):
    kind: ClassVar[str] = "service_principal"
    tenant_id: Text = Field(description="Entra ID tenant ID.")
    client_id: Text = Field(description="Application (client) ID.")
    client_secret: Secret = Field(description="Client secret: ${env:NAME}.")
    authority_url: Text = Field(DEFAULT_AUTHORITY, description="Authority.")


def _credential_kind(value: Any) -> str | None:
    """Which credential a datastore's ``credentials`` mapping is, by the fields it holds (the
    credential tables of `reconciler.core.vocabulary`): it has no ``type`` field."""
    if isinstance(value, dict):
        for kind in DECLARED_DATASTORE_CREDENTIALS:
            if any(name in value for name in (*kind.secret_fields, *kind.plain_fields)):
                return kind.name
        return "unknown"
    if isinstance(value, AccountKeyCredentials | SasCredentials | ServicePrincipalCredentials):
        return value.kind
    return None


DatastoreCredentials = Annotated[
    Annotated[AccountKeyCredentials, Tag("account_key")]
    | Annotated[SasCredentials, Tag("sas")]
    | Annotated[ServicePrincipalCredentials, Tag("service_principal")],
    Discriminator(
        _credential_kind,
        custom_error_type="credentials",
        custom_error_message="credentials need one of: account_key, sas_token, or tenant_id + "
        "client_id + client_secret; omit credentials for identity-based access",
    ),
]


class _Datastore(Strict):
    account_name: Text = Field(description="Storage account name.")
    endpoint: Text = Field(DEFAULT_ENDPOINT, description="Storage endpoint suffix.")
    protocol: DatastoreProtocol = Field(DEFAULT_PROTOCOL, description="Protocol.")
    description: Prose | None = Field(None, description="Description.")
    tags: Tags = Field(default_factory=dict, description="Free-form tags.")
    lifecycle: Lifecycle = _lifecycle()


class AzureBlobDatastore(_Datastore):
    """An Azure Blob container (``az ml datastore`` type ``azure_blob``)."""

    type: Literal["azure_blob"]
    container_name: Text = Field(description="Blob container.")
    credentials: DatastoreCredentials | None = Field(
        None, description="Account key, SAS token or service principal; omit for identity access."
    )


class AzureDataLakeGen2Datastore(_Datastore):
    """An ADLS Gen2 file system (``az ml datastore`` type ``azure_data_lake_gen2``)."""

    type: Literal["azure_data_lake_gen2"]
    filesystem: Text = Field(description="ADLS Gen2 file system (container).")
    credentials: DatastoreCredentials | None = Field(
        None, description="Service principal (or key/SAS); omit for identity-based access."
    )


class AzureFileDatastore(_Datastore):
    """An Azure Files share (``az ml datastore`` type ``azure_file``)."""

    type: Literal["azure_file"]
    file_share_name: Text = Field(description="File share.")
    credentials: DatastoreCredentials | None = Field(
        None, description="Account key or SAS token; omit for identity-based access."
    )


Datastore = Annotated[
    AzureBlobDatastore | AzureDataLakeGen2Datastore | AzureFileDatastore,
    Field(discriminator="type"),
]


# --- imports and schedules ------------------------------------------------------------------


ConnectionRef = Annotated[Text, AfterValidator(connection_ref)]


class DatabaseSource(Strict):
    type: Literal["database"] = Field(description="Run a query on a database connection.")
    connection: ConnectionRef = Field(description="Connection name (azureml:<name> also works).")
    query: Query = Field(description="SQL query whose result becomes the data asset.")


class FileSystemSource(Strict):
    type: Literal["file_system"] = Field(description="Copy files from a file-system connection.")
    connection: ConnectionRef = Field(description="Connection name (azureml:<name> also works).")
    path: Text = Field(description="Path inside the connection, e.g. bucket/folder/.")


Source = Annotated[DatabaseSource | FileSystemSource, Field(discriminator="type")]


def _time_zone(name: str) -> str:
    problem = time_zone_problem(name)
    if problem:
        raise PydanticCustomError("time_zone", problem)
    return name


def _start_time(text: str | None) -> str | None:
    from datetime import datetime

    if text is not None:
        try:
            datetime.fromisoformat(text)
        except ValueError:
            raise PydanticCustomError(
                "start_time", "start_time is an ISO 8601 time, e.g. 2026-01-01T03:00:00"
            ) from None
    return text


TimeZone = Annotated[Text, AfterValidator(_time_zone)]
StartTime = Annotated[Text | None, AfterValidator(_start_time)]


class RecurrencePattern(Strict):
    hours: list[Annotated[int, Field(ge=0, le=23)]] = Field(
        default_factory=list, description="Hours of the day (0-23)."
    )
    minutes: list[Annotated[int, Field(ge=0, le=59)]] = Field(
        default_factory=list, description="Minutes of the hour (0-59)."
    )
    week_days: list[WeekDay] = Field(default_factory=list, description="Days of the week.")
    month_days: list[Annotated[int, Field(ge=1, le=31)]] = Field(
        default_factory=list, description="Days of the month (1-31)."
    )


class CronTrigger(Strict):
    type: Literal["cron"] = Field(description="A cron expression.")
    expression: Text = Field(description="Cron expression, e.g. '0 3 * * *'.")
    time_zone: TimeZone = Field("UTC", description="Time zone (Windows name), e.g. UTC.")
    start_time: StartTime = Field(None, description="ISO 8601 start time.")

    @field_validator("expression")
    @classmethod
    def _cron(cls, expression: str) -> str:
        problem = cron_problem(expression)
        if problem:
            raise PydanticCustomError("cron", problem)
        return " ".join(expression.split())


class RecurrenceTrigger(Strict):
    type: Literal["recurrence"] = Field(description="Every N units of time.")
    frequency: RecurrenceFrequency = Field(description="Unit.")
    interval: int = Field(ge=1, le=10_000, description="Every how many units.")
    schedule: RecurrencePattern | None = Field(None, description="At which times.")
    time_zone: TimeZone = Field("UTC", description="Time zone (Windows name), e.g. UTC.")
    start_time: StartTime = Field(None, description="ISO 8601 start time.")


Trigger = Annotated[CronTrigger | RecurrenceTrigger, Field(discriminator="type")]


class ImportSchedule(Strict):
    """Run the import on a schedule (an Azure ML import-data schedule)."""

    trigger: Trigger = Field(description="When to run, as in az ml schedule YAML.")
    enabled: bool = Field(True, description="Whether the schedule is enabled.")
    description: Prose | None = Field(None, description="Description.")


_MAX_DATASTORE_URI = len("azureml://datastores//paths/") + MAX_NAME + MAX_FOLDER
DatastorePath = Annotated[
    str,
    Field(max_length=_MAX_DATASTORE_URI),
    AfterValidator(_interpolate),
    AfterValidator(canonical_datastore_path),  # first: it explains why a path could escape
    _bounded(_MAX_DATASTORE_URI),
]


class DataImport(Strict):
    """Import a query result or files into a versioned data asset (``az ml data import``)."""

    type: AssetType | None = Field(
        None, description="Asset type; defaults to mltable for database, uri_folder for files."
    )
    source: Source = Field(description="Where the data comes from.")
    path: DatastorePath = Field(
        description="Target: azureml://datastores/<datastore>/paths/<folder>."
    )
    version: (
        Annotated[str, Field(pattern=rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_VERSION - 1}}}$")] | None
    ) = Field(None, description="Pin the asset version; omit to number versions automatically.")
    description: Prose | None = Field(None, description="Description of the data asset.")
    tags: Tags = Field(default_factory=dict, description="Tags of the data asset.")
    lifecycle: Lifecycle = _lifecycle()
    schedule: ImportSchedule | None = Field(None, description="Optional schedule.")

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _default_type(self) -> DataImport:
        if self.type is None:
            object.__setattr__(self, "type", default_asset_type(self.source.type))
        return self

    @property
    def asset_type(self) -> AssetType:
        return self.type or default_asset_type(self.source.type)

    @property
    def datastore(self) -> str:
        parsed = DatastoreUri.parse(self.path)
        assert parsed is not None  # validated by canonical_datastore_path
        return parsed.datastore


# --- the whole file -------------------------------------------------------------------------


class Settings(Strict):
    prune: bool = Field(
        False,
        description="Delete managed resources that are no longer declared (like --prune).",
    )


def _not_empty_path(path: str) -> str:
    if not path:
        raise PydanticCustomError("empty_path", "the path is empty")
    return path


class EnvFile(Strict):
    """One dotenv file of env_file."""

    path: Annotated[str, AfterValidator(_not_empty_path)] = Field(
        max_length=MAX_FOLDER,
        description="The file, relative to the folder of platform.yaml (and inside it).",
    )
    optional: bool = Field(
        False,
        description="Skip the file when it does not exist, for a file that a tool writes (such "
        "as the local Snowflake's .reconcile/snowflake/server.env) rather than one you commit.",
    )


def _env_file_list(value: Any) -> Any:
    """``env_file: PATH`` is short for a list of one."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise PydanticCustomError(
            "env_file_type", "expected a path, or a list of paths and {path, optional} mappings"
        )
    return value


def _env_file_entry(value: Any) -> Any:
    """A path in the list is short for ``{path: PATH}``."""
    if isinstance(value, str):
        return {"path": value}
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "env_file_type", "expected a path, or a mapping such as {path: FILE, optional: true}"
        )
    return value


EnvFiles = Annotated[
    list[Annotated[EnvFile, BeforeValidator(_env_file_entry)]],
    BeforeValidator(_env_file_list, json_schema_input_type=str | list[str | EnvFile] | None),
]


class Platform(Strict):
    """platform.yaml: one workspace's connections, datastores and data imports."""

    project: str = Field(
        "default",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
        description="This project's name. Resources it creates carry it (with the environment) "
        "in their ownership tag, so that several projects or environments can share one "
        "workspace without pruning or replacing each other's resources.",
    )
    default_environment: str = Field(
        "local", description="Environment used when --env is not given."
    )
    env_file: EnvFiles = Field(
        default_factory=list,
        description="Dotenv files (relative to the project) whose variables fill ${NAME} and "
        "${env:NAME}: one path, or a list of paths and {path, optional} mappings, later files "
        "overriding earlier ones; the process environment wins over all. Meant for the local "
        "demo credentials and ports.",
    )
    workspace: Workspace = Field(
        default_factory=lambda: LocalWorkspace(provider="local"),
        description="Which workspace to reconcile (usually set per environment).",
    )
    settings: Settings = Field(default_factory=Settings, description="Behaviour settings.")
    connections: dict[str, Connection] = Field(
        default_factory=dict, description="Workspace connections, by name."
    )
    datastores: dict[str, Datastore] = Field(
        default_factory=dict, description="Datastores, by name."
    )
    imports: dict[str, DataImport] = Field(
        default_factory=dict, description="Data imports, by data asset name."
    )

    @field_validator("datastores")
    @classmethod
    def _not_system(cls, datastores: dict[str, Any]) -> dict[str, Any]:
        for name in datastores:
            if name in SYSTEM_DATASTORES:
                raise PydanticCustomError(
                    "system_datastore",
                    "'{name}' is a system datastore that Azure ML manages; it cannot be declared",
                    {"name": name},
                )
        return datastores
