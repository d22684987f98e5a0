"""The management client a plan reads with: azure-ai-ml's own pipeline, without azure-ai-ml.

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
