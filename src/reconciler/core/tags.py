"""What reconciler writes beside the resources it manages, as tags (or metadata), and how it
reads them back: ownership, protection, secret hashes, provenance and the non-secret credential
fields Azure ML does not return. Written by apply (`reconciler_tags`, `secret_hash_tags`), read
by both providers (`split_tags`): one module, so the two cannot drift. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.vocabulary import (
    ASSET_TYPE_TAG,
    CREDENTIAL_TAG_PREFIX,
    DATA_TAGS,
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    OWNER_TAG,
    PREVENT_DESTROY_TAG,
    PROVENANCE_TAG_PREFIX,
    RESERVED_TAG_PREFIXES,
    SECRET_TAG_PREFIX,
    START_TIME_TAG,
)


def reconciler_tags(
    owner: str,
    *,
    prevent_destroy: bool,
    provenance: Mapping[str, str],
    credentials: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """What reconciler writes beside a resource: who manages it, whether it is protected (as
    declared, else as recorded: never lifted silently), what made it, and (connections) the
    non-secret credential fields, which Azure ML does not return."""
    tags = {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: owner}
    if prevent_destroy:
        tags[PREVENT_DESTROY_TAG] = "true"
    tags.update({PROVENANCE_TAG_PREFIX + key: value for key, value in provenance.items()})
    for key, value in sorted((credentials or {}).items()):
        if key != "type":
            tags[CREDENTIAL_TAG_PREFIX + key] = str(value)
    return tags


# reconciler's tags that describe the resource's data or schedule, not who manages it
DESCRIPTIVE_TAGS = DATA_TAGS | {ASSET_TYPE_TAG, START_TIME_TAG}


def released(tags: Mapping[str, str] | None) -> dict[str, str]:
    """``tags`` once reconciler stops managing the resource (``removed: destroy: false``): the
    user's, and reconciler's that describe it; no ownership, protection, secret hash, stored
    credential field or provenance."""
    return {
        key: value
        for key, value in (tags or {}).items()
        if not key.startswith(RESERVED_TAG_PREFIXES) or key in DESCRIPTIVE_TAGS
    }


def secret_hash_tags(hashes: Mapping[str, str]) -> dict[str, str]:
    """Each secret field's salted hash (field path -> hash), as written beside the resource."""
    return {SECRET_TAG_PREFIX + path: digest for path, digest in hashes.items()}


def stored_credentials(tags: Mapping[str, str]) -> dict[str, str]:
    """The non-secret credential fields written beside a connection (`reconciler_tags`)."""
    return {
        key.removeprefix(CREDENTIAL_TAG_PREFIX): value
        for key, value in sorted(tags.items())
        if key.startswith(CREDENTIAL_TAG_PREFIX)
    }


@dataclass(frozen=True)
class SplitTags:
    user: dict[str, str]
    managed: bool
    hashes: dict[str, str]
    owner: str | None
    provenance: dict[str, str]
    prevent_destroy: bool = False


def split_tags(tags: dict[str, str] | None) -> SplitTags:
    """User tags, whether reconciler manages the resource (and for whom), stored secret hashes
    and provenance, from the tags (or metadata) of a resource."""
    user: dict[str, str] = {}
    hashes: dict[str, str] = {}
    provenance: dict[str, str] = {}
    managed, owner, protected = False, None, False
    for key, value in sorted((tags or {}).items()):
        if key == MANAGED_BY_TAG:
            managed = value == MANAGED_BY_VALUE
        elif key == OWNER_TAG:
            owner = value
        elif key == PREVENT_DESTROY_TAG:
            protected = value == "true"
        elif key.startswith(SECRET_TAG_PREFIX):
            hashes[key.removeprefix(SECRET_TAG_PREFIX)] = value
        elif key.startswith(PROVENANCE_TAG_PREFIX):
            provenance[key.removeprefix(PROVENANCE_TAG_PREFIX)] = value
        elif not key.startswith("reconciler."):
            user[key] = value
    return SplitTags(user, managed, hashes, owner, provenance, protected)
