"""Azure ML naming rules and canonical forms of names and datastore paths.

Shared by validation (desired side) and providers (live side) so both sides normalise the same
way before they are compared.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from pydantic_core import PydanticCustomError

from reconciler.core.limits import MAX_FOLDER, MAX_NAME, MAX_SEGMENT
from reconciler.core.vocabulary import NAME_PLACEHOLDER

# Azure ML rules (see reconciler.core.limits for the sources): datastores lowercase letters, digits
# and underscores; connections and assets start with a letter or digit and use letters, digits,
# '-', '_' (assets also '.'). Use them with fullmatch: '$' also matches before a final newline.
DATASTORE_NAME = re.compile(rf"[a-z0-9_]{{1,{MAX_NAME}}}")
CONNECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,32}")
ASSET_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME - 1}}}")


_SHORT_PATH = re.compile(r"^azureml://datastores/([^/]+)/paths/(.*)$")
# Long forms the service returns: azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<w>/
# datastores/<d>/paths/<p> and azureml://workspaces/<workspace id>/datastores/<d>/paths/<p>.
_LONG_PATH = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resource[gG]roups/[^/]+/)?workspaces/[^/]+/"
    r"datastores/([^/]+)/paths/(.*)$"
)


def normalise_datastore_path(uri: str) -> str | None:
    """The short ``azureml://datastores/<d>/paths/<p>`` form of any datastore URI, or None.

    The trailing ``/${{name}}`` placeholder that az ml appends and trailing slashes are dropped.
    """
    match = _SHORT_PATH.match(uri) or _LONG_PATH.match(uri)
    if match is None:
        return None
    datastore, path = match.group(1), match.group(2)
    path = path.strip("/")
    if path.endswith(NAME_PLACEHOLDER):
        path = path[: -len(NAME_PLACEHOLDER)].rstrip("/")
    return f"azureml://datastores/{datastore}/paths/{path}"


def data_key(uri: str) -> str | None:
    """``<datastore>/<folder>/`` for a datastore URI (any form), or None for another URI: two
    folders overlap (one is the other, or holds it) exactly when one key starts with the other
    (see `overlaps`), and sorted keys keep each folder's contents right after it."""
    canonical = normalise_datastore_path(uri)
    if canonical is None:
        return None
    datastore, _, folder = canonical.removeprefix("azureml://datastores/").partition("/paths/")
    parts = [p for p in folder.split("/") if p]
    return "/".join([datastore, *parts]) + "/"


def overlaps(first: str, second: str) -> bool:
    """Whether two datastore folders are the same or one holds the other: writing into one
    changes what the other holds. Compared by whole folder names (``a/b`` does not hold
    ``a/bc``); URIs outside datastores never overlap."""
    one, other = data_key(first), data_key(second)
    return (
        one is not None and other is not None and (one.startswith(other) or other.startswith(one))
    )


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
    """Pydantic validator form of `normalise_datastore_path`; refuses paths that could escape
    their datastore (``..``, percent-encoded forms, backslashes, control characters)."""
    canonical = normalise_datastore_path(uri)
    if canonical is None or canonical.endswith("/paths/"):
        raise PydanticCustomError(
            "datastore_path",
            "expected azureml://datastores/<datastore>/paths/<folder>, e.g. "
            "azureml://datastores/rawdata/paths/raw_house_data",
        )
    datastore, _, folder = canonical.removeprefix("azureml://datastores/").partition("/paths/")
    reason = unsafe_path_reason(folder) or (
        None if DATASTORE_NAME.fullmatch(datastore) else "the datastore name is not valid"
    )
    if reason:
        raise PydanticCustomError(
            "datastore_path",
            "the folder must stay inside its datastore: {reason}; write a plain relative folder "
            "such as raw_house_data or bronze/raw_house_data",
            {"reason": reason},
        )
    return canonical


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


CONNECTION_RULE = "3-33 letters, digits, '_' or '-', starting with a letter or digit"


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
