"""Secret values: resolved from their references, compared only through salted, slow hashes.

Azure ML never returns connection secrets, and returns datastore secrets stripped, so a plan
cannot compare values. Instead each secret we write is stored beside the resource as a scrypt
hash (tag ``reconciler.secret.<field>``) with a random salt; planning hashes the desired value
with the same salt and compares. Values never leave this module except to a provider's write.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler.config import LoadedConfig
from reconciler.errors import ConfigError, Problem
from reconciler.resources import DesiredResource

_N, _R, _P = 2**13, 8, 1  # 8 MiB and ~20 ms per hash: slow for guessing, fine for a plan
SecretKey = tuple[str, str]  # (resource address, field path)


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


def stable_salt(scope: str) -> bytes:
    """A salt fixed per workspace, for hashes that must repeat (plan fingerprints)."""
    return hashlib.sha256(f"reconciler-plan:{scope}".encode()).digest()[:16]


def resolve_secrets(
    resources: Iterable[DesiredResource], config: LoadedConfig
) -> dict[SecretKey, str]:
    """Every secret value the resources reference; all missing variables reported at once."""
    values: dict[SecretKey, str] = {}
    problems: list[Problem] = []
    for resource in resources:
        for path, ref in resource.secrets.items():
            value = config.variables.get(ref.name)
            if not value:
                problems.append(
                    config.problem(
                        (*resource.config_path, *path.split(".")),
                        f"secret variable {ref.name} is not set (used by {resource.address})",
                        f"export {ref.name}=... (in CI: from a secret store), or add it to the "
                        "environment's env_file for local use",
                    )
                )
                continue
            values[(resource.address, path)] = value
    if problems:
        raise ConfigError(problems=problems)
    return values
