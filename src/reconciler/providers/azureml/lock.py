"""One apply at a time on an Azure ML workspace: a lease on a blob in the workspace's default
storage account, as Terraform's azurerm backend locks its state. The service enforces it; a
lease that is not renewed expires after `LEASE_SECONDS`, so a holder that dies frees it. Who
holds it and since when are kept in the blob's metadata.

A lease can also be lost by a holder that lives: frozen past the lease (a VM pause, a storage
outage), it wakes up after another apply took the lock. So the lease fences: `LeaseGuard` knows
when the lease was last renewed, every write the provider sends asks it first (see
``client.FencedTransport``), and a lease that is gone or could not be renewed stops the apply
before its next write.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from reconciler.core.errors import LockHeld, LockLost, ProviderError

LOCK_BLOB = "reconciler/apply.lock"
LEASE_SECONDS = 60
RENEW_SECONDS = LEASE_SECONDS / 3
RETRY_SECONDS = 2.0  # after a failed renewal
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
) -> Iterator[LeaseGuard]:
    from azure.core.exceptions import AzureError

    try:
        blob = _lock_blob(url, container, credential)
        lease, acquired = _acquire(blob, holder, timeout)
    except AzureError as exc:
        raise _error(exc, url, container) from None
    guard = LeaseGuard(lease, LEASE_SECONDS, acquired)
    stop = threading.Event()
    renewer = threading.Thread(
        target=guard.keep_renewing, args=(stop, RENEW_SECONDS), name="lock-renew", daemon=True
    )
    renewer.start()
    try:
        yield guard
    finally:
        stop.set()
        renewer.join()
        if guard.lost is None:
            try:
                blob.set_blob_metadata({}, lease=lease)
                lease.release()
            except AzureError:
                pass  # the lease expires by itself


class LeaseGuard:
    """Whether the lease is still ours, known without a request in the common case.

    The service keeps a lease for ``duration`` seconds after the renewal that reached it, so a
    renewal *sent* at time t holds it surely until t + duration. ``check`` passes at once while
    the last successful renewal was sent less than half a lease ago; after that (the renewer
    failed, or the process was frozen) it renews synchronously and passes only if that
    succeeds. A renewal the service refuses (another holder's lease: 409/412), or a lease left
    unrenewed for a whole duration, marks it lost for good: every later check raises."""

    def __init__(
        self,
        lease: Any,
        duration: float,
        acquired: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lease = lease
        self._duration = duration
        self._clock = clock
        self._renewed = acquired  # when the last successful renewal (or the acquire) was sent
        self._mutex = threading.Lock()
        self.lost: str | None = None

    def check(self) -> None:
        if self.lost is None and self._clock() - self._renewed < self._duration / 2:
            return
        self._renew(force=False)
        if self.lost is not None:
            raise LockLost(self.lost)

    def keep_renewing(self, stop: threading.Event, every: float) -> None:
        """The renewer thread: renew every ``every`` seconds; after a failed renewal, retry
        every `RETRY_SECONDS` until the lease is renewed or lost."""
        wait = every
        while self.lost is None and not stop.wait(wait):
            wait = every if self._renew(force=True) else min(every, RETRY_SECONDS)

    def _renew(self, *, force: bool) -> bool:
        """Renew the lease now (unless ``force`` is false and another thread just did);
        whether it is held afterwards. Failures are recorded, never swallowed."""
        from azure.core.exceptions import AzureError

        with self._mutex:
            if self.lost is not None:
                return False
            sent = self._clock()
            if not force and sent - self._renewed < self._duration / 2:
                return True
            try:
                self._lease.renew()
            except AzureError as exc:
                status = getattr(exc, "status_code", None)
                if status in (409, 412):  # LeaseIdMismatch, LeaseNotPresent, LeaseLost
                    self.lost = f"the storage service says the lease is gone ({_code(exc)})"
                elif not force or sent - self._renewed >= self._duration:
                    unrenewed = sent - self._renewed
                    self.lost = (
                        f"the lease could not be renewed for {unrenewed:.0f} s of its "
                        f"{self._duration:.0f} s ({_code(exc)})"
                    )
                return False
            self._renewed = sent
            return True


def _code(exc: Any) -> str:
    code = getattr(exc, "error_code", None)
    status = getattr(exc, "status_code", None)
    return " ".join(str(p) for p in (status, code) if p) or type(exc).__name__


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


def _acquire(blob: Any, holder: str, timeout: float) -> tuple[Any, float]:
    """The lease, and when the request that took it was sent (monotonic)."""
    from azure.core.exceptions import ResourceExistsError

    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        try:
            sent = time.monotonic()
            lease = blob.acquire_lease(lease_duration=int(LEASE_SECONDS))
            break
        except ResourceExistsError:  # LeaseAlreadyPresent
            if time.monotonic() >= deadline:
                raise LockHeld(_holder(blob), timeout) from None
            time.sleep(min(POLL_SECONDS, max(0.05, deadline - time.monotonic())))
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    blob.set_blob_metadata({"holder": holder[:200], "since": since}, lease=lease)
    return lease, sent


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
