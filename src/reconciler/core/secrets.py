"""Secret values: resolved from their references, compared only through salted, slow hashes.

Azure ML never returns connection secrets, and returns datastore secrets stripped, so a plan
cannot compare values. Instead each secret we write is stored beside the resource as a scrypt
hash (tag ``reconciler.secret.<field>``) with a random salt; planning hashes the desired value
with the same salt and compares. Nothing derived from a secret goes into a plan: a plan file
must not let anyone test a guess offline.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Protocol

_N, _R, _P = 2**13, 8, 1  # 8 MiB and ~20 ms per hash: slow for guessing, fine for a plan


@dataclass
class SecretHasher:
    """scrypt with memoisation, so one salt and one value cost one hash per process."""

    _memo: dict[tuple[bytes, str], str] = field(default_factory=dict)

    def hash(self, value: str, salt: bytes) -> str:
        key = (salt, value)
        digest = self._memo.get(key)
        if digest is None:
            raw = hashlib.scrypt(value.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
            digest = self._memo[key] = f"scrypt${salt.hex()}${raw.hex()}"
        return digest

    def matches(self, value: str, stored: str) -> bool | None:
        """True/False when ``stored`` is a hash we can check, None when it is not."""
        parts = stored.split("$")
        if len(parts) != 3 or parts[0] != "scrypt":
            return None
        try:
            salt = bytes.fromhex(parts[1])
        except ValueError:
            return None
        return hmac.compare_digest(self.hash(value, salt), stored)


def new_salt() -> bytes:
    return os.urandom(16)


class KeyVaultError(Exception):
    """A Key Vault read failed; ``message`` names the vault and secret (never a value)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class KeyVaultReader(Protocol):
    def read(self, vault: str, name: str, version: str | None) -> str:
        """The secret's value; raises `KeyVaultError` when it cannot be read."""
        ...
