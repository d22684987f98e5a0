"""Azure ML naming rules and canonical forms of names and datastore paths.

Shared by validation (desired side) and providers (live side) so both sides normalise the same
way before they are compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic_core import PydanticCustomError

from reconciler.core.limits import MAX_FOLDER, MAX_NAME, MAX_SEGMENT
from reconciler.core.vocabulary import (
    MANAGED_DATASTORE,
    MANAGED_DATASTORE_URI,
    NAME_PLACEHOLDER,
)

# Azure ML rules (see reconciler.core.limits for the sources): datastores, connections and assets
# start with a letter or digit and use letters, digits, '-', '_' (assets also '.'). Use them with
# fullmatch: '$' also matches before a final newline.
DATASTORE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_NAME - 1}}}")
# Connections: the REST specification's pattern allows 3-33 characters, but the service accepted
# a 34-character name (recording shared/connection-snowflake-crud) and Learn's connection how-to
# publishes one (ws_conn_generic_container_registry): its characters, at most 255 of them.
CONNECTION_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{2,{MAX_NAME - 1}}}")
ASSET_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME - 1}}}")
SCHEDULE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_NAME - 1}}}")
SCHEDULE_RULE = f"1-{MAX_NAME} letters, digits, '-' or '_', starting with a letter or digit"


# A datastore's root is ``.../paths/`` (or ``.../paths``): the folder is empty.
_SHORT_PATH = re.compile(r"^azureml://datastores/([^/]+)/paths(?:/(.*))?$")
# Long forms the service returns: azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<w>/
# datastores/<d>/paths/<p> and azureml://workspaces/<workspace id>/datastores/<d>/paths/<p>.
_LONG_PATH = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resource[gG]roups/[^/]+/)?workspaces/[^/]+/"
    r"datastores/([^/]+)/paths(?:/(.*))?$"
)


DATASTORE_URI_PREFIX = "azureml://datastores/"


@dataclass(frozen=True)
class DatastoreUri:
    """A folder inside a datastore, parsed once from whichever form it is written in: the short
    ``azureml://datastores/<d>/paths/<p>`` of platform.yaml, the long forms the service answers,
    with the ``/${{name}}`` placeholder az ml appends or trailing slashes (both dropped).
    ``str()`` is the short form that plans and stores compare."""

    datastore: str
    folder: str  # without leading or trailing '/'; '' for the datastore's root

    @classmethod
    def parse(cls, uri: str) -> DatastoreUri | None:
        """The folder ``uri`` names, or None when it is not a datastore URI. The managed
        datastore is named without ``/paths`` (`MANAGED_DATASTORE_URI`): its root."""
        if uri.rstrip("/") == MANAGED_DATASTORE_URI:
            return cls(MANAGED_DATASTORE, "")
        match = _SHORT_PATH.match(uri) or _LONG_PATH.match(uri)
        if match is None:
            return None
        folder = (match.group(2) or "").strip("/")
        if folder.endswith(NAME_PLACEHOLDER):
            folder = folder[: -len(NAME_PLACEHOLDER)].rstrip("/")
        return cls(match.group(1), folder)

    def __str__(self) -> str:
        if self.service_placed:
            return MANAGED_DATASTORE_URI  # the only form azure-ai-ml accepts for it
        return f"{DATASTORE_URI_PREFIX}{self.datastore}/paths/{self.folder}"

    @property
    def service_placed(self) -> bool:
        """An import target whose runs the service places, each in a folder of its own that
        nobody names: the managed datastore, which takes no folder. Such an import writes
        into no folder another import or data asset holds, whatever is stored there."""
        return self.datastore == MANAGED_DATASTORE and not self.folder

    def joined(self, *parts: str) -> DatastoreUri:
        """A folder inside this one (empty parts are skipped)."""
        return DatastoreUri(self.datastore, "/".join(p for p in (self.folder, *parts) if p))

    @property
    def key(self) -> str:
        """``<datastore>/<folder>/``: two folders overlap (one is the other, or holds it)
        exactly when one key starts with the other, and sorted keys keep each folder's contents
        right after it."""
        parts = [p for p in self.folder.split("/") if p]
        return "/".join([self.datastore, *parts]) + "/"

    def overlaps(self, other: DatastoreUri) -> bool:
        """The same folder, or one holds the other: writing into one changes what the other
        holds. Compared by whole folder names (``a/b`` does not hold ``a/bc``)."""
        return self.key.startswith(other.key) or other.key.startswith(self.key)


def normalise_datastore_path(uri: str) -> str | None:
    """The short form of any datastore URI (see `DatastoreUri`), or None."""
    parsed = DatastoreUri.parse(uri)
    return None if parsed is None else str(parsed)


def data_key(uri: str) -> str | None:
    """`DatastoreUri.key` of a datastore URI in any form, or None for another URI."""
    parsed = DatastoreUri.parse(uri)
    return None if parsed is None else parsed.key


def service_placed(uri: str) -> bool:
    """`DatastoreUri.service_placed` of a URI in any form (False for another URI)."""
    parsed = DatastoreUri.parse(uri)
    return parsed is not None and parsed.service_placed


def overlaps(first: str, second: str) -> bool:
    """`DatastoreUri.overlaps` of two URIs; URIs outside datastores never overlap."""
    one, other = DatastoreUri.parse(first), DatastoreUri.parse(second)
    return one is not None and other is not None and one.overlaps(other)


def unsafe_path_reason(path: str) -> str | None:
    """Why a folder path inside a datastore could escape it, or None when it cannot."""
    if "%" in path:
        return "percent-encoding is not allowed (write the folder name as plain text)"
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        return "control characters are not allowed"
    if "\\" in path:
        return "backslashes are not allowed (separate folders with '/')"
    segments = path.strip("/").split("/")
    if any(s in (".", "..") for s in segments):
        return "'.' and '..' segments are not allowed"
    if "" in segments and path.strip("/"):
        return "empty segments ('//') are not allowed"
    if ":" in segments[0]:
        return "drive letters and schemes are not allowed"
    if len(path) > MAX_FOLDER:
        return f"it is {len(path):,} characters long (at most {MAX_FOLDER:,})"
    if any(len(s) > MAX_SEGMENT for s in segments):
        return f"a folder name is longer than {MAX_SEGMENT} characters"
    return None


def canonical_datastore_path(uri: str) -> str:
    """Pydantic validator form of `DatastoreUri`; refuses paths that could escape their
    datastore (``..``, percent-encoded forms, backslashes, control characters). A datastore's
    root (``.../paths/``) and the managed datastore (`MANAGED_DATASTORE_URI`, no folder: the
    service refuses one) are targets too, as the service accepts them."""
    parsed = DatastoreUri.parse(uri)
    if parsed is None:
        raise PydanticCustomError(
            "datastore_path",
            "expected azureml://datastores/<datastore>/paths/<folder>, e.g. "
            "azureml://datastores/rawdata/paths/raw_house_data (a datastore's root: "
            "azureml://datastores/<datastore>/paths/; Azure ML's managed datastore: "
            "{managed})",
            {"managed": MANAGED_DATASTORE_URI},
        )
    if _LONG_PATH.match(uri):  # names a workspace: possibly another one
        raise PydanticCustomError(
            "datastore_path",
            "this long form names a workspace, and an import writes only into the datastores of "
            "the workspace it is applied to; write the short form {short}",
            {"short": str(parsed)},
        )
    if parsed.datastore == MANAGED_DATASTORE and parsed.folder:
        raise PydanticCustomError(
            "datastore_path",
            "Azure ML places imports into its managed datastore itself: a sub-path cannot be "
            "given; write {managed}",
            {"managed": MANAGED_DATASTORE_URI},
        )
    reason = (unsafe_path_reason(parsed.folder) if parsed.folder else None) or (
        None if DATASTORE_NAME.fullmatch(parsed.datastore) else "the datastore name is not valid"
    )
    if reason:
        raise PydanticCustomError(
            "datastore_path",
            "the folder must stay inside its datastore: {reason}; write a plain relative folder "
            "such as raw_house_data or bronze/raw_house_data",
            {"reason": reason},
        )
    return str(parsed)


class PathEscape(ValueError):
    """A path that would leave the folder it must stay in."""


def inside(root: Path, *parts: str) -> Path:
    """``root / parts`` resolved, refusing anything that leaves ``root`` (``..``, absolute parts,
    symlinks pointing out, percent-encoded escapes)."""
    for part in parts:
        reason = unsafe_path_reason(part)
        if reason or PurePosixPath(part).is_absolute():
            raise PathEscape(f"unsafe path {part!r}: {reason or 'absolute paths are not allowed'}")
    base = root.resolve()
    candidate = base.joinpath(*(p.strip("/") for p in parts)).resolve()
    if candidate != base and base not in candidate.parents:
        raise PathEscape(f"path {'/'.join(parts)!r} leaves {root}")
    return candidate


def connection_ref(value: str) -> str:
    """``azureml:<name>`` and ``<name>`` both name a workspace connection."""
    name = value.removeprefix("azureml:")
    if not CONNECTION_NAME.fullmatch(name):
        raise PydanticCustomError(
            "connection_ref",
            "{name} is not a valid connection name ({rule})",
            {"name": repr(name) if len(name) <= 64 else "this", "rule": CONNECTION_RULE},
        )
    return name


CONNECTION_RULE = f"3-{MAX_NAME} letters, digits, '_' or '-', starting with a letter or digit"


def project_folder(value: str) -> str:
    """A folder inside the project: relative, no '..', '/' between folders."""
    reason = unsafe_path_reason(value.removeprefix("./")) or (
        "absolute paths are not allowed" if PurePosixPath(value).is_absolute() else None
    )
    if reason:
        raise PydanticCustomError(
            "project_folder",
            "the folder must stay inside the project: {reason}; write a relative folder such "
            "as .reconcile/local",
            {"reason": reason},
        )
    return value
