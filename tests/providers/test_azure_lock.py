"""One apply at a time on an Azure ML workspace: a lease on a blob in the workspace's default
storage account, enforced by the storage service, released on exit, expiring when its holder
dies without releasing it. Run against Azurite (Microsoft's storage emulator) and against the
Blob service `reconcile emulator` answers for its workspace's account, so the emulator's
answers are held to Azurite's."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.config import desired_state
from reconciler.core.errors import LockHeld, ProviderError
from reconciler.core.essences import DatastoreEssence, Kind, narrow
from reconciler.core.plan import ResourceChange
from reconciler.engine import operations
from reconciler.providers.azureml import lock
from reconciler.providers.azureml.lock import LOCK_BLOB, URL_VARIABLE
from reconciler.providers.factory import open_workspace
from reconciler_testing.emulator.credential import FakeCredential
from tests.azurite_fixture import Azurite
from tests.conftest import RunCli
from tests.providers.conftest import Harness
from tests.providers.test_contract import write_globorealty
from tests.views import Quiet

pytestmark = pytest.mark.parametrize("harness", ["azureml"], indirect=True)


@pytest.fixture(params=["azurite", "emulator"])
def storage(
    request: pytest.FixtureRequest, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The account URL the lock uses: Azurite's, or the emulator's own (what it prints)."""
    if request.param == "emulator":
        emulator = request.getfixturevalue("emulator")
        url = emulator.env()[URL_VARIABLE]
    else:
        url = request.getfixturevalue("azurite").url
    monkeypatch.setenv(URL_VARIABLE, url)
    yield url


def lock_blob(url: str) -> Any:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient(url, credential=FakeCredential())
    return service.get_blob_client("azureml-blobstore", LOCK_BLOB)


def test_a_second_apply_is_refused_while_the_lease_is_held(harness: Harness, storage: str) -> None:
    write_globorealty(harness)
    workspace = harness.workspace()
    with workspace.lock("reconcile apply by https://github.com/o/r/actions/runs/1", 0):
        metadata = lock_blob(storage).get_blob_properties().metadata
        assert metadata["holder"] == "reconcile apply by https://github.com/o/r/actions/runs/1"
        with pytest.raises(LockHeld) as refused:
            harness.workspace().lock("another apply", 0).__enter__()
    assert "actions/runs/1, since 20" in refused.value.message
    # released on exit: the next apply takes it at once
    assert harness.apply().ok
    assert lock_blob(storage).get_blob_properties().lease.state == "available"


def test_a_lease_whose_holder_died_expires_and_a_waiting_apply_goes_ahead(
    harness: Harness, azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_VARIABLE, azurite.url)
    write_globorealty(harness)
    workspace = harness.workspace()
    with workspace.lock("first", 0):
        pass  # makes the blob
    blob = lock_blob(azurite.url)
    blob.acquire_lease(lease_duration=15)  # a holder that dies: it never renews nor releases
    blob_properties = blob.get_blob_properties()
    assert blob_properties.lease.state == "leased"

    start = time.monotonic()
    with harness.workspace().lock("the next apply", 30):
        waited = time.monotonic() - start
        assert lock_blob(azurite.url).get_blob_properties().metadata["holder"] == "the next apply"
    assert waited > 5  # it waited for the dead holder's lease to run out


def test_the_emulators_leases_expire_as_the_storage_service_s_do(
    harness: Harness, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same as above on the emulator's Blob service, its clock moved instead of waiting."""
    from azure.core.exceptions import HttpResponseError, ResourceExistsError

    url = emulator.env()[URL_VARIABLE]
    monkeypatch.setenv(URL_VARIABLE, url)
    write_globorealty(harness)
    with harness.workspace().lock("first", 0):
        pass
    blob = lock_blob(url)
    dead = blob.acquire_lease(lease_duration=15)
    with pytest.raises(LockHeld):
        harness.workspace().lock("the next apply", 0).__enter__()
    with pytest.raises(HttpResponseError) as unleased:  # a leased blob is written with its id
        blob.set_blob_metadata({"holder": "someone"})
    assert getattr(unleased.value, "error_code", None) == "LeaseIdMissing"

    real = emulator.blobs.clock
    monkeypatch.setattr(emulator.blobs, "clock", lambda: real() + 16)  # the lease ran out
    assert blob.get_blob_properties().lease.state == "expired"
    with harness.workspace().lock("the next apply", 0):
        assert lock_blob(url).get_blob_properties().metadata["holder"] == "the next apply"
        with pytest.raises(ResourceExistsError):  # the dead holder cannot renew a taken lease
            dead.renew()


def test_an_unreachable_lock_endpoint_fails_at_once_naming_no_lock_and_the_url_format(
    harness: Harness, emulator: Any, invoke: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to hang 84 s in the storage SDK's backoff, then print a raw ServiceRequestError."""
    write_globorealty(harness)
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{closed.getsockname()[1]}/localworkspace"
    env = {URL_VARIABLE: url}

    result = invoke("apply", "--auto-approve", "--env", "test", cwd=harness.root, env=env)

    assert result.code == 1, result.output
    assert f"cannot take the apply lock at {url}/azureml-blobstore/{LOCK_BLOB}" in result.stderr
    assert "cannot be reached within 10 s" in result.stderr
    assert f"set {URL_VARIABLE} to the storage account the lock lives in: " in result.stderr
    assert "https://<account>.blob.core.windows.net" in result.stderr
    assert "https://127.0.0.1:<port>/<account>" in result.stderr
    assert "--no-lock" in result.stderr
    assert "Traceback" not in result.output and "ServiceRequestError" not in result.output
    assert not [r for k in Kind for r in harness.workspace().list_resources(k) if not r.system]


def test_a_lock_endpoint_that_drops_connections_is_tried_once_not_retried_with_backoff(
    harness: Harness, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_globorealty(harness)
    accepted: list[int] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def drop() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            connection.close()

    threading.Thread(target=drop, daemon=True).start()
    monkeypatch.setenv(URL_VARIABLE, f"https://127.0.0.1:{server.getsockname()[1]}/acct")
    try:
        with pytest.raises(ProviderError) as failed:
            harness.workspace().lock("an apply", 0).__enter__()
    finally:
        server.close()
    assert "--no-lock" in str(failed.value.hint)
    assert len(accepted) == 1


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
    monkeypatch.setenv(URL_VARIABLE, azurite.url)  # a real storage service's clock
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
