"""In GitHub Actions reconciler exchanges a fresh GitHub OIDC token for every Azure token, so an
apply that waits hours for an import keeps its identity. Proved against a fake GitHub token
endpoint and a fake Entra ID token endpoint whose tokens live two seconds."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.providers.azureml.credentials import default_credential
from tests.fakes.https import Answer, Call, FakeServer, serve

LIFETIME = 2.0  # seconds a GitHub assertion and an Azure token are valid
TENANT = "00000000-0000-0000-0000-00000000000a"
CLIENT = "00000000-0000-0000-0000-00000000000c"
REQUEST_TOKEN = "gh-request-token-value"


def _jwt(claims: Mapping[str, object]) -> str:
    def part(data: Mapping[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}."


def _claims(token: str) -> dict[str, object]:
    body = token.split(".")[1]
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


@dataclass
class Identity:
    """GitHub's OIDC issuer and Entra ID's token endpoint, with short-lived tokens."""

    assertions: int = 0
    rejected: list[str] = field(default_factory=list)

    def __call__(self, call: Call) -> Answer:
        if call.path == "/github/token":
            if call.headers.get("authorization") != f"Bearer {REQUEST_TOKEN}":
                return Answer(401, {"message": "bad request token"})
            self.assertions += 1
            claims = {"aud": call.query.get("audience"), "exp": time.time() + LIFETIME}
            return Answer(200, {"value": _jwt(claims)})
        if call.path == f"/{TENANT}/oauth2/v2.0/token":
            form = call.form()
            assertion = _claims(form["client_assertion"])
            if assertion["aud"] != "api://AzureADTokenExchange":
                return Answer(400, {"error": "invalid_client", "error_description": "audience"})
            if float(str(assertion["exp"])) < time.time():
                self.rejected.append("AADSTS700024")
                return Answer(
                    400,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS700024: Client assertion is not within "
                        "its valid time range.",
                    },
                )
            token = _jwt({"aud": "https://ml.azure.com", "exp": time.time() + LIFETIME})
            return Answer(
                200, {"token_type": "Bearer", "expires_in": int(LIFETIME), "access_token": token}
            )
        return Answer(404, {"error": "not_found"})


@pytest.fixture
def identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Identity, FakeServer]]:
    fake = Identity()
    with serve(fake, tmp_path / "tls") as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        yield fake, server


def actions_environment(server: FakeServer) -> dict[str, str]:
    return {
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{server.url}/github/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_TENANT_ID": TENANT,
        "AZURE_AUTHORITY_HOST": server.url,
    }


def test_a_long_apply_keeps_getting_valid_azure_tokens(
    identity: tuple[Identity, FakeServer],
) -> None:
    fake, server = identity
    credential = default_credential(actions_environment(server))

    tokens = []
    for _ in range(6):  # an apply outliving every token: three lifetimes, however slow the machine
        asked = time.time()
        token = credential.get_token("https://ml.azure.com/.default")
        assert token.expires_on > asked  # valid when asked for, never a stale one
        tokens.append(token.token)
        time.sleep(LIFETIME / 2)

    assert fake.rejected == []
    assert fake.assertions >= 3  # a fresh GitHub token for each Azure token
    assert len(set(tokens)) >= 3
    assert all(_claims(t)["aud"] == "https://ml.azure.com" for t in tokens)


def test_an_assertion_fetched_once_expires_as_azure_login_does(
    identity: tuple[Identity, FakeServer],
) -> None:
    """What an `az login` session made from one GitHub token does: it cannot refresh."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import ClientAssertionCredential

    from reconciler.providers.azureml.credentials import github_oidc_token

    fake, server = identity
    env = actions_environment(server)
    once = github_oidc_token(env["ACTIONS_ID_TOKEN_REQUEST_URL"], REQUEST_TOKEN)
    stale = ClientAssertionCredential(TENANT, CLIENT, lambda: once, authority=server.url)
    stale.get_token("https://ml.azure.com/.default")
    time.sleep(LIFETIME + 0.5)

    with pytest.raises(ClientAuthenticationError, match="AADSTS700024"):
        stale.get_token("https://ml.azure.com/.default")
    assert fake.rejected == ["AADSTS700024"]


def test_outside_github_actions_the_default_credential_is_used() -> None:
    from azure.identity import DefaultAzureCredential

    assert isinstance(default_credential({}), DefaultAzureCredential)
    partial = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x", "AZURE_CLIENT_ID": CLIENT}
    assert isinstance(default_credential(partial), DefaultAzureCredential)
