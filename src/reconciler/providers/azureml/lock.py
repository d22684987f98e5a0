"""One apply at a time on an Azure ML workspace: a lease on a blob in the workspace's default
storage account, as Terraform's azurerm backend locks its state. The service enforces it; a
lease that is not renewed expires after `LEASE_SECONDS`, so a holder that dies frees it. Who
holds it and since when are kept in the blob's metadata.

The blob is ``reconciler/apply.lock`` in the default datastore's container; the applier's
identity needs *Storage Blob Data Contributor* there. ``RECONCILER_BLOB_URL`` (an account URL:
Azurite's, or the one `reconcile emulator` prints) replaces the account. An endpoint that
cannot be reached fails within the connect timeout, not after the storage SDK's backoff
(15 s and more between attempts), naming ``--no-lock`` and the URL's format.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from reconciler.core.errors import LockHeld, ProviderError

LOCK_BLOB = "reconciler/apply.lock"
LEASE_SECONDS = 60
RENEW_SECONDS = 20.0
POLL_SECONDS = 2.0
URL_VARIABLE = "RECONCILER_BLOB_URL"
URL_FORMAT = (
    "https://<account>.blob.core.windows.net (the storage account's blob endpoint), or "
    "path-style for a local emulator: https://127.0.0.1:<port>/<account>"
)
CONNECT_TIMEOUT = 10  # seconds, as for every Azure ML request


def account_url(account: str, endpoint: str, protocol: str) -> str:
    override = os.environ.get(URL_VARIABLE)
    if override:
        return override.rstrip("/")
    scheme = "https" if protocol in ("https", "wasbs", "abfss") else "http"
    return f"{scheme}://{account}.blob.{endpoint}"


@contextmanager
def blob_lease(
    url: str, container: str, credential: Any, holder: str, timeout: float
) -> Iterator[None]:
    from azure.core.exceptions import AzureError

    try:
        blob = _lock_blob(url, container, credential)
        lease = _acquire(blob, holder, timeout)
    except AzureError as exc:
        raise _error(exc, url, container) from None
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(lease, stop), name="lock-renew", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        try:
            blob.set_blob_metadata({}, lease=lease)
            lease.release()
        except AzureError:
            pass  # the lease expires by itself


def _lock_blob(url: str, container: str, credential: Any) -> Any:
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient(
        url,
        credential=credential,
        retry_total=3,
        retry_connect=0,  # unreachable: say so now (the renewals retry by themselves)
        connection_timeout=CONNECT_TIMEOUT,
    )
    blob = service.get_blob_client(container, LOCK_BLOB)
    if not blob.exists():
        with suppress(ResourceExistsError):
            service.get_container_client(container).create_container()
        with suppress(ResourceExistsError):  # made meanwhile by another apply
            blob.upload_blob(b"", overwrite=False)
    return blob


def _acquire(blob: Any, holder: str, timeout: float) -> Any:
    from azure.core.exceptions import ResourceExistsError

    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        try:
            lease = blob.acquire_lease(lease_duration=LEASE_SECONDS)
            break
        except ResourceExistsError:  # LeaseAlreadyPresent
            if time.monotonic() >= deadline:
                raise LockHeld(_holder(blob), timeout) from None
            time.sleep(min(POLL_SECONDS, max(0.05, deadline - time.monotonic())))
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    blob.set_blob_metadata({"holder": holder[:200], "since": since}, lease=lease)
    return lease


def _renew(lease: Any, stop: threading.Event) -> None:
    while not stop.wait(RENEW_SECONDS):
        try:
            lease.renew()
        except Exception:  # a blip: the next renewal (well within the lease) tries again
            continue


def _holder(blob: Any) -> str:
    try:
        metadata = blob.get_blob_properties().metadata or {}
    except Exception:
        metadata = {}
    holder = metadata.get("holder") or "another reconcile apply"
    since = metadata.get("since")
    return f"{holder}, since {since}" if since else holder


def _error(exc: Any, url: str, container: str) -> ProviderError:
    from azure.core.exceptions import ServiceRequestError

    status = getattr(exc, "status_code", None)
    where = f"{url}/{container}/{LOCK_BLOB}"
    if isinstance(exc, ServiceRequestError):  # no connection (refused, no route, no name)
        source = f"{URL_VARIABLE}" if os.environ.get(URL_VARIABLE) else "the default datastore"
        return ProviderError(
            f"cannot take the apply lock at {where}: the storage endpoint (from {source}) "
            f"cannot be reached within {CONNECT_TIMEOUT} s",
            hint=f"set {URL_VARIABLE} to the storage account the lock lives in: {URL_FORMAT} "
            "(`reconcile emulator` prints its own); or pass --no-lock when no other apply can "
            "run against this workspace",
            transient=True,
        )
    if status == 403:
        return ProviderError(
            f"cannot take the apply lock at {where}: access denied",
            hint="give the applier identity 'Storage Blob Data Contributor' on the workspace's "
            "default storage account",
        )
    return ProviderError(
        f"cannot take the apply lock at {where}: {type(exc).__name__}", transient=True
    )
