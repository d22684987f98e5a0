"""Real Azure ML recordings as the fidelity suite reads them, and which requests are in scope.

A recording is a test-proxy JSON file (``Entries`` of RequestUri/RequestMethod/RequestBody/
StatusCode/ResponseHeaders/ResponseBody) captured against the live service by azure-ai-ml's own
end-to-end tests. Two sets are replayed: the public ones vendored under ``recordings/public``
(same relative paths as in Azure/azure-sdk-for-python) and the five shared ones the emulator
tests already keep in ``tests/emulator/recordings``.

Every entry is either replayed against the emulator or classified out of scope with a reason
(`out_of_scope`); nothing is silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).parent
PUBLIC = HERE / "recordings" / "public"
SHARED = HERE.parent / "emulator" / "recordings"
MANAGEMENT_HOST = "management.azure.com"

# Every workspace has these four; the service creates them with the workspace.
AMBIENT_DATASTORES = frozenset(
    {
        "workspaceblobstore",
        "workspacefilestore",
        "workspaceartifactstore",
        "workspaceworkingdirectory",
    }
)
_WORKSPACE = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/?]+)(?P<rest>/[^?]*)?",
    re.IGNORECASE,
)
_OPERATION = re.compile(
    r"/subscriptions/[^/]+/providers/Microsoft\.MachineLearningServices/locations/[^/]+/"
    r"(mfeOperationsStatus|mfeOperationResults)/",
    re.IGNORECASE,
)
# Workspace child routes the emulator is meant to serve (first path segment under the workspace).
SERVED = frozenset({"connections", "datastores", "data", "jobs", "schedules"})
# Workspace child routes that exist in Azure ML but that the emulator does not model.
NOT_MODELLED = {
    "computes": "compute targets are not modelled by the emulator (reconciler has none)",
    "environments": "environments are not modelled by the emulator",
    "components": "components are not modelled by the emulator",
    "models": "models are not modelled by the emulator",
    "codes": "code assets are not modelled by the emulator",
    "onlineEndpoints": "endpoints are not modelled by the emulator",
    "batchEndpoints": "endpoints are not modelled by the emulator",
}


@dataclass(frozen=True)
class Entry:
    """One recorded exchange."""

    index: int
    method: str
    uri: str
    request_body: Any
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def host(self) -> str:
        return urlsplit(self.uri).hostname or ""

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path


@dataclass(frozen=True)
class Recording:
    key: str  # e.g. "shared/data-list" or "public/dataset/test_create_uri_folder"
    path: Path
    entries: tuple[Entry, ...]
    scope: tuple[str, str, str] = field(default=("", "", ""))  # recorded sub, rg, workspace

    @property
    def source(self) -> str:
        """Where the file lives, relative to the repository's tests folder."""
        return str(self.path.relative_to(HERE.parent))


def short_key(path: Path) -> str:
    """A readable id: ``public/<folder>/<test name>`` or ``shared/<file stem>``."""
    if path.is_relative_to(SHARED):
        return f"shared/{path.stem}"
    relative = path.relative_to(PUBLIC)
    test = re.sub(r"^.*\.pyTest[A-Za-z0-9]+?test_", "", relative.stem)
    test = test.replace("workspace_connections_create_update_and_delete_", "connection_crud_")
    return f"public/{relative.parts[0]}/{test}"


def load(path: Path) -> Recording:
    raw = json.loads(path.read_text(encoding="utf-8"))
    entries = tuple(
        Entry(
            index=i,
            method=e["RequestMethod"].upper(),
            uri=e["RequestUri"],
            request_body=e.get("RequestBody"),
            status=int(e["StatusCode"]),
            headers={str(k): _header(v) for k, v in (e.get("ResponseHeaders") or {}).items()},
            body=e.get("ResponseBody"),
        )
        for i, e in enumerate(raw["Entries"])
    )
    return Recording(short_key(path), path, entries, recorded_scope(entries))


def _header(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def recorded_scope(entries: tuple[Entry, ...]) -> tuple[str, str, str]:
    for entry in entries:
        match = _WORKSPACE.search(entry.path)
        if match:
            return match["sub"], match["rg"], match["ws"]
    return "", "", ""


def all_recordings() -> list[Recording]:
    """Every recording the suite replays, shared ones first, in a stable order."""
    files = sorted(SHARED.glob("*.json")) + sorted(PUBLIC.rglob("*.json"))
    return [load(p) for p in files]


def out_of_scope(entry: Entry) -> str | None:
    """Why the emulator legitimately cannot serve ``entry``, or None if it should."""
    host = entry.host
    if host.startswith("login.") or host.endswith("microsoftonline.com"):
        return "Azure AD sign-in, not the Azure ML management API"
    if host.endswith((".blob.core.windows.net", ".file.core.windows.net", ".dfs.core.windows.net")):
        return (
            "storage-account data-plane call (azure-ai-ml uploads local files to the "
            "datastore's storage account directly, not through the management API)"
        )
    if host != MANAGEMENT_HOST:
        return f"host {host} is not the Azure ML management API"
    if _OPERATION.search(entry.path):
        return None  # long-running-operation status: served by the emulator
    match = _WORKSPACE.search(entry.path)
    if match is None:
        return "not a workspace-scoped Azure ML call (registries, subscriptions, ARM)"
    rest = (match["rest"] or "").strip("/")
    if not rest:
        return "the workspace resource itself (workspace CRUD is not modelled by the emulator)"
    first = rest.split("/")[0]
    if first in NOT_MODELLED:
        return NOT_MODELLED[first]
    if first not in SERVED:
        return f"workspace child '{first}' is not modelled by the emulator"
    return None
