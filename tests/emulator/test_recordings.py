"""Fidelity against real service recordings: seeding a workspace from them, and answering in
the shapes the service answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import desired_state
from reconciler.core.essences import Kind
from reconciler.engine.planner import build_plan
from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import Emulator, seed_from_recordings
from tests.emulator.conftest import RECORDINGS, call

FILES = sorted(RECORDINGS.glob("*.json"))
SYSTEM = {"workspaceblobstore", "workspacefilestore", "workspaceartifactstore"}
SYSTEM |= {"workspaceworkingdirectory"}


def recorded(file: str, method: str, needle: str) -> dict[str, Any]:
    """The response body of the first ``method`` entry whose URI contains ``needle``."""
    entries = json.loads((RECORDINGS / file).read_text())["Entries"]
    body: dict[str, Any] = next(
        e["ResponseBody"]
        for e in entries
        if e["RequestMethod"] == method and needle in e["RequestUri"] and e["StatusCode"] < 300
    )
    return body


def test_seeding_loads_every_recorded_read(tmp_path: Path) -> None:
    counts = seed_from_recordings(tmp_path, FILES)

    local = LocalWorkspace(tmp_path)
    try:
        connections = {r.name: r for r in local.list_resources(Kind.CONNECTION)}
        datastores = {r.name: r for r in local.list_resources(Kind.DATASTORE)}
        schedules = [r.name for r in local.list_resources(Kind.SCHEDULE)]
        (asset,) = local.list_assets(["list_data_v2_test"])
    finally:
        local.close()
    assert counts["connection"] >= 2 and counts["data_version"] >= 2
    assert connections["my_snowflake_connection"].spec["type"] == "snowflake"
    assert {n for n, r in datastores.items() if r.system} == SYSTEM
    assert datastores["test_587359455061"].spec["account_name"] == "teststorageaccount"
    assert sorted((v.version, v.path) for v in asset.versions) == [
        ("1", "https://bla/"),
        ("2", "http://bla/"),
    ]
    assert schedules == ["test_851753602718"]


def test_the_sdk_reads_a_recorded_workspace(
    tmp_path: Path, make_emulator: Any, make_client: Any
) -> None:
    from azure.ai.ml._restclient.arm_ml_service.models import ScheduleListViewType
    from azure.core.exceptions import HttpResponseError

    seed_from_recordings(tmp_path / "recorded", FILES)
    ml = make_client(make_emulator(root=tmp_path / "recorded"))

    snowflake = ml.connections.get("my_snowflake_connection")
    assert snowflake.target.startswith("jdbc:snowflake://microsoft_partner")
    assert {d.name for d in ml.datastores.list()} >= SYSTEM | {"test_587359455061"}
    assert ml.datastores.get_default().name == "workspaceblobstore"
    with pytest.raises(HttpResponseError):
        ml.datastores.delete("workspacefilestore")
    assert sorted(d.version for d in ml.data.list(name="list_data_v2_test")) == ["1", "2"]
    (schedule,) = ml.schedules.list(list_view_type=ScheduleListViewType.ALL)
    assert schedule.import_data.name == "my_azuresqldb_asset"


def test_a_recorded_workspace_plans_cleanly(project: Path) -> None:
    seed_from_recordings(project / ".reconcile/local", FILES)
    desired = desired_state(project)
    workspace = LocalWorkspace(project / ".reconcile/local")
    try:
        plan = build_plan(desired, workspace)
    finally:
        workspace.close()

    actions = {c.address: c.action.value for c in plan.resource_changes}
    assert actions["connection.snowflake_globorealty"] == "create"
    assert not any(a.endswith(("test_587359455061", "my_snowflake_connection")) for a in actions)


@pytest.mark.parametrize(
    ("file", "needle", "path"),
    [
        ("connection-snowflake-crud.json", "/connections/", "/connections/{name}"),
        ("datastore-blob-crud.json", "/datastores/test_", "/datastores/{name}"),
        ("data-list.json", "/versions/1", "/data/{asset}/versions/{name}"),
        ("schedule-data-import-database.json", "/schedules/", "/schedules/{name}"),
    ],
)
def test_answers_have_the_recorded_shape(tmp_path: Path, file: str, needle: str, path: str) -> None:
    real = recorded(file, "GET", needle)
    seed_from_recordings(tmp_path, [RECORDINGS / file])
    with Emulator(tmp_path, tls=False) as emulator:
        url = path.format(name=real["name"], asset="list_data_v2_test") + "?api-version=x"
        ours = call(emulator, "GET", url).body

    assert set(real) - {"location", "tags"} <= set(ours)
    assert set(real["properties"]) <= set(ours["properties"])


def test_job_answer_has_the_recorded_shape(emulator: Emulator) -> None:
    entries = json.loads((RECORDINGS / "data-import-job.json").read_text())["Entries"]
    (put,) = [e for e in entries if e["RequestMethod"] == "PUT"]

    ours = call(emulator, "PUT", "/jobs/recorded_job?api-version=x", put["RequestBody"])
    emulator.wait_for_jobs(30)  # its connection does not exist here: it fails quickly

    real = put["ResponseBody"]
    assert (ours.status, ours.body["properties"]["status"]) == (201, "Preparing")
    assert set(real["properties"]) <= set(ours.body["properties"])
    assert set(real["properties"]["properties"]) <= set(ours.body["properties"]["properties"])
    final = call(emulator, "GET", "/jobs/recorded_job?api-version=x").body["properties"]
    assert final["status"] == "Failed"
    assert "my_azuresqldb_connection" in final["properties"]["emulator.error"]


def test_recordings_of_any_connection_category_seed(
    tmp_path: Path, make_emulator: Any, make_client: Any
) -> None:
    """``--recordings`` used to refuse a recording holding a Git or PythonFeed connection."""
    from tests.fidelity.recording import PUBLIC

    files = sorted(PUBLIC.glob("workspace/e2etests/*git_pat.json"))
    files += sorted(PUBLIC.glob("workspace/e2etests/*python_feed.json"))
    counts = seed_from_recordings(tmp_path / "recorded", files)

    assert counts["connection"] == 2
    ml = make_client(make_emulator(root=tmp_path / "recorded"))
    found = {c.name: (c.type, c.credentials.type) for c in ml.connections.list()}
    assert sorted(found.values()) == [("git", "pat"), ("python_feed", "pat")]
