"""Data asset versions through the real SDK: long URIs, auto versions, archive, immutability."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator import Emulator
from reconciler.providers.local.provider import LocalWorkspace

SHORT = "azureml://datastores/workspaceblobstore/paths/raw/houses"


def folder(name: str, path: str = SHORT, version: str | None = "1", **kwargs: Any) -> Any:
    from azure.ai.ml.entities import Data

    return Data(name=name, version=version, path=path, type="uri_folder", **kwargs)


def test_put_get_list_answer_the_long_uri_forms(ml: Any, emulator: Emulator) -> None:
    created = ml.data.create_or_update(folder("houses", description="raw", tags={"k": "v"}))

    long_form = (
        f"azureml://subscriptions/{emulator.scope.subscription_id}/resourcegroups/"
        f"{emulator.scope.resource_group}/workspaces/{emulator.scope.workspace_name}/"
        "datastores/workspaceblobstore/paths/raw/houses"
    )
    assert created.path == long_form
    got = ml.data.get("houses", version="1")
    assert (got.path, got.description, got.tags) == (long_form, "raw", {"k": "v"})
    listed = [d.path for d in ml.data.list(name="houses")]
    workspace_id = emulator.scope.workspace_id
    assert listed == [
        f"azureml://workspaces/{workspace_id}/datastores/workspaceblobstore/paths/raw/houses"
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


def test_missing_container_is_reported_by_the_sdk(ml: Any) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError):
        ml.data.get("nothing", version="1")
    with pytest.raises(Exception, match="nothing"):
        ml.data.get("nothing", label="latest")
