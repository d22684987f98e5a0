"""Names and datastore paths: a datastore URI parsed once (`DatastoreUri`), folders that hold
each other, paths that could escape their datastore or the workspace folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_core import PydanticCustomError

from reconciler.core.names import (
    CONNECTION_NAME,
    DatastoreUri,
    PathEscape,
    canonical_datastore_path,
    connection_ref,
    inside,
    overlaps,
)


@pytest.mark.parametrize(
    "written",
    [
        "azureml://datastores/rawdata/paths/raw/houses",
        "azureml://datastores/rawdata/paths/raw/houses/",
        "azureml://datastores/rawdata/paths/raw/houses/${{name}}",
        "azureml://subscriptions/s/resourcegroups/rg/workspaces/w/datastores/rawdata/paths/raw/houses",
        "azureml://workspaces/0000-id/datastores/rawdata/paths/raw/houses/",
    ],
)
def test_every_form_the_service_writes_parses_to_one_folder(written: str) -> None:
    uri = DatastoreUri.parse(written)
    assert uri == DatastoreUri("rawdata", "raw/houses")
    assert str(uri) == "azureml://datastores/rawdata/paths/raw/houses"


def test_other_uris_are_not_datastore_folders() -> None:
    assert DatastoreUri.parse("https://example.com/data") is None
    assert not overlaps("https://example.com/a", "azureml://datastores/d/paths/a")


def test_folders_overlap_by_whole_names() -> None:
    a = DatastoreUri("d", "a/b")
    assert a.overlaps(DatastoreUri("d", "a"))
    assert a.overlaps(DatastoreUri("d", "a/b/c"))
    assert not a.overlaps(DatastoreUri("d", "a/bc"))
    assert not a.overlaps(DatastoreUri("e", "a/b"))
    assert a.joined("7") == DatastoreUri("d", "a/b/7")


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("azureml://datastores/d/paths/../x", "'.' and '..' segments are not allowed"),
        ("azureml://datastores/d/paths/a%2F..", "percent-encoding is not allowed"),
        ("azureml://datastores/d/paths/a\\b", "backslashes are not allowed"),
        ("azureml://datastores/d.bad/paths/a", "the datastore name is not valid"),
    ],
)
def test_a_path_that_could_escape_its_datastore_is_refused(path: str, why: str) -> None:
    with pytest.raises(PydanticCustomError) as refused:
        canonical_datastore_path(path)
    assert why in str(refused.value)


def test_a_datastores_root_and_the_managed_datastore_are_targets_as_the_service_accepts() -> None:
    assert canonical_datastore_path("azureml://datastores/d/paths/") == (
        "azureml://datastores/d/paths/"
    )
    assert canonical_datastore_path("azureml://datastores/d/paths") == (
        "azureml://datastores/d/paths/"
    )
    managed = "azureml://datastores/workspacemanageddatastore"
    assert canonical_datastore_path(managed) == managed
    assert canonical_datastore_path(managed + "/") == managed
    # what the service registers a run's data as reads back inside it, in its own folder
    stored = DatastoreUri.parse(
        "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/"
        "workspacemanageddatastore/paths/import_raw_1_ab12/"
    )
    assert stored == DatastoreUri("workspacemanageddatastore", "import_raw_1_ab12")
    with pytest.raises(PydanticCustomError, match="a sub-path cannot be given"):
        canonical_datastore_path(managed + "/paths/mine")
    with pytest.raises(PydanticCustomError, match="expected azureml://datastores/<datastore>"):
        canonical_datastore_path("azureml://datastores/d")


def test_a_root_overlaps_everything_on_its_datastore() -> None:
    root = "azureml://datastores/rawdata/paths/"
    assert overlaps(root, "azureml://datastores/rawdata/paths/raw_house_data/3")
    assert not overlaps(root, "azureml://datastores/other/paths/raw_house_data")


def test_writes_stay_inside_their_root(tmp_path: Path) -> None:
    assert inside(tmp_path, "a", "b") == (tmp_path / "a" / "b").resolve()
    for escape in ("../x", "/etc", "a/../../x"):
        with pytest.raises(PathEscape):
            inside(tmp_path, escape)


def test_connection_names_and_references() -> None:
    assert connection_ref("azureml:snowflake_1") == "snowflake_1"
    assert CONNECTION_NAME.fullmatch("ab") is None  # three characters at least
    with pytest.raises(PydanticCustomError, match="is not a valid connection name"):
        connection_ref("azureml:-bad")


def test_a_desired_path_in_a_long_form_is_refused_it_may_name_another_workspace() -> None:
    for written in (
        "azureml://subscriptions/s/resourcegroups/rg/workspaces/other/datastores/rawdata/paths/x",
        "azureml://workspaces/0000-id/datastores/rawdata/paths/x",
    ):
        with pytest.raises(PydanticCustomError, match="this long form names a workspace") as no:
            canonical_datastore_path(written)
        assert "azureml://datastores/rawdata/paths/x" in str(no.value)
