"""Which Azure credential reconciler uses, chosen once by the caller and handed to the provider.

In GitHub Actions (``ACTIONS_ID_TOKEN_REQUEST_URL``/``_TOKEN`` present, with ``AZURE_CLIENT_ID``
and ``AZURE_TENANT_ID``), a `ClientAssertionCredential` whose assertion callback asks GitHub for
a fresh OIDC token every time Azure needs a new access token. An ``az login`` session made by
``azure/login`` cannot refresh once GitHub's assertion expires (AADSTS700024 after ~10 minutes),
which an apply that waits for a long import outlives; this credential can run for hours.
Elsewhere, `DefaultAzureCredential` (environment variables, az login, workload identity, managed
identity); with ``AZURE_AUTHORITY_HOST`` set, it signs in there (the emulator of the test
doubles serves such a token endpoint).
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from reconciler.core.errors import ProviderError

GITHUB_AUDIENCE = "api://AzureADTokenExchange"
_GITHUB_VARIABLES = (
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
)


def default_credential(environ: Mapping[str, str] = os.environ) -> Any:
    if all(environ.get(name) for name in _GITHUB_VARIABLES):
        return github_actions_credential(
            tenant_id=environ["AZURE_TENANT_ID"],
            client_id=environ["AZURE_CLIENT_ID"],
            request_url=environ["ACTIONS_ID_TOKEN_REQUEST_URL"],
            request_token=environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
            authority=environ.get("AZURE_AUTHORITY_HOST") or None,
        )
    from azure.identity import DefaultAzureCredential

    # it logs each failed sign-in as a warning, once per request that asked for a token (five
    # at once for a plan's lists): the error reconciler prints carries Entra ID's reason once
    logging.getLogger("azure.identity").setLevel(logging.ERROR)
    options: dict[str, Any] = {"exclude_interactive_browser_credential": True}
    if environ.get("AZURE_AUTHORITY_HOST"):
        # An authority set on purpose (a private cloud, Azure Stack, the emulator's token
        # endpoint) is trusted as set: Microsoft's instance discovery, which would otherwise
        # be asked about a host it does not know, cannot vouch for it and needs the internet.
        options["disable_instance_discovery"] = True
    return DefaultAzureCredential(**options)


def github_actions_credential(
    *,
    tenant_id: str,
    client_id: str,
    request_url: str,
    request_token: str,
    authority: str | None = None,
) -> Any:
    """Federated credential: each Azure token is exchanged for a GitHub OIDC token asked for
    at that moment, so nothing expires while a job runs."""
    from azure.identity import ClientAssertionCredential

    def assertion() -> str:
        return github_oidc_token(request_url, request_token)

    kwargs: dict[str, Any] = {"authority": authority} if authority else {}
    return ClientAssertionCredential(tenant_id, client_id, assertion, **kwargs)


def github_oidc_token(request_url: str, request_token: str, timeout: float = 30.0) -> str:
    """A GitHub Actions OIDC token for Azure (the runner's ID-token endpoint)."""
    parts = urllib.parse.urlsplit(request_url)
    query = [*urllib.parse.parse_qsl(parts.query), ("audience", GITHUB_AUDIENCE)]
    url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {request_token}"})
    # the CA bundle Azure's SDKs use (requests honours it), for proxies and tests alike
    context = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE") or None)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            value = json.load(response).get("value")
    except (OSError, ValueError) as exc:
        raise ProviderError(
            f"could not get a GitHub OIDC token for Azure: {type(exc).__name__}",
            hint="the job needs `permissions: id-token: write`",
            transient=True,
        ) from None
    if not isinstance(value, str) or not value:
        raise ProviderError("GitHub's OIDC endpoint answered without a token")
    return value
