"""One apply at a time on an Azure ML workspace: a lease on a blob in the workspace's default
storage account, enforced by the storage service (Azurite here), released on exit, expiring
when its holder dies without releasing it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from reconciler.core.errors import LockHeld
from reconciler.providers.azureml.lock import LOCK_BLOB
from reconciler_testing.emulator.credential import FakeCredential
from tests.azurite_fixture import Azurite
from tests.providers.conftest import Harness
from tests.providers.test_contract import write_globorealty

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
