"""A local Azure Key Vault secrets endpoint that the real azure-keyvault-secrets client talks to.

It answers as Key Vault does: a request without a token gets 401 with the bearer challenge the
client needs (authority and resource), a known secret its value and id, an unknown one 404
``SecretNotFound``, a vault the identity may not read 403 ``Forbidden``. One server stands for
every vault: the vault's name is the first path segment (`RECONCILER_KEYVAULT_URL` =
``https://127.0.0.1:PORT/{vault}``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tests.fakes.https import Answer, Call

API_VERSIONS = ("7.4", "7.5", "7.6", "2025-07-01")
CHALLENGE = (
    'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-0000000000aa",'
    ' resource="https://vault.azure.net"'
)


@dataclass
class KeyVault:
    secrets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # version->value
    denied: set[str] = field(default_factory=set)  # vaults the caller may not read
    reads: Counter[tuple[str, str]] = field(default_factory=Counter)

    def put(self, vault: str, name: str, value: str, version: str = "0" * 32) -> None:
        self.secrets.setdefault((vault, name), {})[version] = value

    def __call__(self, call: Call) -> Answer:
        parts = call.path.strip("/").split("/")
        if len(parts) < 3 or parts[1] != "secrets":
            return Answer(404, {"error": {"code": "NotFound", "message": "no such route"}})
        vault, name = parts[0], parts[2]
        version = parts[3] if len(parts) > 3 and parts[3] else None
        if not call.headers.get("authorization", "").startswith("Bearer "):
            return Answer(401, {"error": {"code": "Unauthorized"}}, {"WWW-Authenticate": CHALLENGE})
        self.reads[(vault, name)] += 1
        if vault in self.denied:
            return Answer(
                403,
                {
                    "error": {
                        "code": "Forbidden",
                        "message": "Caller is not authorized to perform action on resource.",
                        "innererror": {"code": "ForbiddenByRbac"},
                    }
                },
            )
        versions = self.secrets.get((vault, name))
        if not versions or (version is not None and version not in versions):
            return Answer(
                404,
                {
                    "error": {
                        "code": "SecretNotFound",
                        "message": f"A secret with (name/id) {name} was not found in this key "
                        "vault. If you recently deleted this secret you may be able to recover "
                        "it using the correct recovery command.",
                    }
                },
            )
        chosen = version or sorted(versions)[-1]
        return Answer(
            200,
            {
                "value": versions[chosen],
                "id": f"https://{vault}.vault.azure.net/secrets/{name}/{chosen}",
                "attributes": {"enabled": True, "created": 1700000000, "updated": 1700000000},
            },
        )
