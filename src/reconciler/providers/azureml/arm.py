"""The management client a plan reads with: azure-ai-ml's own pipeline, without azure-ai-ml;
and how a list is read through it, page after page.

Importing azure-ai-ml takes seconds (its entities, schemas and operation groups), more than a
plan's whole reading. A plan only GETs lists as JSON (`reads`), so it reads through the same
azure-core ARM pipeline azure-ai-ml builds for its management client (the same policies in the
same order: request id, headers, user agent, proxy, content decoding, resource-provider
registration, redirects, retries, ARM's bearer-token challenge, logging, tracing), with the same
endpoint, token scope and query parameters; azure-ai-ml itself is imported only by what writes
(`provider.AzureWorkspace.client`). The API versions are the ones azure-ai-ml 1.35 sends for
these lists; tests/providers/test_azure_start.py checks them against the installed SDK.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from queue import Queue
from typing import Any

from reconciler import __version__

# GET .../<list>?api-version=...: what azure-ai-ml sends for each list a plan reads
API_VERSIONS = {
    "connections": "2024-04-01-preview",
    "datastores": "2024-10-01-preview",
    "data": "2023-04-01-preview",
    "jobs": "2024-01-01-preview",
    "schedules": "2023-06-01-preview",
}
PUBLIC_ENDPOINT = "https://management.azure.com"
MFE_OVERRIDE = "AZUREML_DEV_URL_MFE"  # azure-ai-ml's own: another management endpoint
# azure-ai-ml's sovereign-cloud settings: with these, its own cloud metadata decides
CLOUD_SETTINGS = ("AZUREML_CURRENT_CLOUD", "ARM_CLOUD_METADATA_URL")
RETRIES = {"retry_total": 3, "retry_connect": 2, "retry_read": 2}  # see `client.ml_client`


def endpoint() -> tuple[str, str]:
    """The management endpoint and the token scope, as azure-ai-ml chooses them."""
    cloud = os.environ.get("AZUREML_CURRENT_CLOUD")
    if os.environ.get("ARM_CLOUD_METADATA_URL") or (cloud and cloud != "AzureCloud"):
        from azure.ai.ml._azure_environments import (
            _get_base_url_from_metadata,
            _get_cloud_information_from_metadata,
        )

        scopes = _get_cloud_information_from_metadata().get("credential_scopes") or []
        return _get_base_url_from_metadata(is_local_mfe=True), str(scopes[0])
    return os.environ.get(MFE_OVERRIDE) or PUBLIC_ENDPOINT, f"{PUBLIC_ENDPOINT}/.default"


def arm_client(credential: Any, transport: Any) -> Any:
    """An ARM pipeline client over ``transport``, signing in with ``credential``."""
    from azure.core.pipeline import policies
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import (
        ARMAutoResourceProviderRegistrationPolicy,
        ARMChallengeAuthenticationPolicy,
        ARMHttpLoggingPolicy,
    )

    base_url, scope = endpoint()
    settings: dict[str, Any] = {"user_agent": f"reconciler/{__version__}", **RETRIES}
    redirect = policies.RedirectPolicy(**settings)
    pipeline = [
        policies.RequestIdPolicy(**settings),
        policies.HeadersPolicy(**settings),
        policies.UserAgentPolicy(**settings),
        policies.ProxyPolicy(**settings),
        policies.ContentDecodePolicy(**settings),
        ARMAutoResourceProviderRegistrationPolicy(),
        redirect,
        policies.RetryPolicy(**settings),
        ARMChallengeAuthenticationPolicy(credential, scope),
        policies.CustomHookPolicy(**settings),
        policies.NetworkTraceLoggingPolicy(**settings),
        policies.DistributedTracingPolicy(**settings),
        policies.SensitiveHeaderCleanupPolicy(**settings),
        ARMHttpLoggingPolicy(**settings),
    ]
    return ARMPipelineClient(base_url=base_url, policies=pipeline, transport=transport)


def items(client: Any, url: str, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """Every item of the list at ``url`` (a path under the endpoint), following ``nextLink``.
    One thread follows the chain, asking for each page as soon as the one before is read, while
    the caller reads the items: a long list costs its chain of round trips and no more (no
    hand-over between threads, nor the caller's reading, between two pages)."""
    pages: Queue[dict[str, Any] | BaseException | None] = Queue()
    stop = threading.Event()

    def follow() -> None:
        link: str | None = url
        query: Mapping[str, str] | None = params
        try:
            while link and not stop.is_set():
                body = page(client, link, query)
                pages.put(body)
                link, query = body.get("nextLink"), None  # absolute, the query repeated
            pages.put(None)
        except BaseException as exc:  # handed to the caller, who raises it
            pages.put(exc)

    threading.Thread(target=follow, name="reconciler-list", daemon=True).start()
    try:
        while (body := pages.get()) is not None:
            if isinstance(body, BaseException):
                raise body
            yield from body.get("value") or []
    finally:
        stop.set()


def page(client: Any, url: str, query: Mapping[str, str] | None) -> dict[str, Any]:
    """One page of a list, as JSON; an error status raises what azure-ai-ml's clients raise."""
    body: dict[str, Any] = send(client, "GET", url, query)
    return body


def send(
    client: Any,
    method: str,
    url: str,
    query: Mapping[str, str] | None,
    body: Mapping[str, Any] | None = None,
) -> Any:
    """``method`` at ``url`` (a path under the endpoint, or absolute) with a JSON ``body``; the
    answer's JSON. An error status raises what azure-ai-ml's clients raise."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        map_error,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    errors = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}
    if url.startswith("/"):
        url = client.format_url(url)
    request = HttpRequest(method, url, params=dict(query) if query else None, json=body)
    request.headers["Accept"] = "application/json"
    response = client.send_request(request)
    if response.status_code not in (200, 201):
        map_error(status_code=response.status_code, response=response, error_map=errors)
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    return response.json()
