"""The plan as a file: a change holds one action and ``change.actions`` is written from it;
`Plan.read` refuses another format, an edited action array, and what is not a plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.core.errors import ReconcileError, StalePlanError
from reconciler.core.plan import Plan
from reconciler.engine.planner import build_plan
from tests.core.twin import Twin
from tests.core.values import example


def written(tmp_path: Path) -> tuple[Plan, Path]:
    plan = build_plan(example(), Twin())
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json())
    return plan, path


def test_a_plan_round_trips_and_its_actions_are_derived(tmp_path: Path) -> None:
    plan, path = written(tmp_path)

    data = json.loads(path.read_text())

    assert Plan.read(path) == plan
    assert [c["change"]["actions"] for c in data["resource_changes"]] == [
        ["create"],
        ["create"],
        ["create"],  # materialize is Terraform's create
    ]
    assert list(data["resource_changes"][0]["change"]) == [
        "actions",
        "before",
        "after",
        "replace_paths",
    ]


def test_an_edited_action_array_is_refused_as_edited(tmp_path: Path) -> None:
    _, path = written(tmp_path)
    data = json.loads(path.read_text())
    data["resource_changes"][1]["change"]["actions"] = ["delete", "create"]
    path.write_text(json.dumps(data))

    with pytest.raises(ReconcileError) as refused:
        Plan.read(path)

    assert str(refused.value).startswith(
        f'{path}: datastore.rawdata: change.actions ["delete", "create"] disagrees with '
        'action "create"'
    )


def test_another_format_and_other_files_are_refused(tmp_path: Path) -> None:
    _, path = written(tmp_path)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "format_version": "99"}))
    with pytest.raises(StalePlanError, match=r"has plan format 99; this reconciler reads 2\.0"):
        Plan.read(path)
    path.write_text("[1, 2]")
    with pytest.raises(ReconcileError, match="is not a reconciler plan file"):
        Plan.read(path)
