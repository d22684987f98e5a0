"""One apply at a time on an embedded workspace: an OS file lock, released when its holder
exits (even when killed), with who holds it and since when written beside it."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from reconciler.core.errors import LockHeld

LOCK_FILE = "apply.lock"
POLL_SECONDS = 0.2


@contextmanager
def file_lock(root: Path, holder: str, timeout: float) -> Iterator[None]:
    path = root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeld(_describe(path), timeout) from None
                time.sleep(POLL_SECONDS)
        since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = json.dumps({"holder": holder, "since": since, "pid": os.getpid()}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _describe(path: Path) -> str:
    try:
        record = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        record = {}
    holder = record.get("holder") or "another reconcile apply"
    since = record.get("since")
    return f"{holder}, since {since}" if since else str(holder)
