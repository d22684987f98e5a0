"""How the provider builds its azure-ai-ml client: one transport for the reads (`arm`) and
every operation group, and the SDK's noise kept out of reconciler's output.

Only this package imports azure (see the import contracts).
"""

from __future__ import annotations

import os
from typing import Any

from reconciler.core.workspace import LockGuard


class Fence:
    """What the transport asks before it sends a write: while an apply holds the workspace's
    lock, `guard` is that lock's guard (`reconciler.core.workspace.LockGuard`), whose ``check``
    raises `LockLost` once the lock is no longer surely ours; otherwise writes pass."""

    def __init__(self) -> None:
        self.guard: LockGuard | None = None

    def check(self) -> None:
        guard = self.guard
        if guard is not None:
            guard.check()


READS = frozenset({"GET", "HEAD", "OPTIONS"})


def ml_client(
    credential: Any, subscription_id: str, resource_group: str, workspace: str, shared: Any
) -> Any:
    """An ``MLClient`` whose requests go through the ``shared`` transport (`transport`)."""
    from azure.ai.ml import MLClient

    _quiet_sdk()
    return MLClient(
        credential,
        subscription_id=subscription_id,
        resource_group_name=resource_group,
        workspace_name=workspace,
        enable_telemetry=False,
        transport=shared,
        # azure-core retries a request 10 times by default, and reconciler's `errors.call`
        # retries throttling and 5xx itself, honouring Retry-After: a silent endpoint must not
        # cost the product of both
        retry_total=3,
        retry_connect=2,
        retry_read=2,
    )


def _quiet_sdk() -> None:
    """azure-ai-ml logs a warning for every experimental class it builds (DataImport,
    ImportDataSchedule): noise in a plan or an apply's output, so keep only its errors. (Its
    poller's dots are avoided where schedules are written, see ``provider._quiet_polling``.)"""
    import logging

    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)


def transport(parallel: int, fence: Fence | None = None) -> Any:
    """One HTTP transport for the reads and every operation group, keeping as many connections
    open as reads run at once (``parallel``, and some more; requests keeps 10 per client by
    default: the rest would be opened, TLS handshake and all, and thrown away on every parallel
    read). Every write through it (any method but GET/HEAD/OPTIONS, retries included, the SDK's
    and `arm`'s alike) asks ``fence`` first, right before it goes on the wire. The
    environment's proxy and CA-bundle settings are read once, here, as requests would read
    them, instead of on every request (a scan of the whole environment each time: a plan makes
    hundreds of requests)."""
    asked: Fence = fence or Fence()
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter
    from requests.utils import get_environ_proxies

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=parallel + 8)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    endpoint = os.environ.get("AZUREML_DEV_URL_MFE") or "https://management.azure.com"
    session.proxies = get_environ_proxies(endpoint)
    session.trust_env = False
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    verify: dict[str, Any] = {"connection_verify": bundle} if bundle else {}

    class FencedTransport(RequestsTransport):  # type: ignore[misc]
        def send(self, request: Any, **kwargs: Any) -> Any:
            if str(request.method).upper() not in READS:
                asked.check()  # raises LockLost: nothing is sent
            return super().send(request, **kwargs)

    return FencedTransport(
        session=session,
        session_owner=False,
        connection_timeout=min(CONNECT_TIMEOUT, read_timeout()),
        read_timeout=read_timeout(),
        **verify,
    )


CONNECT_TIMEOUT = 10.0  # seconds to open a connection (azure-core's default: 300)


def read_timeout() -> float:
    """Seconds to wait for an answer (azure-core's default: 300): an endpoint that accepts a
    connection and never answers must not hold a plan for hours. RECONCILER_AZURE_READ_TIMEOUT
    changes it."""
    return float(os.environ.get("RECONCILER_AZURE_READ_TIMEOUT") or 60.0)
