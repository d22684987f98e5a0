"""Seed a workspace from real Azure ML recordings, through the emulator's own REST mapping.

The recordings in ``shared/fixtures/aml-recordings`` are what the live service answered the
SDK's end-to-end tests. Loading their GET and list response bodies (connections, datastores
including the system ones, data asset versions, schedules) into the store gives a workspace
that looks like a recorded one, so a provider can be checked against real shapes: it must plan
such a workspace without errors and read back what the service really sends. Secrets are not
in responses, so seeded connections and datastores have none (as a reader of Azure sees them).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reconciler.core.vocabulary import SYSTEM_DATASTORES
from reconciler.providers.local.store import Store
from reconciler_testing.emulator import schedule_mapping as sm
from reconciler_testing.emulator.connection_mapping import connection_from_rest
from reconciler_testing.emulator.data_mapping import data_version_from_rest
from reconciler_testing.emulator.datastore_mapping import datastore_from_rest
from reconciler_testing.emulator.protocol import JSON, ApiError

_URI = re.compile(
    r"/workspaces/[^/]+/(?P<kind>connections|datastores|data|schedules)"
    r"(?:/(?P<name>[^/]+)(?:/versions(?:/(?P<version>[^/]+))?)?)?$",
    re.IGNORECASE,
)
_KINDS = {
    "connections": "connection",
    "datastores": "datastore",
    "data": "data_version",
    "schedules": "schedule",
}


def seed_from_recordings(root: Path, recording_files: Iterable[Path]) -> dict[str, int]:
    """Load the 200 GET/list bodies of ``recording_files`` into the workspace at ``root``.

    Returns how many resources of each kind were written (``connection``, ``datastore``,
    ``data_version``, ``schedule``). Later bodies of the same resource win. System datastores
    (``workspaceblobstore``, ``workspacefilestore``, ...) are stored as system datastores.
    """
    counts: Counter[str] = Counter()
    store = Store(root)
    try:
        for path in recording_files:
            for kind, asset, item in _items(json.loads(Path(path).read_text(encoding="utf-8"))):
                _load(store, kind, asset, item)
                counts[kind] += 1
    finally:
        store.close()
    return dict(counts)


def _items(recording: JSON) -> Iterator[tuple[str, str | None, JSON]]:
    """(kind, asset name for data versions, resource body) of every successful read."""
    for entry in recording.get("Entries", []):
        if entry.get("RequestMethod") != "GET" or entry.get("StatusCode") != 200:
            continue
        match = _URI.search(unquote(urlsplit(entry.get("RequestUri", "")).path))
        body = entry.get("ResponseBody")
        if match is None or not isinstance(body, dict):
            continue
        kind = _KINDS[match["kind"].lower()]
        if kind == "data_version" and (match["name"] is None or "/versions" not in match[0]):
            continue  # containers are implied by their versions
        for item in body.get("value", [body]):
            if isinstance(item, dict) and item.get("name"):
                yield kind, match["name"], item


def _load(store: Store, kind: str, asset: str | None, item: JSON) -> None:
    name = str(item["name"])
    try:
        if kind == "connection":
            body, secrets = connection_from_rest(item, strict=False)
            store.put("connection", name, body, secrets)
        elif kind == "datastore":
            _load_datastore(store, name, item)
        elif kind == "data_version" and asset is not None:
            store.create_version(asset, name, data_version_from_rest(item))
        elif kind == "schedule":
            store.put("schedule", name, sm.schedule_from_rest(item), {})
    except ApiError as exc:
        raise ValueError(f"recorded {kind} {name!r} cannot be loaded: {exc.message}") from None


def _load_datastore(store: Store, name: str, item: JSON) -> None:
    body, secrets = datastore_from_rest(item, strict=False)
    if name not in SYSTEM_DATASTORES:
        store.put("datastore", name, body, secrets)
        return
    if (item.get("properties") or {}).get("isDefault"):
        body["is_default"] = True
    store.put_system(name, body)
