"""Datastores (``az ml datastore``): Azure Blob, ADLS Gen2, Azure Files; credentials by account
key, SAS token or service principal (which one is told by the fields given, as the credential
tables of `reconciler.core.vocabulary` say), or none for identity-based access."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
)

from reconciler.config.model.fields import (
    Lifecycle,
    Prose,
    Strict,
    Text,
    UserTags,
    lifecycle_field,
)
from reconciler.config.model.secretrefs import Secret
from reconciler.core.vocabulary import (
    DECLARED_DATASTORE_CREDENTIALS,
    DEFAULT_AUTHORITY,
    DEFAULT_ENDPOINT,
    DEFAULT_PROTOCOL,
    DatastoreProtocol,
)


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
    tags: UserTags = Field(default_factory=dict, description="Free-form tags.")
    lifecycle: Lifecycle = lifecycle_field()


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
