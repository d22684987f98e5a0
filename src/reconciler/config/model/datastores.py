"""Datastores (``az ml datastore``): Azure Blob, ADLS Gen2, Azure Files, ADLS Gen1 and OneLake;
credentials by account key, SAS token, service principal or certificate (which one is told by
the fields given, as the credential tables of `reconciler.core.vocabulary` say), or none for
identity-based access. The types each datastore type takes: `DATASTORE_TYPE_CREDENTIALS`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

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
    DATASTORE_TYPE_CREDENTIALS,
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


def _guid(value: str) -> str:
    """The REST API types a datastore's tenant and client IDs as UUIDs (format: uuid)."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise PydanticCustomError(
            "guid",
            "this is not a GUID (8-4-4-4-12 hexadecimal digits); the service takes only the "
            "tenant's or application's ID here",
        ) from None
    if len(value) != 36:
        raise PydanticCustomError("guid", "write the GUID as 8-4-4-4-12 hexadecimal digits")
    return value


Guid = Annotated[Text, AfterValidator(_guid)]


class ServicePrincipalCredentials(Strict):
    kind: ClassVar[str] = "service_principal"
    tenant_id: Guid = Field(description="Entra ID tenant ID (a GUID).")
    client_id: Guid = Field(description="Application (client) ID (a GUID).")
    client_secret: Secret = Field(description="Client secret: ${env:NAME}.")
    authority_url: Text = Field(DEFAULT_AUTHORITY, description="Authority.")
    resource_url: Text | None = Field(None, description="The resource the token is for.")


class CertificateCredentials(Strict):
    kind: ClassVar[str] = "certificate"
    tenant_id: Guid = Field(description="Entra ID tenant ID (a GUID).")
    client_id: Guid = Field(description="Application (client) ID (a GUID).")
    thumbprint: Text = Field(description="The certificate's thumbprint.")
    certificate: Secret = Field(description="The certificate: ${env:NAME}.")
    authority_url: Text = Field(DEFAULT_AUTHORITY, description="Authority.")
    resource_url: Text | None = Field(None, description="The resource the token is for.")


AnyDatastoreCredentials = (
    AccountKeyCredentials | SasCredentials | ServicePrincipalCredentials | CertificateCredentials
)


def _credential_kind(value: Any) -> str | None:
    """Which credential a datastore's ``credentials`` mapping is, by the fields it holds: it has
    no ``type`` field (a certificate is told from a service principal by its thumbprint)."""
    if isinstance(value, dict):
        for kind, fields in _TELLING_FIELDS:
            if any(name in value for name in fields):
                return f"credentials:{kind}"
        return "unknown"
    if isinstance(value, AnyDatastoreCredentials):
        return f"credentials:{value.kind}"
    return None


_TELLING_FIELDS = (
    ("account_key", ("account_key",)),
    ("sas", ("sas_token",)),
    ("certificate", ("certificate", "thumbprint")),
    ("service_principal", ("client_secret", "tenant_id", "client_id")),
)

DatastoreCredentials = Annotated[
    Annotated[AccountKeyCredentials, Tag("credentials:account_key")]
    | Annotated[SasCredentials, Tag("credentials:sas")]
    | Annotated[ServicePrincipalCredentials, Tag("credentials:service_principal")]
    | Annotated[CertificateCredentials, Tag("credentials:certificate")],
    Discriminator(
        _credential_kind,
        custom_error_type="credentials",
        custom_error_message="credentials need one of: account_key, sas_token, tenant_id + "
        "client_id + client_secret, or tenant_id + client_id + thumbprint + certificate; omit "
        "credentials for identity-based access",
    ),
]


class _Datastore(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    # each type narrows `type` to its Literal; declared first so it is validated first
    type: str = Field(description="The datastore type.")
    schema_: str | None = Field(
        None, alias="$schema", description="The az ml schema URL (accepted and ignored)."
    )
    name: str | None = Field(None, description="Its name, if written: the same as its key.")
    description: Prose | None = Field(None, description="Description.")
    tags: UserTags = Field(default_factory=dict, description="Free-form tags.")
    lifecycle: Lifecycle = lifecycle_field()
    credentials: DatastoreCredentials | None = Field(
        None,
        description="Account key, SAS token, service principal or certificate; omit for "
        "identity-based access (the types each datastore type takes are in the README).",
    )

    @model_validator(mode="after")
    def _taken(self) -> Any:
        taken = DATASTORE_TYPE_CREDENTIALS[self.type]
        if self.credentials is not None and self.credentials.kind not in taken:
            raise PydanticCustomError(
                "credential_type",
                "a {type} datastore takes credentials of type {taken}",
                {"type": self.type, "taken": " or ".join(taken)},
            )
        return self


class _StorageDatastore(_Datastore):
    account_name: Text = Field(description="Storage account name.")
    endpoint: Text = Field(DEFAULT_ENDPOINT, description="Storage endpoint suffix.")
    protocol: DatastoreProtocol = Field(DEFAULT_PROTOCOL, description="Protocol.")


class AzureBlobDatastore(_StorageDatastore):
    """An Azure Blob container (``az ml datastore`` type ``azure_blob``)."""

    type: Literal["azure_blob"]
    container_name: Text = Field(description="Blob container.")


class AzureDataLakeGen2Datastore(_StorageDatastore):
    """An ADLS Gen2 file system (``az ml datastore`` type ``azure_data_lake_gen2``)."""

    type: Literal["azure_data_lake_gen2"]
    filesystem: Text = Field(description="ADLS Gen2 file system (container).")


class AzureFileDatastore(_StorageDatastore):
    """An Azure Files share (``az ml datastore`` type ``azure_file``)."""

    type: Literal["azure_file"]
    file_share_name: Text = Field(description="File share.")


class AzureDataLakeGen1Datastore(_Datastore):
    """An ADLS Gen1 store (``az ml datastore`` type ``azure_data_lake_gen1``)."""

    type: Literal["azure_data_lake_gen1"]
    store_name: Text = Field(description="The Data Lake Storage Gen1 account.")


class OneLakeArtifact(Strict):
    type: Literal["lake_house"] = Field("lake_house", description="A lakehouse.")
    name: Text = Field(description="The lakehouse's name or ID (with a folder: ID/Files).")


class OneLakeDatastore(_Datastore):
    """A Microsoft OneLake lakehouse (``az ml datastore`` type ``one_lake``)."""

    type: Literal["one_lake"]
    one_lake_workspace_name: Text = Field(description="The Fabric workspace (name or ID).")
    endpoint: Text = Field(
        description="The OneLake endpoint, e.g. onelake.dfs.fabric.microsoft.com."
    )
    artifact: OneLakeArtifact = Field(description="The lakehouse.")


Datastore = Annotated[
    AzureBlobDatastore
    | AzureDataLakeGen2Datastore
    | AzureFileDatastore
    | AzureDataLakeGen1Datastore
    | OneLakeDatastore,
    Field(discriminator="type"),
]
AnyDatastore = (
    AzureBlobDatastore
    | AzureDataLakeGen2Datastore
    | AzureFileDatastore
    | AzureDataLakeGen1Datastore
    | OneLakeDatastore
)
