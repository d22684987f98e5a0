"""An Entra ID token endpoint beside the management API, so unchanged Azure code signs in.

reconciler (and any azure-identity code) reaches the emulator with its ordinary
``DefaultAzureCredential``: ``EnvironmentCredential`` reads ``AZURE_AUTHORITY_HOST`` (this
server), ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID`` and ``AZURE_CLIENT_SECRET`` (`variables`), asks
``/{tenant}/v2.0/.well-known/openid-configuration`` where to get tokens and posts a
client-credentials grant to ``/{tenant}/oauth2/v2.0/token``. The answer is the unsigned JWT
`FakeCredential` hands out in-process (its ``aud`` is the requested scope without
``/.default``): azure-ai-ml decodes it and insists on ``aud == "https://ml.azure.com"``; Azurite
accepts it for blob leases. A wrong client id or secret is refused as Entra ID refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from reconciler_testing.emulator.credential import LIFETIME, TENANT_ID, audience_of, fake_jwt
from reconciler_testing.emulator.protocol import Response

CLIENT_ID = "00000000-0000-0000-0000-0000000000cc"
CLIENT_SECRET = "emulator-client-secret-not-a-secret"  # a documented test value
_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
_OPENID = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")


def variables(base_url: str) -> dict[str, str]:
    """What ``DefaultAzureCredential`` needs to get its tokens here."""
    return {
        "AZURE_AUTHORITY_HOST": base_url,
        "AZURE_TENANT_ID": TENANT_ID,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_CLIENT_SECRET": CLIENT_SECRET,
    }


def serves(path: str) -> bool:
    return bool(_TOKEN.match(path) or _OPENID.match(path))


def answer(method: str, path: str, form: Mapping[str, str], base_url: str) -> Response:
    """The identity endpoint's answer to one request (`serves` says which paths)."""
    openid = _OPENID.match(path)
    if openid is not None and method == "GET":
        return Response(200, _configuration(base_url, openid["tenant"]))
    token = _TOKEN.match(path)
    if token is None or method != "POST":
        return _error(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST.")
    if form.get("grant_type") != "client_credentials":
        return _error(400, "unsupported_grant_type", "AADSTS70003: only client_credentials.")
    if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
        return _error(
            401,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID.",
        )
    scopes = [s for s in form.get("scope", "").split() if s.endswith("/.default")]
    if not scopes:
        return _error(400, "invalid_scope", "AADSTS1002012: a '<resource>/.default' scope.")
    access = fake_jwt(audience_of(scopes[0]), tid=token["tenant"], appid=CLIENT_ID)
    return Response(
        200,
        {
            "token_type": "Bearer",
            "expires_in": LIFETIME,
            "ext_expires_in": LIFETIME,
            "access_token": access,
        },
    )


def _configuration(base_url: str, tenant: str) -> dict[str, object]:
    root = f"{base_url}/{tenant}"
    return {
        "issuer": f"{root}/v2.0",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "tenant_region_scope": "EU",
    }


def _error(status: int, code: str, description: str) -> Response:
    return Response(status, {"error": code, "error_description": description})
