"""One apply at a time on an embedded workspace: an OS file lock, released when its holder
exits (even when killed), with who holds it and since when written beside it.

An fcntl lock cannot expire, but the file it is on can go: deleted or replaced (``rm``, a
checkout, a tool that rewrites the folder), the next apply creates a new file and locks that,
and two applies would write at once. So the lock fences: `FileGuard.check`, asked before every
write, passes only while the path still names the very file this apply locked (one ``stat``).
The lock file is opened without following a symlink: a link there is refused, never truncated.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from reconciler.core.errors import LockHeld, LockLost, ReconcileError

LOCK_FILE = "apply.lock"
POLL_SECONDS = 0.2


class FileGuard:
    """The held lock file: still ours while ``path`` names the file descriptor ``fd`` holds."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self.lost: str | None = None

    def check(self) -> None:
        if self.lost is None and not _same_file(self.path, self._fd):
            self.lost = f"{self.path} was deleted or replaced while this apply held it"
        if self.lost is not None:
            raise LockLost(self.lost)


@contextmanager
def file_lock(root: Path, holder: str, timeout: float) -> Iterator[FileGuard]:
    path = root / LOCK_FILE
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        fd = _open(path)
        try:
            if _try_lock(fd) and _same_file(path, fd):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # held by another, or replaced between open and lock: look again
        if time.monotonic() >= deadline:
            raise LockHeld(_describe(path), timeout) from None
        time.sleep(POLL_SECONDS)
    try:
        since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = json.dumps({"holder": holder, "since": since, "pid": os.getpid()}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
        guard = FileGuard(path, fd)
        try:
            yield guard
        finally:
            if guard.lost is None:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def linked_lock(path: Path) -> ReconcileError:
    """The refusal of a lock file that is a symbolic link (asked again before the workspace's
    database is created, so that a refused apply leaves no new database behind)."""
    return ReconcileError(
        f"{path} is a symbolic link; the apply lock is never taken through one (it "
        "would write where the link points); nothing was changed",
        hint=f"remove the link ({path}); the next apply creates the lock file itself",
    )


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise linked_lock(path) from None
        raise ReconcileError(f"cannot open the apply lock {path}: {exc.strerror}") from None


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _same_file(path: Path, fd: int) -> bool:
    try:
        named = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _describe(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, encoding="utf-8") as handle:
            record = json.loads(handle.read(4096) or "{}")
    except (OSError, ValueError):
        record = {}
    if not isinstance(record, dict):
        record = {}
    holder = record.get("holder") or "another reconcile apply"
    since = record.get("since")
    return f"{holder}, since {since}" if since else str(holder)
