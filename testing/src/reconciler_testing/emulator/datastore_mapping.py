"""Datastores: REST body <-> store body, every datastore type the service accepts.

Blob, ADLS Gen2 and file-share datastores with the credential kinds reconciler models are stored
as the essences the local provider reads, their secrets kept apart. Other types the service
accepts (ADLS Gen1, OneLake) and other credential kinds (certificates) are stored verbatim beside
a minimal essence, their secrets kept apart too. Answers strip secrets to ``credentialsType``
(and a service principal's ids) as the service does; the system datastores answer
``tags: null``.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.vocabulary import (
    DATASTORE_CREDENTIALS,
    DATASTORE_KINDS,
    DEFAULT_ENDPOINT,
    DEFAULT_PROTOCOL,
    SERVICE_DATASTORE_CREDENTIALS,
    SERVICE_DATASTORE_TYPES,
    by_rest_name,
    service_spelling,
    snake_case,
)
from reconciler.providers.local.store import Record
from reconciler_testing.emulator.mapping import Scope, properties_of, system_data, tags_of
from reconciler_testing.emulator.protocol import JSON, bad_request

VERBATIM = "rest"  # store body key: the properties of a datastore reconciler does not model
_KIND_BY_REST = {kind.rest: kind for kind in DATASTORE_KINDS.values()}
# non-secret service principal fields the service answers (REST -> store)
SP_FIELDS = {
    "tenantId": "tenant_id",
    "clientId": "client_id",
    "authorityUrl": "authority_url",
    "resourceUrl": "resource_url",
}
_SECRET_FIELDS = ("key", "sasToken", "clientSecret", "certificate")
_NOT_ECHOED = ("credentials", "datastoreType", "tags", "description", "isDefault")


def datastore_from_rest(body: JSON, *, strict: bool = True) -> tuple[JSON, dict[str, str]]:
    """Store body and secrets of a PUT body; ``strict=False`` accepts a GET body (no secrets)."""
    props = properties_of(body)
    rest_type = service_spelling(SERVICE_DATASTORE_TYPES, props.get("datastoreType"))
    if rest_type is None:
        raise bad_request(f"Datastore type {props.get('datastoreType')!r} is not supported.")
    rest_creds = props.get("credentials") or {"credentialsType": "None"}
    cred_type = service_spelling(SERVICE_DATASTORE_CREDENTIALS, rest_creds.get("credentialsType"))
    if cred_type is None:
        raise bad_request(
            f"Datastore credentials type {rest_creds.get('credentialsType')!r} is not supported."
        )
    kind = _KIND_BY_REST.get(rest_type)
    cred_kind = by_rest_name(DATASTORE_CREDENTIALS, cred_type)
    secrets = _secrets(rest_creds, cred_kind.secret if cred_kind else (), strict, cred_type)
    credentials: JSON = {"type": cred_kind.name if cred_kind else snake_case(cred_type)}
    if cred_type == "ServicePrincipal":
        for theirs, ours in SP_FIELDS.items():
            if rest_creds.get(theirs) is not None or ours != "resource_url":
                credentials[ours] = rest_creds.get(theirs)
    store_body: JSON = {
        "type": kind.name if kind else snake_case(rest_type),
        "description": props.get("description"),
        "credentials": credentials,
        "tags": tags_of(props.get("tags")),
    }
    if kind is None or cred_kind is None:
        store_body[VERBATIM] = {
            "datastoreType": rest_type,
            "credentialsType": cred_type,
            **{k: v for k, v in props.items() if k not in _NOT_ECHOED},
        }
        return store_body, secrets
    store_body.update(
        {
            "account_name": _required(props, "accountName"),
            kind.container: _required(props, kind.rest_container),
            "endpoint": props.get("endpoint") or DEFAULT_ENDPOINT,
            "protocol": props.get("protocol") or DEFAULT_PROTOCOL,
        }
    )
    return store_body, secrets


def _required(props: JSON, key: str) -> str:
    value = props.get(key)
    if not isinstance(value, str) or not value:
        raise bad_request(f"Datastore: '{key}' is required.")
    return value


def _secrets(
    rest_creds: JSON, secret: tuple[tuple[str, str], ...], strict: bool, cred_type: str
) -> dict[str, str]:
    given = rest_creds.get("secrets") or {}
    if not secret:  # a kind reconciler does not model: keep every secret field as sent
        return {f"secrets.{k}": str(v) for k, v in given.items() if k in _SECRET_FIELDS and v}
    out = {f"credentials.{ours}": str(given[t]) for t, ours in secret if given.get(t)}
    if strict and not out:
        raise bad_request(f"Datastore credentials of type {cred_type} need '{secret[0][0]}'.")
    return out


def datastore_to_rest(scope: Scope, record: Record) -> JSON:
    body = record.body
    default = bool(body.get("is_default"))
    cred = body.get("credentials") or {"type": "none"}
    verbatim: JSON = dict(body.get(VERBATIM) or {})
    if verbatim:
        credentials: JSON = {"credentialsType": verbatim.pop("credentialsType")}
        fields: JSON = {"datastoreType": verbatim.pop("datastoreType"), **verbatim}
    else:
        kind = DATASTORE_KINDS[body["type"]]
        credentials = {"credentialsType": DATASTORE_CREDENTIALS[cred["type"]].rest}
        fields = {
            "datastoreType": kind.rest,
            "accountName": body.get("account_name"),
            kind.rest_container: body.get(kind.container),
            "endpoint": body.get("endpoint"),
            "protocol": body.get("protocol"),
        }
    credentials.update({t: cred[o] for t, o in SP_FIELDS.items() if cred.get(o) is not None})
    return {
        **scope.resource(f"datastores/{record.name}", record.name, "datastores"),
        "properties": {
            "description": body.get("description"),
            # the service answers null for the system datastores' tags, {} for the others
            "tags": None if record.system else dict(body.get("tags") or {}),
            "properties": None,
            "isDefault": default,
            "credentials": credentials,
            **fields,
            "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity"
            if default
            else "None",
        },
        "systemData": system_data(record.created_at, record.updated_at),
    }


def datastore_secrets(record: Record, secrets: dict[str, str]) -> JSON:
    """What ``listSecrets`` answers: the bare secrets object."""
    body = record.body
    verbatim = body.get(VERBATIM)
    if verbatim:
        kind = str(verbatim["credentialsType"])
        stored: dict[str, Any] = {
            k.removeprefix("secrets."): v for k, v in secrets.items() if k.startswith("secrets.")
        }
        if kind == "None":
            raise bad_request(f"Datastore {record.name} has no secrets (credentials type None).")
        return {"secretsType": kind, **stored}
    cred_kind = DATASTORE_CREDENTIALS[(body.get("credentials") or {}).get("type", "none")]
    if not cred_kind.secret:
        raise bad_request(f"Datastore {record.name} has no secrets (credentials type None).")
    field, ours = cred_kind.secret[0]
    # system datastores hold no stored secret: answer a stable placeholder, as a key would be
    value = secrets.get(f"credentials.{ours}") or f"emulator-{record.name}-{field}"
    return {"secretsType": cred_kind.rest, field: value}
