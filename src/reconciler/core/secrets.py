"""Secret values: resolved from their references, compared only through keyed hashes.

Azure ML never returns connection secrets, and returns datastore secrets stripped, so a plan
cannot compare values. Instead each secret we write is stored beside the resource as an
HMAC-SHA256 of a random salt and the value (tag ``reconciler.secret.<field>``), keyed with a
key only the applier holds (``settings.secret_key``, from its secret store; the embedded
workspace keeps a random one in its folder). Planning with the key computes the same HMAC and
compares; without it (``--no-secrets``, a pull request's plan) secrets are compared at apply.
Anyone who can read the workspace sees the tag, but without the key it tests no guess.

Hashes written before keyed ones existed are salted scrypt (N=2^13), which anyone with read
access can test offline: they are still verified (slowly), and `guessable` tells the planner
to rewrite them. Nothing derived from a secret goes into a plan.
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
KEY_ADDRESS: SecretKey = ("settings", "secret_key")
"""Where the resolved ``settings.secret_key`` sits among the secret values."""
MIN_KEY_LENGTH = 32
"""Characters of a declared secret key (e.g. ``openssl rand -hex 32`` gives 64)."""
KEYED = "hmac-sha256"
LEGACY = "scrypt"
_N, _R, _P = 2**13, 8, 1  # the legacy scrypt parameters, for verifying old hashes only


class NoSecretKey(Exception):
    """A hash was asked for without a key: a bug (apply gets a key before it writes)."""


@dataclass
class SecretHasher:
    """Keyed hashes of secret values (``hmac-sha256$<key id>$<salt>$<mac>``), and the check
    of a stored hash, keyed or legacy scrypt. ``key`` is None for a plan made without one:
    then a keyed hash cannot be checked (`matches` says None)."""

    key: bytes | None = None
    _memo: dict[tuple[bytes, str], str] = field(default_factory=dict, repr=False)

    @cached_property
    def key_id(self) -> str:
        """Names the key without revealing it, so a hash made with another key (a rotated
        one) is known for what it is."""
        if self.key is None:
            return ""
        return hmac.new(self.key, b"reconciler key id", hashlib.sha256).hexdigest()[:16]

    def hash(self, value: str, salt: bytes) -> str:
        if self.key is None:
            raise NoSecretKey("no secret key to hash with")
        key = (salt, value)
        digest = self._memo.get(key)
        if digest is None:
            mac = hmac.new(self.key, salt + value.encode(), hashlib.sha256).hexdigest()
            digest = self._memo[key] = f"{KEYED}${self.key_id}${salt.hex()}${mac}"
        return digest

    def matches(self, value: str, stored: str) -> bool | None:
        """True/False when ``stored`` is a hash we can check, None when it is not (another
        format, or a keyed hash and no key). A keyed hash made with another key is False: the
        secret is rewritten with this key."""
        parts = stored.split("$")
        try:
            salt = bytes.fromhex(parts[-2]) if len(parts) >= 3 else b""
        except ValueError:
            return None
        if len(parts) == 3 and parts[0] == LEGACY:
            raw = hashlib.scrypt(value.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
            return hmac.compare_digest(f"{LEGACY}${salt.hex()}${raw.hex()}", stored)
        if len(parts) == 4 and parts[0] == KEYED:
            if self.key is None:
                return None
            if parts[1] != self.key_id:
                return False
            return hmac.compare_digest(self.hash(value, salt), stored)
        return None


def guessable(stored: str) -> bool:
    """Whether a stored hash can be tested offline by anyone who reads it (legacy scrypt)."""
    return stored.startswith(LEGACY + "$")


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
        return dict(self._by_address.get(address, {}))

    @cached_property
    def _by_address(self) -> dict[str, dict[str, str]]:
        """Built once: apply asks per step, and a scan of every value made 10,000 steps
        quadratic (29 s)."""
        found: dict[str, dict[str, str]] = {}
        for (owner, path), value in self._values.items():
            found.setdefault(owner, {})[path] = value
        return found

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
