"""Datastores: REST body <-> store body, every datastore type the service accepts.

Blob, ADLS Gen2, file-share, ADLS Gen1 and OneLake datastores, with every credential type
(account key, SAS, service principal, certificate, none), are stored as the essences the local
provider reads, their secrets kept apart (`reconciler.core.vocabulary` names the fields).
Answers strip the secrets and keep the credentials' non-secret fields (a service principal's or
certificate's ids), as the service does; the system datastores answer ``tags: null``. A tenant
or client ID that is not a GUID is refused (the specification's format: uuid).
"""

from __future__ import annotations

import uuid

from reconciler.core.vocabulary import (
    DATASTORE_CREDENTIALS,
    DATASTORE_KINDS,
    DEFAULT_ENDPOINT,
    DEFAULT_PROTOCOL,
    ONE_LAKE_ARTIFACT_TYPES,
    SERVICE_DATASTORE_CREDENTIALS,
    SERVICE_DATASTORE_TYPES,
    by_rest_name,
    service_spelling,
)
from reconciler.providers.local.store import Record
from reconciler_testing.emulator.mapping import Scope, properties_of, system_data, tags_of
from reconciler_testing.emulator.protocol import JSON, bad_request

_KIND_BY_REST = {kind.rest: kind for kind in DATASTORE_KINDS.values()}
_ARTIFACT_BY_REST = {rest: ours for ours, rest in ONE_LAKE_ARTIFACT_TYPES.items()}


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
    kind = _KIND_BY_REST[rest_type]
    cred_kind = by_rest_name(DATASTORE_CREDENTIALS, cred_type)
    assert cred_kind is not None  # every credentials type the service accepts is known
    given = rest_creds.get("secrets") or {}
    secrets = {f"credentials.{o}": str(given[t]) for t, o in cred_kind.secret if given.get(t)}
    if strict and cred_kind.secret and not secrets:
        raise bad_request(
            f"Datastore credentials of type {cred_type} need '{cred_kind.secret[0][0]}'."
        )
    for field in _GUIDS:
        if rest_creds.get(field) is not None and not _is_guid(rest_creds[field]):
            raise bad_request(f"Datastore credentials: '{field}' is not a valid GUID.")
    credentials: JSON = {"type": cred_kind.name}
    credentials.update(
        {o: rest_creds[t] for t, o in cred_kind.plain if rest_creds.get(t) is not None}
    )
    store_body: JSON = {
        "type": kind.name,
        "description": props.get("description"),
        "credentials": credentials,
        "tags": tags_of(props.get("tags")),
        kind.container: _required(props, kind.rest_container),
    }
    if kind.storage_account:
        store_body["account_name"] = _required(props, "accountName")
        store_body["endpoint"] = props.get("endpoint") or DEFAULT_ENDPOINT
        store_body["protocol"] = props.get("protocol") or DEFAULT_PROTOCOL
    elif kind.name == "one_lake":
        store_body["endpoint"] = _required(props, "endpoint")
        artifact = props.get("artifact") or {}
        store_body["artifact"] = {
            "type": _ARTIFACT_BY_REST.get(str(artifact.get("artifactType")), "lake_house"),
            "name": _required(artifact, "artifactName"),
        }
    return store_body, secrets


_GUIDS = ("tenantId", "clientId")  # format: uuid in the REST specification


def _is_guid(value: object) -> bool:
    try:
        return isinstance(value, str) and len(value) == 36 and bool(uuid.UUID(value))
    except ValueError:
        return False


def _required(props: JSON, key: str) -> str:
    value = props.get(key)
    if not isinstance(value, str) or not value:
        raise bad_request(f"Datastore: '{key}' is required.")
    return value


def datastore_to_rest(scope: Scope, record: Record) -> JSON:
    body = record.body
    default = bool(body.get("is_default"))
    cred = body.get("credentials") or {"type": "none"}
    kind = DATASTORE_KINDS[body["type"]]
    cred_kind = DATASTORE_CREDENTIALS[cred["type"]]
    credentials: JSON = {"credentialsType": cred_kind.rest}
    credentials.update({t: cred[o] for t, o in cred_kind.plain if cred.get(o) is not None})
    fields: JSON = {"datastoreType": kind.rest, kind.rest_container: body.get(kind.container)}
    if kind.storage_account:
        fields["accountName"] = body.get("account_name")
        fields["endpoint"] = body.get("endpoint")
        fields["protocol"] = body.get("protocol")
    if body.get("artifact"):
        artifact = body["artifact"]
        fields["endpoint"] = body.get("endpoint")
        fields["artifact"] = {
            "artifactType": ONE_LAKE_ARTIFACT_TYPES[artifact["type"]],
            "artifactName": artifact["name"],
        }
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
    cred_kind = DATASTORE_CREDENTIALS[(record.body.get("credentials") or {}).get("type", "none")]
    if not cred_kind.secret:
        raise bad_request(f"Datastore {record.name} has no secrets (credentials type None).")
    field, ours = cred_kind.secret[0]
    # system datastores hold no stored secret: answer a stable placeholder, as a key would be
    value = secrets.get(f"credentials.{ours}") or f"emulator-{record.name}-{field}"
    return {"secretsType": cred_kind.rest, field: value}
