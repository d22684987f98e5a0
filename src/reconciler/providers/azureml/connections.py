"""Workspace connections as the REST API has them: the body reconciler PUTs, and the
connection a GET body describes.

Connections are written as REST bodies through azure-ai-ml's own HTTP pipeline (`reads.RestReader`
sends them), not through its entities: for every type the body is the one azure-ai-ml 1.35
sends for the same YAML (api-version 2024-04-01-preview), but for two of its quirks: the category
in the service's spelling (``AzureOpenAI``, not ``AzureOpenAi``), and no ``null`` metadata
(azure-ai-ml sends ``ApiVersion: null`` for an Azure OpenAI connection without one); and without
the warnings its entities print. Which
fields each type and credential has is the shared vocabulary's (`reconciler.core.connection_kinds`).

Reading, the service returns no credentials at all (not even a user name): the non-secret ones
reconciler writes beside the connection, in ``reconciler.credential.*`` metadata; the metadata
the service defines for a type (``AccountName``, ``ApiVersion``, ``Kind``, ...) becomes its
fields, and is never the user's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.connection_kinds import (
    CONNECTION_CREDENTIALS,
    CONNECTION_KINDS,
    connection_kind,
)
from reconciler.core.essences import ConnectionEssence, Credentials, Kind
from reconciler.core.live import LiveResource
from reconciler.core.tags import split_tags, stored_credentials
from reconciler.core.vocabulary import CREDENTIALS, by_rest_name, snake_case


def connection_body(
    essence: ConnectionEssence, secrets: Mapping[str, str], tags: Mapping[str, str]
) -> dict[str, Any]:
    """The PUT body of ``essence`` with its secret values and reconciler's tags (in metadata:
    connections have no tags)."""
    kind = CONNECTION_KINDS[essence.type]
    credential = CONNECTION_CREDENTIALS[essence.credentials.type]
    metadata = {**essence.tags, **dict(tags)}
    for key, ours in kind.metadata:
        value = getattr(essence, ours)
        if value is not None:
            metadata[key] = str(value)
    metadata.update(dict(kind.fixed))
    properties: dict[str, Any] = {
        "category": kind.rest,
        "authType": credential.rest,
        "metadata": metadata,
        "isSharedToAll": essence.is_shared is not False,
    }
    if essence.target:
        properties["target"] = essence.target
    if credential.plain or credential.secret:  # None and AAD send none at all
        given = {rest: getattr(essence.credentials, ours) for rest, ours in credential.plain}
        for (rest, _), path in zip(credential.secret, credential.secret_paths, strict=True):
            given[rest] = secrets[path]
        properties[CREDENTIALS] = given
    return {"properties": properties}


def _strings(value: Any) -> dict[str, str]:
    """Metadata as strings; the service keeps a null as sent (azure-ai-ml sends ``ResourceId:
    null``), which is no value at all."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def connection_from_json(item: Mapping[str, Any]) -> LiveResource:
    """A connection as the service returns it. On one made by other tools the non-secret
    credential fields are unknown (unreadable), not different; so is ``is_shared`` when the
    service does not say."""
    props = item.get("properties") or {}
    raw = props.get("metadata")
    category = str(props.get("category") or "")
    kind = connection_kind(category, raw if isinstance(raw, dict) else None)
    metadata = _strings(raw)
    service: dict[str, str] = {}
    if kind is not None:
        for key, ours in kind.metadata:
            if key in metadata:
                service[ours] = metadata.pop(key)
        for key in kind.service_metadata:
            metadata.pop(key, None)
    tags = split_tags(metadata)
    plain = stored_credentials(metadata)
    auth = str(props.get("authType") or "None")
    credential = by_rest_name(CONNECTION_CREDENTIALS, auth)
    shared = props.get("isSharedToAll")
    essence = ConnectionEssence(
        type=kind.name if kind else snake_case(category),
        target=str(props.get("target") or ""),
        credentials=Credentials(type=credential.name if credential else snake_case(auth), **plain),
        is_shared=shared if isinstance(shared, bool) else None,
        tags=tags.user,
        **service,
    )
    unreadable = tuple(
        f"{CREDENTIALS}.{ours}"
        for _, ours in (credential.plain if credential else ())
        if ours not in plain
    )
    if essence.is_shared is None:
        unreadable += ("is_shared",)
    name = str(item.get("name"))
    return LiveResource.read(Kind.CONNECTION, name, essence, tags, False, unreadable)
