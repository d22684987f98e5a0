"""A credential for pointing azure-ai-ml at the emulator: tokens that look real, sign nothing.

The emulator accepts any ``Authorization`` header, but azure-ai-ml decodes one token itself:
submitting a pipeline job (``data.import_data``) asks for ``https://ml.azure.com/.default``,
decodes the answer as a JWT and insists on ``aud == "https://ml.azure.com"``. `FakeCredential`
therefore returns an unsigned JWT (``alg: none``) whose ``aud`` is the requested scope without
``/.default``. It implements both azure-core credential protocols (``get_token`` and
``get_token_info``) without importing azure at module level; the token types are imported
when a token is asked for, by which time the SDK is loaded anyway.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
OBJECT_ID = "00000000-0000-0000-0000-0000000000bb"
LIFETIME = 3600


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fake_jwt(audience: str, *, lifetime: int = LIFETIME, **claims: Any) -> str:
    """An unsigned JWT for ``audience`` with the claims Entra ID tokens usually carry."""
    issued = int(time.time())
    payload = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{TENANT_ID}/",
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "oid": OBJECT_ID,
        "tid": TENANT_ID,
        "sub": OBJECT_ID,
        "upn": "emulator@example.invalid",
        "name": "Azure ML emulator user",
        "appid": str(uuid.UUID(int=0)),
        **claims,
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."


def audience_of(scope: str) -> str:
    return scope.removesuffix("/.default")


class FakeCredential:
    """A `TokenCredential` (and `SupportsTokenInfo`) for the emulator; never use it on Azure."""

    def __init__(self, lifetime: int = LIFETIME) -> None:
        self.lifetime = lifetime
        self.scopes_requested: list[str] = []

    def _token(self, scopes: tuple[str, ...]) -> tuple[str, int]:
        scope = scopes[0] if scopes else "https://management.azure.com/.default"
        self.scopes_requested.append(scope)
        expires_on = int(time.time()) + self.lifetime
        return fake_jwt(audience_of(scope), lifetime=self.lifetime), expires_on

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        token, expires_on = self._token(scopes)
        return AccessToken(token, expires_on)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        token, expires_on = self._token(scopes)
        return AccessTokenInfo(token, expires_on, token_type="Bearer")

    def close(self) -> None:
        """Nothing to release (credential protocol)."""

    def __enter__(self) -> FakeCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
