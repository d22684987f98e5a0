"""One apply at a time on an Azure ML workspace: a lease on a blob in the workspace's default
storage account, enforced by the storage service (Azurite here), released on exit, expiring
when its holder dies without releasing it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from reconciler.config import desired_state
from reconciler.core.errors import LockHeld
from reconciler.core.essences import DatastoreEssence, Kind, narrow
from reconciler.core.plan import ResourceChange
from reconciler.engine import operations
from reconciler.providers.azureml import lock
from reconciler.providers.azureml.lock import LOCK_BLOB
from reconciler.providers.factory import open_workspace
from reconciler_testing.emulator.credential import FakeCredential
from tests.azurite_fixture import Azurite
from tests.providers.conftest import Harness
from tests.providers.test_contract import write_globorealty
from tests.views import Quiet

pytestmark = pytest.mark.parametrize("harness", ["azureml"], indirect=True)


def lock_blob(azurite: Azurite) -> Any:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient(azurite.url, credential=FakeCredential())
    return service.get_blob_client("azureml-blobstore", LOCK_BLOB)


def test_a_second_apply_is_refused_while_the_lease_is_held(
    harness: Harness, azurite: Azurite
) -> None:
    write_globorealty(harness)
    workspace = harness.workspace()
    with workspace.lock("reconcile apply by https://github.com/o/r/actions/runs/1", 0):
        metadata = lock_blob(azurite).get_blob_properties().metadata
        assert metadata["holder"] == "reconcile apply by https://github.com/o/r/actions/runs/1"
        with pytest.raises(LockHeld) as refused:
            harness.workspace().lock("another apply", 0).__enter__()
    assert "actions/runs/1, since 20" in refused.value.message
    # released on exit: the next apply takes it at once
    assert harness.apply().ok
    assert lock_blob(azurite).get_blob_properties().lease.state == "available"


def test_a_lease_whose_holder_died_expires_and_a_waiting_apply_goes_ahead(
    harness: Harness, azurite: Azurite
) -> None:
    write_globorealty(harness)
    workspace = harness.workspace()
    with workspace.lock("first", 0):
        pass  # makes the blob
    blob = lock_blob(azurite)
    blob.acquire_lease(lease_duration=15)  # a holder that dies: it never renews nor releases
    blob_properties = blob.get_blob_properties()
    assert blob_properties.lease.state == "leased"

    start = time.monotonic()
    with harness.workspace().lock("the next apply", 30):
        waited = time.monotonic() - start
        assert lock_blob(azurite).get_blob_properties().metadata["holder"] == "the next apply"
    assert waited > 5  # it waited for the dead holder's lease to run out


STORES = """\
datastores:
{stores}
"""


def _stores(writer: str) -> str:
    body = "".join(
        f"  store_{i}:\n    type: azure_blob\n    description: written by {writer}\n"
        f"    account_name: globorealtydata\n    container_name: c{i}\n"
        "    credentials:\n      account_key: ${env:STORAGE_ACCOUNT_KEY}\n"
        for i in range(4)
    )
    return STORES.format(stores=body)


class Frozen(Quiet):
    """A view that freezes its apply when the second step is about to start (as a VM pause
    or a storage outage would), until ``resume`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.paused = threading.Event()
        self.resume = threading.Event()
        self.seen = 0

    def step_started(self, step: ResourceChange) -> None:
        self.seen += 1
        if self.seen == 2:
            self.paused.set()
            assert self.resume.wait(120)


def _apply(harness: Harness, view: Quiet, lock_timeout: float) -> operations.Applied:
    desired = desired_state(harness.root, "test")
    workspace = open_workspace(desired.workspace, credential=harness.credential())
    request = operations.ApplyRequest(auto_approve=True, lock_timeout=lock_timeout)
    return operations.apply_reviewed(desired, workspace, request, view)


def test_an_apply_frozen_past_its_lease_writes_nothing_once_another_took_the_lock(
    harness: Harness, azurite: Azurite, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock, "LEASE_SECONDS", 15)  # the shortest lease Azure Storage grants
    monkeypatch.setattr(lock, "RENEW_SECONDS", 3600.0)  # the holder's renewer is frozen too
    harness.write(_stores("the first apply"), STORAGE_ACCOUNT_KEY="account-key-1")
    first_view = Frozen()
    first: list[operations.Applied] = []
    holder = threading.Thread(target=lambda: first.append(_apply(harness, first_view, 0)))
    holder.start()
    assert first_view.paused.wait(60)  # one step applied, then frozen

    # meanwhile the lease runs out and a second apply (another desired state) takes the lock
    harness.write(_stores("the second apply"))
    start = time.monotonic()
    second = _apply(harness, Quiet(), lock_timeout=30)
    assert time.monotonic() - start > 5  # it waited for the frozen holder's lease to run out
    assert second.result.ok and len(second.result.results) == 4
    emulator.reset_stats()

    first_view.resume.set()  # the first apply wakes up, its plan now stale
    holder.join(60)
    result = first[0].result
    writes = {r: n for r, n in emulator.stats()["routes"].items() if not r.startswith("GET")}
    assert writes == {}  # nothing it planned reached the workspace after the second took over
    assert [r.status for r in result.results] == ["applied", "failed"]
    assert "the apply lock was lost" in result.results[1].message
    assert result.lock_lost is not None and "lease is gone" in result.lock_lost
    assert len(result.not_started) == 2 and not result.ok  # the CLI exits 3: steps ran
    described = {
        r.name: narrow(r.essence, DatastoreEssence).description
        for r in harness.workspace().list_resources(Kind.DATASTORE)
        if r.name.startswith("store_")
    }
    assert set(described.values()) == {"written by the second apply"}
