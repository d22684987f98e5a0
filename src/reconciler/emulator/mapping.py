"""REST bodies <-> store bodies: the one place that knows both shapes.

Requests arrive in Azure ML's camelCase REST shapes (what azure-ai-ml 1.35.2 sends) and are
stored as the embedded workspace's snake_case essences (`reconciler.providers.local.store`), so
the local provider and the emulator read and write the same state. Responses are rendered the
way the real service answers, server-side rewrites included: connection ``credentials: null``,
datastore secrets stripped, long data URIs, schedule ``dataType``/``startTime``/null fields.
Malformed or unsupported bodies raise `ApiError` 400, as the service's validation would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.emulator.protocol import JSON, bad_request
from reconciler.names import normalise_datastore_path
from reconciler.providers.local.store import Record

PROVIDER = "Microsoft.MachineLearningServices"
NAME_SUFFIX = "/${{name}}"


@dataclass(frozen=True)
class Scope:
    """The one workspace an emulator serves, and how its resources are named."""

    subscription_id: str
    resource_group: str
    workspace_name: str
    workspace_id: str
    location: str

    @property
    def workspace_path(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{PROVIDER}/workspaces/{self.workspace_name}"
        )

    def resource(self, segment: str, name: str, kind: str) -> JSON:
        """``id``/``name``/``type`` of a workspace child resource."""
        return {
            "id": f"{self.workspace_path}/{segment}",
            "name": name,
            "type": f"{PROVIDER}/workspaces/{kind}",
        }

    def long_uri(self, short: str, *, listing: bool = False) -> str:
        """The service's long form of ``azureml://datastores/<d>/paths/<p>`` (others as is)."""
        if not short.startswith("azureml://datastores/"):
            return short
        rest = short.removeprefix("azureml://")
        if listing:
            return f"azureml://workspaces/{self.workspace_id}/{rest}"
        return (
            f"azureml://subscriptions/{self.subscription_id}/resourcegroups/"
            f"{self.resource_group}/workspaces/{self.workspace_name}/{rest}"
        )


def system_data(created: str, updated: str | None = None) -> JSON:
    return {
        "createdAt": created,
        "createdBy": "emulator",
        "createdByType": "User",
        "lastModifiedAt": updated or created,
        "lastModifiedBy": "emulator",
        "lastModifiedByType": "User",
    }


def properties_of(body: JSON) -> JSON:
    props = body.get("properties")
    if not isinstance(props, dict):
        raise bad_request("The request body has no 'properties' object.")
    return props


def _text(props: JSON, key: str, what: str) -> str:
    value = props.get(key)
    if not isinstance(value, str) or not value:
        raise bad_request(f"{what}: '{key}' is required.")
    return value


def tags_of(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


# --- connections -------------------------------------------------------------------------------

CONNECTION_TYPES = {"Snowflake": "snowflake", "AzureSqlDb": "azure_sql_db", "S3": "s3"}
# authType -> (store credential type, REST->store plain fields, REST->store secret fields)
AUTH_TYPES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "UsernamePassword": ("username_password", {"username": "username"}, {"password": "password"}),
    "AccessKey": (
        "access_key",
        {"accessKeyId": "access_key_id"},
        {"secretAccessKey": "secret_access_key"},
    ),
    "ApiKey": ("api_key", {}, {"key": "key"}),
    "None": ("none", {}, {}),
}


def connection_from_rest(body: JSON, *, strict: bool = True) -> tuple[JSON, dict[str, str]]:
    """Store body and secrets of a PUT body; ``strict=False`` accepts a GET body (no secrets)."""
    props = properties_of(body)
    category = props.get("category")
    if category not in CONNECTION_TYPES and category != "ApiKey":
        supported = ", ".join([*CONNECTION_TYPES, "ApiKey"])
        raise bad_request(f"Connection category {category!r} is not supported ({supported}).")
    auth = props.get("authType")
    if auth not in AUTH_TYPES:
        raise bad_request(f"Connection authType {auth!r} is not supported.")
    cred_type, plain, secret = AUTH_TYPES[auth]
    given = {k: v for k, v in (props.get("credentials") or {}).items() if v not in (None, "")}
    missing = [field for field in [*plain, *secret] if field not in given]
    if strict and missing:
        raise bad_request(f"Connection credentials of type {auth} need {', '.join(missing)}.")
    credentials: JSON = {"type": cred_type}
    credentials.update({ours: given[theirs] for theirs, ours in plain.items() if theirs in given})
    secrets = {f"credentials.{o}": str(given[t]) for t, o in secret.items() if t in given}
    store_body = {
        "type": CONNECTION_TYPES.get(category, "api_key"),
        "target": _text(props, "target", "Connection"),
        "credentials": credentials,
        "tags": tags_of(props.get("metadata")),
    }
    return store_body, secrets


def connection_to_rest(scope: Scope, record: Record, secrets: dict[str, str] | None = None) -> JSON:
    """The resource as GET answers it (``credentials: null``) or, given ``secrets``, as
    ``listsecrets`` does."""
    body = record.body
    cred = body.get("credentials") or {}
    auth = next(a for a, (t, _, _) in AUTH_TYPES.items() if t == cred.get("type", "none"))
    category = next((c for c, t in CONNECTION_TYPES.items() if t == body["type"]), "ApiKey")
    credentials = None
    if secrets is not None:
        _, plain, secret = AUTH_TYPES[auth]
        credentials = {theirs: cred.get(ours) for theirs, ours in plain.items()}
        credentials.update(
            {theirs: secrets.get(f"credentials.{ours}") for theirs, ours in secret.items()}
        )
    return {
        **scope.resource(f"connections/{record.name}", record.name, "connections"),
        "properties": {
            "authType": auth,
            "category": category,
            "target": body.get("target"),
            "credentials": credentials,
            "metadata": dict(body.get("tags") or {}),
            "expiryTime": None,
            "isSharedToAll": True,
            "sharedUserList": [],
        },
        "systemData": system_data(record.created_at, record.updated_at),
        "tags": None,
        "location": None,
    }


# --- datastores --------------------------------------------------------------------------------

# datastoreType -> (store type, REST container field, store container field)
DATASTORE_TYPES = {
    "AzureBlob": ("azure_blob", "containerName", "container_name"),
    "AzureDataLakeGen2": ("azure_data_lake_gen2", "filesystem", "filesystem"),
    "AzureFile": ("azure_file", "fileShareName", "file_share_name"),
}
# credentialsType -> (store type, REST secret field, store secret key)
CREDENTIAL_TYPES: dict[str, tuple[str, str | None, str | None]] = {
    "AccountKey": ("account_key", "key", "credentials.account_key"),
    "Sas": ("sas", "sasToken", "credentials.sas_token"),
    "ServicePrincipal": ("service_principal", "clientSecret", "credentials.client_secret"),
    "None": ("none", None, None),
}
SP_FIELDS = {
    "tenantId": "tenant_id",
    "clientId": "client_id",
    "authorityUrl": "authority_url",
    "resourceUrl": "resource_url",
}


def datastore_from_rest(body: JSON, *, strict: bool = True) -> tuple[JSON, dict[str, str]]:
    """Store body and secrets of a PUT body; ``strict=False`` accepts a GET body (no secrets)."""
    props = properties_of(body)
    kind = props.get("datastoreType")
    if kind not in DATASTORE_TYPES:
        raise bad_request(
            f"Datastore type {kind!r} is not supported ({', '.join(DATASTORE_TYPES)})."
        )
    store_type, rest_field, store_field = DATASTORE_TYPES[kind]
    rest_creds = props.get("credentials") or {"credentialsType": "None"}
    cred_kind = rest_creds.get("credentialsType")
    if cred_kind not in CREDENTIAL_TYPES:
        raise bad_request(f"Datastore credentials type {cred_kind!r} is not supported.")
    cred_type, secret_field, secret_key = CREDENTIAL_TYPES[cred_kind]
    credentials: JSON = {"type": cred_type}
    if cred_kind == "ServicePrincipal":
        for theirs, ours in SP_FIELDS.items():
            if rest_creds.get(theirs) is not None or ours != "resource_url":
                credentials[ours] = rest_creds.get(theirs)
    secrets: dict[str, str] = {}
    if secret_field and secret_key:
        value = (rest_creds.get("secrets") or {}).get(secret_field)
        if value:
            secrets[secret_key] = str(value)
        elif strict:
            raise bad_request(f"Datastore credentials of type {cred_kind} need '{secret_field}'.")
    store_body = {
        "type": store_type,
        "account_name": _text(props, "accountName", "Datastore"),
        store_field: _text(props, rest_field, "Datastore"),
        "endpoint": props.get("endpoint") or "core.windows.net",
        "protocol": props.get("protocol") or "https",
        "description": props.get("description"),
        "credentials": credentials,
        "tags": tags_of(props.get("tags")),
    }
    return store_body, secrets


def datastore_to_rest(scope: Scope, record: Record) -> JSON:
    body = record.body
    kind, rest_field, store_field = next(
        (k, rf, sf) for k, (t, rf, sf) in DATASTORE_TYPES.items() if t == body["type"]
    )
    cred = body.get("credentials") or {"type": "none"}
    credentials: JSON = {
        "credentialsType": next(k for k, v in CREDENTIAL_TYPES.items() if v[0] == cred["type"])
    }
    credentials.update({t: cred[o] for t, o in SP_FIELDS.items() if cred.get(o) is not None})
    default = bool(body.get("is_default"))
    return {
        **scope.resource(f"datastores/{record.name}", record.name, "datastores"),
        "properties": {
            "description": body.get("description"),
            "tags": dict(body.get("tags") or {}),
            "properties": None,
            "isDefault": default,
            "credentials": credentials,
            "datastoreType": kind,
            "accountName": body.get("account_name"),
            rest_field: body.get(store_field),
            "endpoint": body.get("endpoint"),
            "protocol": body.get("protocol"),
            "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity"
            if default
            else "None",
        },
        "systemData": system_data(record.created_at, record.updated_at),
    }


def datastore_secrets(record: Record, secrets: dict[str, str]) -> JSON:
    """What ``listSecrets`` answers: the bare secrets object."""
    cred_type = (record.body.get("credentials") or {}).get("type", "none")
    kind = next(k for k, v in CREDENTIAL_TYPES.items() if v[0] == cred_type)
    _, field, key = CREDENTIAL_TYPES[kind]
    if field is None or key is None:
        raise bad_request(f"Datastore {record.name} has no secrets (credentials type None).")
    # system datastores hold no stored secret: answer a stable placeholder, as a key would be
    value = secrets.get(key) or f"emulator-{record.name}-{field}"
    return {"secretsType": kind, field: value}


# --- data asset versions and containers ----------------------------------------------------------


def data_version_from_rest(body: JSON) -> JSON:
    props = properties_of(body)
    uri = _text(props, "dataUri", "Data version")
    store_body: JSON = {
        "path": normalise_datastore_path(uri) or uri,
        "type": props.get("dataType") or "uri_folder",
        "description": props.get("description"),
        "tags": tags_of(props.get("tags")),
        "properties": dict(props.get("properties") or {}),
    }
    if props.get("isArchived"):
        store_body["is_archived"] = True
    return store_body


def data_version_to_rest(
    scope: Scope, name: str, version: str, body: JSON, created: str, *, listing: bool = False
) -> JSON:
    return {
        **scope.resource(f"data/{name}/versions/{version}", version, "data/versions"),
        "properties": {
            "description": body.get("description"),
            "tags": dict(body.get("tags") or {}),
            "properties": dict(body.get("properties") or {}),
            "isArchived": bool(body.get("is_archived")),
            "isAnonymous": False,
            "dataUri": scope.long_uri(body.get("path", ""), listing=listing),
            "dataType": body.get("type", "uri_folder"),
        },
        "systemData": {k: v for k, v in system_data(created).items() if "lastModifiedBy" not in k},
    }


def version_key(version: str) -> tuple[int, int, str]:
    return (1, int(version), "") if version.isdigit() else (0, 0, version)


def data_container_to_rest(
    scope: Scope, name: str, versions: list[tuple[str, JSON, str]], archived: bool
) -> JSON:
    latest, body, _ = max(versions, key=lambda v: version_key(v[0]))
    numbers = [int(v) for v, _, _ in versions if v.isdigit()]
    created = min(c for _, _, c in versions)
    return {
        **scope.resource(f"data/{name}", name, "data"),
        "properties": {
            "description": None,
            "tags": {},
            "properties": {},
            "isArchived": archived,
            "latestVersion": latest,
            "nextVersion": str(max(numbers, default=0) + 1),
            "dataType": body.get("type", "uri_folder"),
        },
        "systemData": system_data(created),
    }
