"""Workspace connections: REST body <-> store body, every category the service accepts.

A connection whose category and authType reconciler models (Snowflake, AzureSqlDb and S3 with
their credential kinds, `reconciler.core.vocabulary`) is stored as the essence the local provider
reads, its secrets kept apart. Every other category the service accepts (Git, PythonFeed,
ContainerRegistry, AzureOpenAI, ApiKey, CustomKeys, ...) is stored verbatim beside a minimal
essence, its whole ``credentials`` object kept as one secret, and answered as the service
answers it. As the service does, the category and authType are matched case-insensitively and
answered in the service's casing (``AzureOpenAi`` comes back ``AzureOpenAI``), ``credentials``
is null on every read and only ``listsecrets`` returns it.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.vocabulary import (
    CONNECTION_CATEGORIES,
    CONNECTION_CREDENTIALS,
    SERVICE_CONNECTION_AUTH_TYPES,
    SERVICE_CONNECTION_CATEGORIES,
    by_rest_name,
    service_spelling,
    snake_case,
)
from reconciler.providers.local.store import Record
from reconciler_testing.emulator.mapping import Scope, properties_of, system_data, tags_of
from reconciler_testing.emulator.protocol import JSON, bad_request

VERBATIM = "rest"  # store body key: the properties of a connection reconciler does not model
VERBATIM_SECRET = "rest.credentials"  # secrets key: its credentials object, as JSON
# answered on every connection; a verbatim one keeps what it was sent for these
_ANSWERED: JSON = {"expiryTime": None, "isSharedToAll": True, "sharedUserList": []}
_NOT_ECHOED = ("credentials", "category", "authType", "target", "metadata", "expiryTime")


def connection_from_rest(body: JSON, *, strict: bool = True) -> tuple[JSON, dict[str, str]]:
    """Store body and secrets of a PUT body; ``strict=False`` accepts a GET body (no secrets)."""
    props = properties_of(body)
    category = service_spelling(SERVICE_CONNECTION_CATEGORIES, props.get("category"))
    if category is None:
        raise bad_request(f"Connection category {props.get('category')!r} is not supported.")
    auth = service_spelling(SERVICE_CONNECTION_AUTH_TYPES, props.get("authType") or "None")
    if auth is None:
        raise bad_request(f"Connection authType {props.get('authType')!r} is not supported.")
    target = props.get("target")
    if strict and (not isinstance(target, str) or not target):
        raise bad_request("Connection: 'target' is required.")
    ours = next((t for t, c in CONNECTION_CATEGORIES.items() if c == category), None)
    kind = by_rest_name(CONNECTION_CREDENTIALS, auth)
    given = {k: v for k, v in (props.get("credentials") or {}).items() if v not in (None, "")}
    if ours is None or kind is None:
        return _verbatim(props, category, auth, given)
    missing = [theirs for theirs, _ in (*kind.plain, *kind.secret) if theirs not in given]
    if strict and missing:
        raise bad_request(f"Connection credentials of type {auth} need {', '.join(missing)}.")
    credentials: JSON = {"type": kind.name}
    credentials.update({o: given[t] for t, o in kind.plain if t in given})
    secrets = {f"credentials.{o}": str(given[t]) for t, o in kind.secret if t in given}
    store_body = {
        "type": ours,
        "target": target,
        "credentials": credentials,
        "tags": tags_of(props.get("metadata")),
    }
    return store_body, secrets


def _verbatim(
    props: JSON, category: str, auth: str, credentials: JSON
) -> tuple[JSON, dict[str, str]]:
    kept = {k: v for k, v in props.items() if k not in _NOT_ECHOED}
    store_body = {
        "type": snake_case(category),
        "target": props.get("target") or "",
        "credentials": {"type": snake_case(auth)},
        "tags": tags_of(props.get("metadata")),
        VERBATIM: {"category": category, "authType": auth, **kept},
    }
    secrets = {VERBATIM_SECRET: json.dumps(credentials, sort_keys=True)} if credentials else {}
    return store_body, secrets


def category_of(record: Record) -> str:
    """The service's category of a stored connection."""
    verbatim = record.body.get(VERBATIM)
    if verbatim:
        return str(verbatim["category"])
    return CONNECTION_CATEGORIES[record.body["type"]]


def connection_to_rest(scope: Scope, record: Record, secrets: dict[str, str] | None = None) -> JSON:
    """The resource as GET answers it (``credentials: null``) or, given ``secrets``, as
    ``listsecrets`` does."""
    body = record.body
    verbatim: JSON = dict(body.get(VERBATIM) or {})
    if verbatim:
        category, auth = verbatim.pop("category"), verbatim.pop("authType")
        credentials = _verbatim_secrets(secrets)
    else:
        cred = body.get("credentials") or {}
        kind = CONNECTION_CREDENTIALS[cred.get("type", "none")]
        category, auth = CONNECTION_CATEGORIES[body["type"]], kind.rest
        credentials = None
        if secrets is not None:
            credentials = {theirs: cred.get(ours) for theirs, ours in kind.plain}
            credentials.update(
                {theirs: secrets.get(f"credentials.{ours}") for theirs, ours in kind.secret}
            )
    properties = {
        "authType": auth,
        "category": category,
        "target": body.get("target"),
        "credentials": credentials,
        "metadata": dict(body.get("tags") or {}),
        **_ANSWERED,
        **verbatim,  # never one of the fields above: see _NOT_ECHOED
    }
    return {
        **scope.resource(f"connections/{record.name}", record.name, "connections"),
        "properties": properties,
        "systemData": system_data(record.created_at, record.updated_at),
        "tags": None,
        "location": None,
    }


def _verbatim_secrets(secrets: dict[str, str] | None) -> Any:
    if secrets is None:
        return None
    stored = secrets.get(VERBATIM_SECRET)
    return json.loads(stored) if stored else {}
