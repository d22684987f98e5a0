"""Workspace connections: REST body <-> store body, every category the service accepts.

The service keeps what it is sent and answers it back: ``metadata`` exactly as sent (nulls
included), ``isSharedToAll`` as sent, the category and authType matched case-insensitively and
answered in its own casing (``AzureOpenAi`` comes back ``AzureOpenAI``), ``credentials`` null on
every read and the whole object only from ``listsecrets``. So a connection written through the
API is stored with its properties verbatim (``as_sent``) and its credentials as one secret.

Beside them the store holds the connection as the embedded workspace reads it (so the local
provider and the import runners see the same workspace): for a type and credential kind the
vocabulary knows (`reconciler.core.connection_kinds`), its type, target, non-secret credential
fields, the metadata the service defines for the type as fields, the rest as tags, and each
secret field apart. A connection the embedded workspace wrote (no ``as_sent``) is answered from
those fields, as the service would answer the body that makes them.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.connection_kinds import (
    CONNECTION_CREDENTIALS,
    CONNECTION_KINDS,
    SERVICE_CONNECTION_AUTH_TYPES,
    SERVICE_CONNECTION_CATEGORIES,
    connection_kind,
)
from reconciler.core.vocabulary import by_rest_name, service_spelling, snake_case
from reconciler.providers.local.store import Record
from reconciler_testing.emulator.mapping import Scope, properties_of, system_data, tags_of
from reconciler_testing.emulator.protocol import JSON, bad_request

VERBATIM = "as_sent"  # store body key: the properties as sent (but the credentials)
VERBATIM_SECRET = "as_sent.credentials"  # secrets key: the credentials object as sent (JSON)
# answered on every connection, unless it was sent another value
_ANSWERED: JSON = {"expiryTime": None, "isSharedToAll": True, "sharedUserList": []}
_NOT_KEPT = ("credentials", "expiryTime")  # the service answers expiryTime null whatever it got


def connection_from_rest(body: JSON, *, strict: bool = True) -> tuple[JSON, dict[str, str]]:
    """Store body and secrets of a PUT body; ``strict=False`` accepts a GET body (no secrets)."""
    props = properties_of(body)
    category = service_spelling(SERVICE_CONNECTION_CATEGORIES, props.get("category"))
    if category is None:
        raise bad_request(f"Connection category {props.get('category')!r} is not supported.")
    auth = service_spelling(SERVICE_CONNECTION_AUTH_TYPES, props.get("authType") or "None")
    if auth is None:
        raise bad_request(f"Connection authType {props.get('authType')!r} is not supported.")
    raw_metadata = props.get("metadata")
    kind = connection_kind(category, raw_metadata if isinstance(raw_metadata, dict) else None)
    target = props.get("target")
    needs_target = kind is None or kind.target_required
    if strict and needs_target and (not isinstance(target, str) or not target):
        raise bad_request("Connection: 'target' is required.")
    credential = by_rest_name(CONNECTION_CREDENTIALS, auth)
    given = {k: v for k, v in (props.get("credentials") or {}).items() if v not in (None, "")}
    needed = (*credential.plain, *credential.secret) if credential else ()
    if strict and needed and not given:
        fields = ", ".join(theirs for theirs, _ in needed)
        raise bad_request(f"Connection credentials of type {auth} need {fields}.")
    metadata = tags_of({k: v for k, v in (raw_metadata or {}).items() if v is not None})
    service: dict[str, str] = {}
    if kind is not None:
        for key, ours in kind.metadata:
            if key in metadata:
                service[ours] = metadata.pop(key)
        for key in kind.service_metadata:
            metadata.pop(key, None)
    credentials: JSON = {"type": credential.name if credential else snake_case(auth)}
    secrets: dict[str, str] = {}
    if credential is not None:
        credentials.update({o: given[t] for t, o in credential.plain if t in given})
        secrets = {f"credentials.{o}": str(given[t]) for t, o in credential.secret if t in given}
    known = {theirs for theirs, _ in needed}
    if given and not set(given) <= known:  # other than the fields the kind has: keep as sent
        secrets[VERBATIM_SECRET] = json.dumps(given, sort_keys=True)
    shared = props.get("isSharedToAll")
    store_body: JSON = {
        "type": kind.name if kind else snake_case(category),
        "target": target if isinstance(target, str) else "",
        "credentials": credentials,
        "is_shared": shared if isinstance(shared, bool) else None,
        "tags": metadata,
        **service,
        VERBATIM: {
            **{k: v for k, v in props.items() if k not in _NOT_KEPT},
            "category": category,
            "authType": auth,
            "metadata": raw_metadata if isinstance(raw_metadata, dict) else {},
        },
    }
    return store_body, secrets


def category_of(record: Record) -> str:
    """The service's category of a stored connection."""
    verbatim = record.body.get(VERBATIM)
    if verbatim:
        return str(verbatim["category"])
    return CONNECTION_KINDS[record.body["type"]].rest


def connection_to_rest(scope: Scope, record: Record, secrets: dict[str, str] | None = None) -> JSON:
    """The resource as GET answers it (``credentials: null``) or, given ``secrets``, as
    ``listsecrets`` does."""
    body = record.body
    properties = {**_ANSWERED, **(body.get(VERBATIM) or _as_sent(body))}
    properties["credentials"] = None if secrets is None else _credentials(body, secrets)
    return {
        **scope.resource(f"connections/{record.name}", record.name, "connections"),
        "properties": properties,
        "systemData": system_data(record.created_at, record.updated_at),
        "tags": None,
        "location": None,
    }


def _as_sent(body: JSON) -> JSON:
    """The properties of the PUT that makes a connection the embedded workspace wrote."""
    kind = CONNECTION_KINDS[body["type"]]
    credential = CONNECTION_CREDENTIALS[(body.get("credentials") or {}).get("type", "none")]
    metadata: JSON = dict(body.get("tags") or {})
    metadata.update({key: body[ours] for key, ours in kind.metadata if body.get(ours)})
    metadata.update(dict(kind.fixed))
    sent: JSON = {
        "category": kind.rest,
        "authType": credential.rest,
        "metadata": metadata,
        "isSharedToAll": body.get("is_shared") is not False,
    }
    if body.get("target"):
        sent["target"] = body["target"]
    return sent


def _credentials(body: JSON, secrets: dict[str, str]) -> Any:
    """What ``listsecrets`` answers: the credentials object as sent, or as the embedded
    workspace's fields make it."""
    stored = secrets.get(VERBATIM_SECRET)
    if stored:
        return json.loads(stored)
    cred = body.get("credentials") or {}
    kind = CONNECTION_CREDENTIALS.get(str(cred.get("type")))
    if kind is None:
        return {}
    out = {theirs: cred.get(ours) for theirs, ours in kind.plain}
    out.update({theirs: secrets.get(f"credentials.{ours}") for theirs, ours in kind.secret})
    return out
