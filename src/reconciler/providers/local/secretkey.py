"""The embedded workspace's key for reconciler's secret hashes, when the desired state declares
none: 32 random bytes in ``<workspace>/secret.key``, readable by its owner only, never followed
through a symlink. Whoever can read it can test guesses against the stored hashes, as whoever
can read ``workspace.db`` can read the secrets themselves: the folder is the owner's alone."""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from reconciler.core.errors import ReconcileError

KEY_FILE = "secret.key"
_KEY_BYTES = 32
_MAX_READ = 4096


def stored_key(root: Path) -> bytes | None:
    path = root / KEY_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    with os.fdopen(fd, "rb") as handle:
        text = handle.read(_MAX_READ).strip()
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) < _KEY_BYTES:
        raise ReconcileError(
            f"{path} does not hold a key reconciler made ({_KEY_BYTES} random bytes, hex)",
            hint="restore it from a backup; or delete it: the next apply makes a new one and "
            "rewrites every secret (their stored hashes no longer compare)",
        )
    return key


def new_key(root: Path) -> bytes:
    found = stored_key(root)
    if found is not None:
        return found
    path = root / KEY_FILE
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # made meanwhile by another process
        return stored_key(root) or key
    except OSError as exc:
        raise _unreadable(path, exc) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


def _unreadable(path: Path, exc: OSError) -> ReconcileError:
    if exc.errno == errno.ELOOP:
        return ReconcileError(
            f"{path} is a symbolic link; reconciler's secret key is never read or written "
            "through one",
            hint=f"remove the link ({path})",
        )
    return ReconcileError(f"cannot read {path}: {exc.strerror}")
