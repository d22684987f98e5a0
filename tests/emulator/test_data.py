"""Data asset versions through the real SDK: long URIs, auto versions, archive, immutability,
concurrent creates, validation."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import Emulator

SHORT = "azureml://datastores/workspaceblobstore/paths/raw/houses"


def folder(name: str, path: str = SHORT, version: str | None = "1", **kwargs: Any) -> Any:
    from azure.ai.ml.entities import Data

    return Data(name=name, version=version, path=path, type="uri_folder", **kwargs)


def test_put_get_list_answer_the_long_uri_forms(ml: Any, emulator: Emulator) -> None:
    created = ml.data.create_or_update(folder("houses", description="raw", tags={"k": "v"}))

    long_form = (
        f"azureml://subscriptions/{emulator.scope.subscription_id}/resourcegroups/"
        f"{emulator.scope.resource_group}/workspaces/{emulator.scope.workspace_name}/"
        "datastores/workspaceblobstore/paths/raw/houses/"  # folders end with '/', as recorded
    )
    assert created.path == long_form
    got = ml.data.get("houses", version="1")
    assert (got.path, got.description, got.tags) == (long_form, "raw", {"k": "v"})
    listed = [d.path for d in ml.data.list(name="houses")]
    workspace_id = emulator.scope.workspace_id
    assert listed == [
        f"azureml://workspaces/{workspace_id}/datastores/workspaceblobstore/paths/raw/houses/"
    ]
    assert emulator.stats()["statuses"][201] == 1


def test_versions_without_number_use_the_next_version(ml: Any) -> None:
    ml.data.create_or_update(folder("houses"))
    ml.data.create_or_update(folder("houses", path=SHORT + "2", version=None))
    ml.data.create_or_update(folder("other", version=None))

    assert sorted(d.version for d in ml.data.list(name="houses")) == ["1", "2"]
    assert ml.data.get("houses", label="latest").version == "2"
    assert ml.data.get("other", label="latest").version == "1"
    assert sorted(d.name for d in ml.data.list()) == ["houses", "other"]


def test_latest_is_the_version_created_last(ml: Any) -> None:
    ml.data.create_or_update(folder("houses", version="7"))
    ml.data.create_or_update(folder("houses", path=SHORT + "2", version="3"))

    assert ml.data.get("houses", label="latest").version == "3"
    ml.data.create_or_update(folder("houses", path=SHORT + "3", version=None))
    assert sorted(d.version for d in ml.data.list(name="houses")) == ["3", "7", "8"]


def test_concurrent_auto_versioned_creates_all_land(ml: Any, emulator: Emulator) -> None:
    """Clients read the same nextVersion; the service answers the losers 409, on which
    azure-ai-ml reads the container again and takes the next number. It tries three times
    (MAX_AUTOINCREMENT_ATTEMPTS): three racing clients all land (each round one wins), eight
    would not, on the service as on the emulator."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    # they start together (a barrier, not the scheduler's whim on a loaded machine), and each
    # answer takes 100 ms, so all of them read the container before the first PUT lands
    emulator.set_latency(100)
    start = threading.Barrier(3)

    def create(i: int) -> Any:
        start.wait(timeout=60)
        return ml.data.create_or_update(folder("houses", SHORT + str(i), None))

    with ThreadPoolExecutor(3) as pool:
        made = list(pool.map(create, range(3)))

    assert sorted(int(d.version) for d in made) == [1, 2, 3]
    assert emulator.stats()["statuses"].get(409, 0) >= 1
    assert 400 not in emulator.stats()["statuses"]


def test_archived_versions_leave_the_active_list(ml: Any) -> None:
    ml.data.create_or_update(folder("houses"))
    ml.data.create_or_update(folder("houses", path=SHORT + "2", version="2"))

    ml.data.archive("houses", version="1")

    assert [d.version for d in ml.data.list(name="houses")] == ["2"]
    ml.data.restore("houses", version="1")
    assert sorted(d.version for d in ml.data.list(name="houses")) == ["1", "2"]


def test_paths_are_immutable_metadata_is_not(ml: Any, emulator: Emulator) -> None:
    from azure.core.exceptions import HttpResponseError

    ml.data.create_or_update(folder("houses"))
    ml.data.create_or_update(folder("houses", description="now described"))
    with pytest.raises(HttpResponseError) as raised:
        ml.data.create_or_update(folder("houses", path=SHORT + "_moved"))

    assert str(raised.value).startswith("(UserError) Asset paths cannot be updated.")
    assert ml.data.get("houses", version="1").description == "now described"
    local = LocalWorkspace(emulator.root)
    try:
        (asset,) = local.list_assets(["houses"])
    finally:
        local.close()
    assert [(v.version, v.path) for v in asset.versions] == [("1", SHORT)]


def test_an_update_moves_last_modified_and_names_who(emulator: Emulator) -> None:
    from tests.emulator.conftest import call

    path = "/data/houses/versions/1?api-version=2023-04-01-preview"
    body = {"properties": {"dataType": "uri_file", "dataUri": SHORT + "/a.csv"}}
    created = call(emulator, "PUT", path, body).body["systemData"]
    body["properties"]["description"] = "described"
    updated = call(emulator, "PUT", path, body).body["systemData"]

    assert "lastModifiedBy" not in created  # as recorded: a version never updated has none
    assert updated["createdAt"] == created["createdAt"]
    assert updated["lastModifiedAt"] > created["lastModifiedAt"]
    assert {"lastModifiedBy", "lastModifiedByType"} <= updated.keys()


def test_fields_reconciler_does_not_model_are_kept(emulator: Emulator) -> None:
    from tests.emulator.conftest import call

    kept = {
        "autoDeleteSetting": {"condition": "createdGreaterThan", "value": "30d"},
        "referencedUris": ["./part.csv"],
    }
    body = {"properties": {"dataType": "mltable", "dataUri": SHORT, **kept}}
    call(emulator, "PUT", "/data/t/versions/1?api-version=2023-04-01-preview", body)

    got = call(emulator, "GET", "/data/t/versions/1?api-version=2023-04-01-preview").body
    assert {k: got["properties"][k] for k in kept} == kept


def test_an_unknown_data_type_is_a_user_error(emulator: Emulator) -> None:
    from tests.emulator.conftest import call

    body = {"properties": {"dataType": "bogus", "dataUri": SHORT}}
    reply = call(emulator, "PUT", "/data/t/versions/1?api-version=2023-04-01-preview", body)

    assert reply.status == 400
    assert "bogus" in reply.body["error"]["message"]


def test_missing_container_is_reported_by_the_sdk(ml: Any) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError):
        ml.data.get("nothing", version="1")
    with pytest.raises(Exception, match="nothing"):
        ml.data.get("nothing", label="latest")
