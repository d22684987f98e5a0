"""What reconciler writes beside the resources it manages, as tags (or metadata), and how it
reads them back: ownership, protection, secret hashes, provenance. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.vocabulary import (
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    OWNER_TAG,
    PREVENT_DESTROY_TAG,
    PROVENANCE_TAG_PREFIX,
    SECRET_TAG_PREFIX,
)


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
