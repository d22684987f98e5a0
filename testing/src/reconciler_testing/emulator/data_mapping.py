"""Data asset versions and containers: REST body <-> store body, with the service's rewrites.

The service answers a datastore URI in a long form (``azureml://subscriptions/...`` on reads of
one version, ``azureml://workspaces/<id>/...`` in lists) and ends folder-like URIs (uri_folder,
mltable) with ``/``; it keeps fields reconciler does not model (``referencedUris``, ...) as
sent, and ``autoDeleteSetting`` as sent too (``createdGreaterThan``, as recorded), in the store
key where the local provider keeps a version's; a version's ``systemData`` gains
``lastModifiedBy`` only once it is updated; a container's ``latestVersion`` is the version
created last and its ``nextVersion`` the number after the highest numeric one.
"""

from __future__ import annotations

from reconciler.core.names import normalise_datastore_path
from reconciler.core.vocabulary import DATA_TYPES, FOLDER_DATA_TYPES, next_version, service_spelling
from reconciler.providers.local.store import AUTO_DELETE_KEY, VersionRecord
from reconciler_testing.emulator.mapping import Scope, properties_of, system_data, tags_of
from reconciler_testing.emulator.protocol import JSON, bad_request

EXTRA = "rest"  # store body key: fields the service keeps that reconciler does not model
# what the service keeps and answers of a version beside the fields modelled here
KEPT_FIELDS = ("referencedUris", "stage", "intellectualProperty")
AUTO_DELETE = "autoDeleteSetting"  # kept as sent (recorded), where the local provider keeps it


def data_version_from_rest(body: JSON) -> JSON:
    props = properties_of(body)
    uri = props.get("dataUri")
    if not isinstance(uri, str) or not uri:
        raise bad_request("Data version: 'dataUri' is required.")
    data_type = service_spelling(DATA_TYPES, props.get("dataType") or "uri_folder")
    if data_type is None:
        raise bad_request(
            f"Data type {props.get('dataType')!r} is not supported: use {', '.join(DATA_TYPES)}."
        )
    store_body: JSON = {
        "path": normalise_datastore_path(uri) or uri,
        "type": data_type,
        "description": props.get("description"),
        "tags": tags_of(props.get("tags")),
        "properties": dict(props.get("properties") or {}),
    }
    if props.get("isArchived"):
        store_body["is_archived"] = True
    if props.get(AUTO_DELETE) is not None:
        store_body[AUTO_DELETE_KEY] = props[AUTO_DELETE]
    kept = {k: props[k] for k in KEPT_FIELDS if props.get(k) is not None}
    if kept:
        store_body[EXTRA] = kept
    return store_body


def data_version_to_rest(
    scope: Scope, name: str, record: VersionRecord, *, listing: bool = False
) -> JSON:
    body = record.body
    data_type = body.get("type", "uri_folder")
    uri = scope.long_uri(body.get("path", ""), listing=listing)
    if data_type in FOLDER_DATA_TYPES and not uri.endswith("/"):
        uri += "/"
    stamps = system_data(record.created_at, record.updated_at)
    if record.updated_at is None:  # a version never updated has no lastModifiedBy
        stamps = {k: v for k, v in stamps.items() if not k.startswith("lastModifiedBy")}
    return {
        **scope.resource(f"data/{name}/versions/{record.version}", record.version, "data/versions"),
        "properties": {
            "description": body.get("description"),
            "tags": dict(body.get("tags") or {}),
            "properties": dict(body.get("properties") or {}),
            "isArchived": bool(body.get("is_archived")),
            "isAnonymous": False,
            "dataUri": uri,
            "dataType": data_type,
            **dict(body.get(EXTRA) or {}),
            **({AUTO_DELETE: body[AUTO_DELETE_KEY]} if body.get(AUTO_DELETE_KEY) else {}),
        },
        "systemData": stamps,
    }


def data_container_from_rest(body: JSON) -> JSON:
    """What a container PUT sets (the SDK's archive and restore send back what it read): its
    description, tags and properties, and whether it is archived. ``latestVersion``,
    ``nextVersion`` and ``dataType`` are the service's to say."""
    props = properties_of(body)
    return {
        "is_archived": bool(props.get("isArchived")),
        "description": props.get("description"),
        "tags": tags_of(props.get("tags")),
        "properties": dict(props.get("properties") or {}),
    }


def data_container_to_rest(
    scope: Scope, name: str, versions: list[VersionRecord], stored: JSON
) -> JSON:
    """``versions`` in the order they were created (`Store.version_records`); ``stored``: what
    was PUT on the container (none until then: the service makes it with the first version)."""
    latest = versions[-1]
    return {
        **scope.resource(f"data/{name}", name, "data"),
        "properties": {
            "description": stored.get("description"),
            "tags": dict(stored.get("tags") or {}),
            "properties": dict(stored.get("properties") or {}),
            "isArchived": bool(stored.get("is_archived")),
            "latestVersion": latest.version,
            "nextVersion": next_version(v.version for v in versions),
            "dataType": latest.body.get("type", "uri_folder"),
        },
        "systemData": system_data(versions[0].created_at),
    }
