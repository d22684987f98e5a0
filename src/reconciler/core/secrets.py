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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

SecretKey = tuple[str, str]  # (resource address, field path)
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


class SecretRef(BaseModel):
    """Where a secret comes from, never the secret: ``${env:NAME}`` or
    ``${keyvault:VAULT/SECRET}`` (optionally ``/VERSION``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: Literal["env", "keyvault"]
    name: str
    vault: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        if self.source == "keyvault":
            tail = f"/{self.version}" if self.version else ""
            return f"${{keyvault:{self.vault}/{self.name}{tail}}}"
        return f"${{{self.source}:{self.name}}}"


@dataclass(frozen=True)
class SecretValues:
    """Resolved secret values by (address, field path). ``resolved`` is False for a plan made
    without secrets: then nothing is held and every secret comparison is deferred to apply."""

    resolved: bool = True
    _values: Mapping[SecretKey, str] = field(default_factory=dict, repr=False)

    def get(self, address: str, path: str) -> str | None:
        return self._values.get((address, path))

    def of(self, address: str) -> dict[str, str]:
        """Field path -> value for one resource."""
        return {p: v for (a, p), v in self._values.items() if a == address}

    def values(self) -> Iterator[str]:
        return iter(set(self._values.values()))

    def found_in(self, text: str) -> list[SecretKey]:
        """The secrets whose value occurs in ``text`` (their keys, never the values). Every
        secret has at least 8 characters, so containment does not fire by chance."""
        found = [keys for value, keys in self._holders.items() if value in text]
        return sorted(key for keys in found for key in keys)

    @cached_property
    def _holders(self) -> dict[str, list[SecretKey]]:
        """Each distinct value -> the secrets that hold it (many share one, as in CI)."""
        holders: dict[str, list[SecretKey]] = {}
        for key, value in self._values.items():
            holders.setdefault(value, []).append(key)
        return holders

    def __repr__(self) -> str:
        return f"SecretValues(resolved={self.resolved}, count={len(self._values)})"
