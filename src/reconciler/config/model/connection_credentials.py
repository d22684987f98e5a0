"""A connection's credentials (``az ml connection``'s ``credentials:``), one model per credential
type the service takes; which type each connection type takes is
`reconciler.core.connection_kinds`' table, checked by `reconciler.config.model.connections`.
Secrets are references only. Blob credentials Learn writes without ``type`` are told by the field
they hold; ``sql_auth`` (Learn's Azure SQL how-to) is ``username_password``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from reconciler.config.model.fields import Strict, Text
from reconciler.config.model.secretrefs import Secret
from reconciler.core.connection_kinds import CONNECTION_CREDENTIALS, CREDENTIAL_TYPE_ALIASES


class PatCredentials(Strict):
    type: Literal["pat"] = Field(description="Personal access token.")
    pat: Secret = Field(description="The token: ${env:NAME}.")


class UsernamePassword(Strict):
    type: Literal["username_password", "sql_auth"] = Field(
        description="User name and password (sql_auth: the same, as Learn's Azure SQL page writes)."
    )
    username: Text = Field(description="User name.")
    password: Secret = Field(description="Password, as a secret reference: ${env:NAME}.")


class ManagedIdentityCredentials(Strict):
    type: Literal["managed_identity"] = Field(description="A managed identity.")
    client_id: Text = Field(description="The identity's client ID.")
    resource_id: Text = Field(description="The identity's resource ID.")


class ServicePrincipalCredentials(Strict):
    type: Literal["service_principal"] = Field(description="An Entra ID service principal.")
    tenant_id: Text = Field(description="Entra ID tenant ID.")
    client_id: Text = Field(description="Application (client) ID.")
    client_secret: Secret = Field(description="Client secret: ${env:NAME}.")


class AccessKey(Strict):
    type: Literal["access_key"] = Field(description="Access key (S3).")
    access_key_id: Text = Field(description="Access key ID.")
    secret_access_key: Secret = Field(description="Secret access key: ${env:NAME}.")


class ApiKeyCredentials(Strict):
    type: Literal["api_key"] = Field(description="An API key.")
    key: Secret = Field(description="The key: ${env:NAME}.")


class AccountKeyCredentials(Strict):
    type: Literal["account_key"] = Field(
        "account_key", description="Storage account key (Learn's Blob page omits the type)."
    )
    account_key: Secret = Field(description="The account key: ${env:NAME}.")


class SasCredentials(Strict):
    type: Literal["sas"] = Field("sas", description="Shared access signature.")
    sas_token: Secret = Field(description="The SAS token: ${env:NAME}.")


class EntraCredentials(Strict):
    type: Literal["aad"] = Field(description="The caller's Entra ID identity.")


class NoCredentials(Strict):
    type: Literal["none"] = Field(description="No credentials.")


def _credential_type(value: Any) -> str | None:
    """The credential type: its ``type`` (``sql_auth`` is ``username_password``), or, for the
    Blob shapes Learn writes without one, told by the field it holds."""
    given = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if given is None and isinstance(value, dict):
        if "account_key" in value:
            given = "account_key"
        elif "sas_token" in value:
            given = "sas"
    if not isinstance(given, str):
        return None
    return "credentials:" + CREDENTIAL_TYPE_ALIASES.get(given, given)


ConnectionCredentials = Annotated[
    Annotated[PatCredentials, Tag("credentials:pat")]
    | Annotated[UsernamePassword, Tag("credentials:username_password")]
    | Annotated[ManagedIdentityCredentials, Tag("credentials:managed_identity")]
    | Annotated[ServicePrincipalCredentials, Tag("credentials:service_principal")]
    | Annotated[AccessKey, Tag("credentials:access_key")]
    | Annotated[ApiKeyCredentials, Tag("credentials:api_key")]
    | Annotated[AccountKeyCredentials, Tag("credentials:account_key")]
    | Annotated[SasCredentials, Tag("credentials:sas")]
    | Annotated[EntraCredentials, Tag("credentials:aad")]
    | Annotated[NoCredentials, Tag("credentials:none")],
    Discriminator(
        _credential_type,
        custom_error_type="unknown_type",
        custom_error_message="unknown credentials type; expected one of: "
        + ", ".join(CONNECTION_CREDENTIALS)
        + " (Blob credentials may leave it out: account_key or sas_token tells)",
    ),
]
AnyCredentials = (
    PatCredentials
    | UsernamePassword
    | ManagedIdentityCredentials
    | ServicePrincipalCredentials
    | AccessKey
    | ApiKeyCredentials
    | AccountKeyCredentials
    | SasCredentials
    | EntraCredentials
    | NoCredentials
)


def credential_type(credentials: AnyCredentials) -> str:
    """Its credential type in `CONNECTION_CREDENTIALS` (``sql_auth`` is ``username_password``)."""
    return CREDENTIAL_TYPE_ALIASES.get(credentials.type, credentials.type)
