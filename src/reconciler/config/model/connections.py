"""Workspace connections (``az ml connection``): every type az ml's YAML accepts, with the
credential types the service takes for each, in the YAML shapes Microsoft documents.

One model per shape of YAML (`reconciler.core.connection_kinds` lists the types and what each
takes): a ``target`` (git, feeds, registries, databases, S3, ADLS Gen2, custom); an endpoint
with an API key or Entra ID (Azure OpenAI, AI Services, AI Search, Content Safety, Speech); an
API key beside an optional base (api_key, open_ai, serp, serverless); Blob (``url``, account,
container); OneLake (endpoint, workspace, artifact, or a ``target``). Secrets are references
only. Where Microsoft's published YAML is not what azure-ai-ml accepts but means one thing, it
is accepted and translated (see `reconciler.core.connection_kinds`' aliases): Blob credentials
without ``type``, ``sql_auth``, ``serverless_model``, Learn's OneLake ``one_lake_artifact``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from reconciler.config.model.connection_credentials import (
    AnyCredentials,
    ConnectionCredentials,
    credential_type,
)
from reconciler.config.model.fields import (
    Lifecycle,
    Strict,
    Text,
    UserTags,
    lifecycle_field,
)
from reconciler.config.model.secretrefs import Secret
from reconciler.core.connection_kinds import (
    CONNECTION_KINDS,
    CONNECTION_TYPE_ALIASES,
    ONE_LAKE_LAKEHOUSE,
    CognitiveConnectionType,
    ConnectionKind,
    KeyOnlyConnectionType,
    OneLakeConnectionType,
    ServerlessConnectionType,
    TargetConnectionType,
)

# --- the shapes --------------------------------------------------------------------------------


class _Connection(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    # each shape narrows `type` to its Literal; declared here first, so that it is validated
    # before the fields below that depend on it
    type: str = Field(description="The connection type.")
    schema_: str | None = Field(
        None, alias="$schema", description="The az ml schema URL (accepted and ignored)."
    )
    name: str | None = Field(None, description="Its name, if written: the same as its key.")
    metadata: UserTags = Field(default_factory=dict, description="Free-form metadata.")
    tags: UserTags = Field(
        default_factory=dict,
        description="Free-form metadata (az ml's older name for metadata; both are merged).",
    )
    is_shared: bool = Field(True, description="Shared with everyone in the workspace.")
    lifecycle: Lifecycle = lifecycle_field()
    credentials: ConnectionCredentials | None = Field(
        None, description="How to authenticate (the types the connection's type takes)."
    )

    @property
    def kind(self) -> ConnectionKind:
        return CONNECTION_KINDS[CONNECTION_TYPE_ALIASES.get(self.type, self.type)]

    @property
    def target_value(self) -> str:
        """What the service stores as ``target``."""
        return str(getattr(self, self.kind.target_key, None) or "")

    @property
    def user_metadata(self) -> dict[str, str]:
        """``tags`` and ``metadata`` merged, as azure-ai-ml merges them (metadata wins)."""
        return dict(sorted({**self.tags, **self.metadata}.items()))

    @field_validator("credentials")
    @classmethod
    def _taken(cls, credentials: AnyCredentials | None, info: ValidationInfo) -> Any:
        given = info.data.get("type")
        if credentials is None or not isinstance(given, str):
            return credentials
        kind = CONNECTION_KINDS[CONNECTION_TYPE_ALIASES.get(given, given)]
        if credential_type(credentials) not in kind.credentials:
            raise PydanticCustomError(
                "credential_type",
                "a {type} connection takes credentials of type {taken}",
                {"type": given, "taken": " or ".join(kind.credentials)},
            )
        return credentials

    @model_validator(mode="after")
    def _metadata_keys(self) -> Any:
        for key in self.user_metadata:
            if key in self.kind.service_metadata:
                raise PydanticCustomError(
                    "service_metadata",
                    "metadata key {key!r} is the service's own for a {type} connection; set it "
                    "through its field instead",
                    {"key": key, "type": self.kind.name},
                )
        return self


class _WithApiKey(_Connection):
    api_key: Secret | None = Field(None, description="The API key: ${env:NAME}.")

    @model_validator(mode="after")
    def _one_key(self) -> Any:
        if self.api_key is not None and self.credentials is not None:
            raise PydanticCustomError(
                "two_keys",
                "give the key either as api_key or as credentials {type: api_key, key}, not both",
            )
        missing = self.api_key is None and self.credentials is None
        if self.kind.default_credential is None and missing:
            raise PydanticCustomError(
                "api_key_missing",
                "a {type} connection needs its api_key",
                {"type": self.kind.name},
            )
        return self


class TargetConnection(_Connection):
    """A connection to a ``target``: Git and Python feeds, container registries, databases
    (Snowflake, Azure SQL, Synapse, MySQL, PostgreSQL), S3, ADLS Gen2, custom keys."""

    type: TargetConnectionType = Field(description="The connection type.")
    target: Text = Field(description="Where it points (a URL, JDBC URL, server, bucket).")

    @model_validator(mode="after")
    def _checks(self) -> Any:
        if self.type == "snowflake" and not self.target.startswith("jdbc:snowflake://"):
            raise PydanticCustomError(
                "bad_target",
                "a snowflake target is a JDBC URL: jdbc:snowflake://<account>.snowflakecomputing"
                ".com/?db=<database>&warehouse=<warehouse>&role=<role>",
            )
        if self.credentials is None and self.kind.default_credential is None:
            raise PydanticCustomError(
                "credentials_missing",
                "a {type} connection needs credentials of type {taken}",
                {"type": self.type, "taken": " or ".join(self.kind.credentials)},
            )
        return self


class AzureOpenAIConnection(_WithApiKey):
    """Azure OpenAI (``azure_open_ai``): an API key, or Entra ID when none is given."""

    type: Literal["azure_open_ai"] = Field(description="Azure OpenAI.")
    azure_endpoint: Text = Field(description="The resource's endpoint.")
    api_version: Text | None = Field(None, description="The API version it is used with.")
    open_ai_resource_id: Text | None = Field(None, description="The resource's ARM ID.")


class AzureAIServicesConnection(_WithApiKey):
    """Azure AI Services (``azure_ai_services``): an API key, or Entra ID when none is given."""

    type: Literal["azure_ai_services"] = Field(description="Azure AI Services.")
    endpoint: Text = Field(description="The resource's endpoint.")
    ai_services_resource_id: Text | None = Field(
        None,
        description="The AI Services account's ARM ID; required (azure-ai-ml cannot read the "
        "connection without it).",
    )

    @model_validator(mode="after")
    def _resource_id(self) -> Any:
        if self.ai_services_resource_id is None:
            raise PydanticCustomError(
                "resource_id_missing",
                "ai_services_resource_id is required: azure-ai-ml cannot read an AI Services "
                "connection without it (Learn's example leaves it out); give the account's "
                "resource ID, /subscriptions/<id>/resourceGroups/<group>/providers/"
                "Microsoft.CognitiveServices/accounts/<name>",
            )
        return self


class CognitiveConnection(_WithApiKey):
    """Azure AI Search, Content Safety and Speech: an API key, or Entra ID when none is given."""

    type: CognitiveConnectionType = Field(description="The service.")
    endpoint: Text = Field(description="The resource's endpoint.")


class ApiBaseConnection(_WithApiKey):
    """An API with a key (``api_key``)."""

    type: Literal["api_key"] = Field(description="A generic API key connection.")
    api_base: Text = Field(description="The API's base URL.")


class KeyOnlyConnection(_WithApiKey):
    """OpenAI and SerpApi: a key, the target optional."""

    type: KeyOnlyConnectionType = Field(description="OpenAI or SerpApi.")
    target: Text | None = Field(None, description="Where it points (optional).")


class ServerlessConnection(_WithApiKey):
    """A serverless model endpoint (``serverless``; Learn writes ``serverless_model``)."""

    type: ServerlessConnectionType = Field(description="A serverless endpoint.")
    endpoint: Text = Field(description="The endpoint.")


class AzureBlobConnection(_Connection):
    """An Azure Blob container (``azure_blob``): account key, SAS or Entra ID (the default)."""

    type: Literal["azure_blob"] = Field(description="Azure Blob Storage.")
    url: Text = Field(description="The storage endpoint.")
    account_name: Text = Field(description="Storage account.")
    container_name: Text = Field(description="Blob container.")


class OneLakeArtifact(Strict):
    type: Literal["lake_house"] = Field("lake_house", description="A lakehouse.")
    name: Text = Field(description="The lakehouse's name or ID.")


class LearnOneLakeArtifact(OneLakeArtifact):
    """Learn's shape: the workspace and endpoint inside the artifact."""

    workspace_id: Text = Field(description="The Fabric workspace.")
    endpoint: Text = Field(description="The OneLake endpoint.")


class OneLakeConnection(_Connection):
    """A Microsoft OneLake artifact (``azure_one_lake``; Learn writes ``one_lake`` with
    ``one_lake_artifact``): its target is built from endpoint, workspace and artifact as
    azure-ai-ml builds it, or given as ``target``."""

    type: OneLakeConnectionType = Field(description="Microsoft OneLake.")
    endpoint: Text | None = Field(None, description="The OneLake endpoint (no https://).")
    one_lake_workspace_name: Text | None = Field(None, description="The Fabric workspace.")
    artifact: OneLakeArtifact | None = Field(None, description="The lakehouse.")
    one_lake_artifact: LearnOneLakeArtifact | None = Field(
        None, description="Learn's shape of endpoint, workspace and artifact in one."
    )
    target: Text | None = Field(None, description="The whole target URL instead.")

    @model_validator(mode="after")
    def _one_shape(self) -> Any:
        parts = self.endpoint is not None and self.artifact is not None
        shapes = [self.target is not None, parts, self.one_lake_artifact is not None]
        if sum(shapes) != 1:
            raise PydanticCustomError(
                "one_lake_shape",
                "give endpoint, one_lake_workspace_name and artifact {type: lake_house, name}; "
                "or one_lake_artifact {name, workspace_id, endpoint}; or a target URL",
            )
        return self

    @property
    def target_value(self) -> str:
        if self.target is not None:
            return self.target
        if self.one_lake_artifact is not None:
            art = self.one_lake_artifact
            return one_lake_target(art.endpoint, art.workspace_id, art.name)
        assert self.artifact is not None
        return one_lake_target(
            str(self.endpoint), self.one_lake_workspace_name or "", self.artifact.name
        )


def one_lake_target(endpoint: str, workspace: str, artifact: str) -> str:
    """The target azure-ai-ml builds: ``https://<endpoint>/<workspace>/<artifact>.Lakehouse``,
    or without the suffix when the artifact is an ID (a GUID; azure-ai-ml 1.35's own test for one
    never matches a real GUID, so it suffixes those too)."""
    suffix = "" if _GUID.fullmatch(artifact) else ONE_LAKE_LAKEHOUSE
    return f"https://{endpoint}/{workspace}/{artifact}{suffix}"


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _connection_type(value: Any) -> str | None:
    given = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(given, str):
        return None
    shape = _SHAPES.get(CONNECTION_TYPE_ALIASES.get(given, given))
    return f"connection:{shape}" if shape else None


_SHAPES = {
    **{name: "target" for name in get_args(TargetConnectionType)},
    "azure_open_ai": "azure_open_ai",
    "azure_ai_services": "azure_ai_services",
    **{name: "cognitive" for name in get_args(CognitiveConnectionType)},
    "api_key": "api_key",
    **{name: "key_only" for name in get_args(KeyOnlyConnectionType)},
    **{name: "serverless" for name in get_args(ServerlessConnectionType)},
    "azure_blob": "azure_blob",
    **{name: "one_lake" for name in get_args(OneLakeConnectionType)},
}

_TYPES = ", ".join(name for name in (*CONNECTION_KINDS, *CONNECTION_TYPE_ALIASES))
Connection = Annotated[
    Annotated[TargetConnection, Tag("connection:target")]
    | Annotated[AzureOpenAIConnection, Tag("connection:azure_open_ai")]
    | Annotated[AzureAIServicesConnection, Tag("connection:azure_ai_services")]
    | Annotated[CognitiveConnection, Tag("connection:cognitive")]
    | Annotated[ApiBaseConnection, Tag("connection:api_key")]
    | Annotated[KeyOnlyConnection, Tag("connection:key_only")]
    | Annotated[ServerlessConnection, Tag("connection:serverless")]
    | Annotated[AzureBlobConnection, Tag("connection:azure_blob")]
    | Annotated[OneLakeConnection, Tag("connection:one_lake")],
    Discriminator(
        _connection_type,
        custom_error_type="unknown_type",
        custom_error_message=f"unknown connection type; expected one of: {_TYPES}",
    ),
]
AnyConnection = (
    TargetConnection
    | AzureOpenAIConnection
    | AzureAIServicesConnection
    | CognitiveConnection
    | ApiBaseConnection
    | KeyOnlyConnection
    | ServerlessConnection
    | AzureBlobConnection
    | OneLakeConnection
)
