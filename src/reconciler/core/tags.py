"""What reconciler writes beside the resources it manages, as tags (or metadata), and how it
reads them back: ownership, protection, secret hashes, provenance and the non-secret credential
fields Azure ML does not return. Written by apply (`reconciler_tags`, `secret_hash_tags`), read
by both providers (`split_tags`): one module, so the two cannot drift. No I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.vocabulary import (
    ASSET_TYPE_TAG,
    CREDENTIAL_TAG_PREFIX,
    DATA_TAGS,
    LATEST_TAG,
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    MAX_TAG_VALUE,
    OWNER_TAG,
    PREVENT_DESTROY_TAG,
    PROVENANCE_TAG_PREFIX,
    RESERVED_TAG_PREFIXES,
    SECRET_TAG_PREFIX,
    START_TIME_TAG,
    version_key,
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


@dataclass(frozen=True)
class LatestRecord:
    """What reconciler writes on a data asset's container (tag `LATEST_TAG`, beside a copy of
    the version's own tags and description) when it labels the asset's latest version: that
    version, the container's ``nextVersion`` then, and every version the asset had then.

    While the container's listing still shows that ``latestVersion`` and ``nextVersion``, no
    version was registered since (versions are never deleted), so a plan knows the asset from
    the container list alone: its versions, and the latest one's tags and description. (A
    version's tags edited by hand after reconciler labelled it are not seen until the asset
    gets a new version.)"""

    version: str
    next: str
    versions: tuple[str, ...]
    # the version's auto-delete setting as the service keeps it (not a tag: a field of its body)
    auto_delete: Mapping[str, str] | None = None

    def current(self, latest: object, next_version: object) -> bool:
        """Whether the container's listing says nothing was registered since."""
        return (latest, next_version) == (self.version, self.next)

    def tag(self) -> dict[str, str]:
        """The tag, or none when the versions would not fit in one (then plans read the
        asset's version list)."""
        numbers = sorted(int(v) for v in self.versions if _number(v))
        listed: list[Any] = [v for v in self.versions if not _number(v)]
        for number in numbers:  # runs of consecutive numbers as [first, last]
            last = listed[-1] if listed else None
            if isinstance(last, list) and last[1] == number - 1:
                last[1] = number
            else:
                listed.append([number, number])
        record: dict[str, Any] = {"version": self.version, "next": self.next, "versions": listed}
        if self.auto_delete:
            record["autoDelete"] = dict(self.auto_delete)
        text = json.dumps(record, separators=(",", ":"))
        return {LATEST_TAG: text} if len(text) <= MAX_TAG_VALUE else {}

    @classmethod
    def read(cls, tags: Mapping[str, str]) -> LatestRecord | None:
        try:
            data = json.loads(tags[LATEST_TAG])
            versions: list[str] = []
            for item in data["versions"]:
                if isinstance(item, list):
                    first, last = (int(n) for n in item)
                    if not 0 <= last - first < MAX_RECORDED - len(versions):
                        return None
                    versions += [str(n) for n in range(first, last + 1)]
                else:
                    versions.append(str(item))
            wire = data.get("autoDelete")
            auto_delete = (
                {str(k): str(v) for k, v in wire.items()} if isinstance(wire, dict) else None
            )
            return latest_record(str(data["version"]), str(data["next"]), versions, auto_delete)
        except (KeyError, TypeError, ValueError):
            return None


MAX_RECORDED = 100_000  # versions a record may stand for (a tag is anyone's to edit)


def _number(version: str) -> bool:
    """A version in its canonical numeric form (``7``, not ``007``)."""
    return version.isdigit() and len(version) < 19 and str(int(version)) == version


def latest_record(
    version: str,
    next_version: str,
    versions: Iterable[str],
    auto_delete: Mapping[str, str] | None = None,
) -> LatestRecord:
    ordered = sorted(set(versions), key=lambda v: (version_key(v), v))
    return LatestRecord(version, next_version, tuple(ordered), auto_delete)
