"""The Azure apply lock's guard (issue 21, item 3): renewal errors are never swallowed; a
lease the service says is gone, or one not renewed for a whole lease, is lost for good; a
write is let through without a request only while the last renewal is fresh. The lease here
stands in for azure-storage-blob's BlobLeaseClient (its ``renew`` raising what the SDK raises);
the end-to-end scenario against Azurite is in tests/providers/test_azure_lock.py."""

from __future__ import annotations

import threading

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from reconciler.core.errors import LockLost
from reconciler.providers.azureml.lock import LeaseGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Lease:
    """Renews, or raises the next of ``failures``."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.renewals = 0

    def renew(self) -> None:
        self.renewals += 1
        if self.failures:
            raise self.failures.pop(0)


def conflict() -> HttpResponseError:
    error = HttpResponseError(message="LeaseIdMismatchWithLeaseOperation")
    error.status_code = 409
    error.error_code = "LeaseIdMismatchWithLeaseOperation"  # type: ignore[attr-defined]
    return error


def test_a_fresh_lease_passes_without_a_request() -> None:
    clock, lease = Clock(), Lease()
    guard = LeaseGuard(lease, 60, clock.now, clock)
    clock.now += 29
    guard.check()
    assert lease.renewals == 0


def test_a_stale_lease_is_renewed_before_the_write_and_passes_if_that_works() -> None:
    clock, lease = Clock(), Lease()
    guard = LeaseGuard(lease, 60, clock.now, clock)
    clock.now += 31  # the renewer did not renew (frozen, or failing)
    guard.check()
    assert lease.renewals == 1
    clock.now += 29
    guard.check()  # fresh again: no request
    assert lease.renewals == 1


def test_a_lease_the_service_says_is_gone_stops_every_later_write() -> None:
    clock, lease = Clock(), Lease(conflict())
    guard = LeaseGuard(lease, 60, clock.now, clock)
    clock.now += 70  # frozen past the lease; another apply took it
    with pytest.raises(LockLost) as lost:
        guard.check()
    assert "lease is gone (409 LeaseIdMismatchWithLeaseOperation)" in lost.value.message
    with pytest.raises(LockLost):
        guard.check()  # for good, without asking again
    assert lease.renewals == 1


def test_the_renewer_records_its_failures_and_gives_up_after_a_whole_lease() -> None:
    clock = Clock()
    lease = Lease(*[ServiceRequestError("storage unreachable") for _ in range(100)])
    guard = LeaseGuard(lease, 60, clock.now, clock)
    stop = threading.Event()

    class Ticking(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:  # time passes, instantly
            clock.now += timeout or 0
            return stop.is_set()

    guard.keep_renewing(Ticking(), every=20)

    assert guard.lost is not None  # the renewer ended by itself, with the reason
    assert "could not be renewed for 60 s of its 60 s" in guard.lost
    assert "ServiceRequestError" in guard.lost
    assert 1 + (60 - 20) // 2 <= lease.renewals <= 1 + (60 - 20) // 2 + 1  # retried every 2 s
    with pytest.raises(LockLost):
        guard.check()


def test_an_unrenewable_stale_lease_stops_the_write_even_on_a_passing_error() -> None:
    clock, lease = Clock(), Lease(ServiceRequestError("timeout"))
    guard = LeaseGuard(lease, 60, clock.now, clock)
    clock.now += 45
    with pytest.raises(LockLost) as lost:
        guard.check()
    assert "could not be renewed for 45 s of its 60 s" in lost.value.message
