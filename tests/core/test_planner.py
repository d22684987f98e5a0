"""The planner and apply on the in-memory twin: what each situation plans, and that applying a
plan converges. Desired states are values (tests/core/values.py); no YAML, no disk."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from reconciler.core.desired import DesiredState
from reconciler.core.errors import ConfigError
from reconciler.core.essences import Kind
from reconciler.core.live import ImportJob, JobStatus, LiveAsset
from reconciler.core.plan import Action, Plan, Reason
from reconciler.core.tags import reconciler_tags
from reconciler.core.workspace import Workspace
from reconciler.engine import operations
from reconciler.engine.planner import build_plan
from tests.core.twin import Twin
from tests.core.values import an_import, changed, connection, datastore, example, state
from tests.views import Quiet


def apply(desired: DesiredState, twin: Workspace, prune: bool = False) -> operations.Applied:
    request = operations.ApplyRequest(prune=prune, auto_approve=True)
    return operations.apply_reviewed(desired, twin, request, Quiet())


def actions(plan: Plan) -> dict[str, str]:
    return {c.address: c.action.value for c in plan.resource_changes}


def test_an_empty_workspace_plans_every_resource_in_order() -> None:
    plan = build_plan(example(), Twin())

    assert actions(plan) == {
        "connection.snowflake": "create",
        "datastore.rawdata": "create",
        "import.raw_house_data": "materialize",
    }
    materialize = plan.resource_changes[2]
    assert (materialize.version, materialize.action_reason) == ("1", Reason.FIRST_VERSION)
    assert plan.summary.line() == "Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy."


def test_apply_converges_and_writes_in_dependency_order() -> None:
    twin = Twin()
    assert apply(example(), twin).result.ok

    assert twin.writes == [
        "put connection.snowflake",
        "put datastore.rawdata",
        "materialize raw_house_data:1",
    ]
    again = build_plan(example(), twin)
    assert again.converged
    assert set(actions(again).values()) == {"no-op"}


def test_a_changed_field_is_an_update_and_a_container_a_replace() -> None:
    twin = Twin()
    apply(example(), twin)
    desired = state(
        changed(connection(), target="jdbc:snowflake://other"),
        changed(datastore(), container_name="elsewhere"),
        an_import(),
    )

    plan = build_plan(desired, twin)

    update, replace_ = plan.resource_changes[0], plan.resource_changes[1]
    assert update.action is Action.UPDATE
    assert [(f.path, f.before, f.after) for f in update.fields] == [
        ("target", "jdbc:snowflake://acme", "jdbc:snowflake://other")
    ]
    assert replace_.action is Action.REPLACE
    assert replace_.change.replace_paths == ("container_name",)
    assert replace_.action_reason is Reason.REPLACE_CANNOT_UPDATE
    assert replace_.dependents == (
        "import.raw_house_data (imports to it)",
        "data asset raw_house_data versions 1 (stored on it)",
    )


def test_a_rotated_secret_is_a_sensitive_update_and_unknown_without_secrets() -> None:
    twin = Twin()
    apply(example(), twin)

    rotated = build_plan(example(password="pw-rotated-secret-9"), twin)
    unread = build_plan(example(secrets=False), twin)

    change = rotated.resource_changes[0]
    assert change.action is Action.UPDATE
    assert [(f.path, f.sensitive, f.unknown) for f in change.fields] == [
        ("credentials.password", True, False)
    ]
    assert "pw-rotated-secret-9" not in rotated.to_json()
    assert unread.resource_changes[0].action is Action.NOOP
    assert [f.unknown for f in unread.resource_changes[0].fields] == [True]


def test_another_projects_resource_is_refused_unless_adopted() -> None:
    twin = Twin()
    apply(example(project="other"), twin)

    with pytest.raises(ConfigError) as refused:
        build_plan(state(changed(connection(), target="jdbc:snowflake://mine")), twin)
    adopted = build_plan(
        state(changed(connection(adopt=True), target="jdbc:snowflake://mine")), twin
    )

    assert "connection.snowflake exists and is managed by reconciler for other/dev" in str(
        refused.value
    )
    change = adopted.resource_changes[0]
    assert (change.action, change.action_reason) == (Action.UPDATE, Reason.TAKE_OVER)


def test_adopting_a_matching_hand_made_resource_is_an_update_written_as_one() -> None:
    twin = Twin()
    made = connection()
    twin.put(Kind.CONNECTION, made.name, made.essence, {}, {})  # no reconciler tags

    plan = build_plan(state(connection()), twin)

    change = plan.resource_changes[0]
    assert (change.action, change.action_reason) == (Action.UPDATE, Reason.ADOPT)
    written = json.loads(plan.to_json())["resource_changes"][0]["change"]["actions"]
    assert written == ["update"]


def test_what_is_no_longer_declared_is_drift_then_pruned_unless_protected() -> None:
    twin = Twin()
    apply(state(connection(), datastore(prevent_destroy=True)), twin)

    drift = build_plan(state(connection()), twin)
    with pytest.raises(ConfigError, match=r"protected by lifecycle\.prevent_destroy"):
        build_plan(state(connection()), twin, prune=True)
    apply(state(connection(), datastore(prevent_destroy=False)), twin)
    pruned = build_plan(state(connection()), twin, prune=True)

    assert [(o.address, o.with_prune) for o in drift.orphans] == [
        ("datastore.rawdata", Action.DELETE)
    ]
    assert not drift.converged
    assert actions(pruned) == {"connection.snowflake": "no-op", "datastore.rawdata": "delete"}


def test_a_changed_query_makes_version_2_and_a_relaid_one_nothing() -> None:
    twin = Twin()
    apply(example(), twin)
    query = "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW LIMIT 10"

    new = build_plan(state(connection(), datastore(), an_import(query=query)), twin)
    relaid = "select *\n  from globorealty.real_estate.raw -- the raw table"
    same = build_plan(state(connection(), datastore(), an_import(query=relaid)), twin)

    step = new.resource_changes[2]
    assert (step.action, step.version, step.action_reason) == (
        Action.MATERIALIZE,
        "2",
        Reason.DEFINITION_CHANGED,
    )
    assert same.resource_changes[2].action is Action.NOOP


def test_a_running_import_is_waited_for_and_a_failed_one_retried() -> None:
    desired = example()
    spec = desired.resources[2].imported
    twin = Twin()
    apply(state(connection(), datastore()), twin)
    job = ImportJob("job-1", "raw_house_data", "1", spec.fingerprint, JobStatus.RUNNING)
    twin.assets["raw_house_data"] = LiveAsset("raw_house_data", jobs=(job,))

    running = build_plan(desired, twin).resource_changes[2]
    failed = replace(job, status=JobStatus.FAILED, error="SQL compilation error")
    twin.assets["raw_house_data"] = LiveAsset("raw_house_data", jobs=(failed,))
    retry = build_plan(desired, twin).resource_changes[2]

    assert (running.action, running.reason_detail) == (Action.IN_PROGRESS, "job-1")
    assert (retry.action, retry.version, retry.action_reason, retry.reason_detail) == (
        Action.MATERIALIZE,
        "1",
        Reason.RETRY_FAILED,
        "SQL compilation error",
    )


def test_a_replacement_still_running_is_not_converged() -> None:
    """`apply --replace` interrupted (or a plan run beside it): version 1 matches the
    declaration, but version 2 of the same definition is still being made."""
    desired = example()
    twin = Twin()
    apply(desired, twin)
    spec = desired.resources[2].imported
    asset = twin.assets["raw_house_data"]
    again = ImportJob("job-2", "raw_house_data", "2", spec.fingerprint, JobStatus.RUNNING)
    twin.assets["raw_house_data"] = replace(asset, jobs=(*asset.jobs, again))

    plan = build_plan(desired, twin)
    step = plan.resource_changes[2]

    assert (step.action, step.version, step.reason_detail) == (Action.IN_PROGRESS, "2", "job-2")
    assert not plan.converged


def test_an_asset_another_project_made_gets_no_version_from_us() -> None:
    twin = Twin()
    theirs = an_import().imported
    tags = reconciler_tags("other/dev", prevent_destroy=False, provenance={})
    twin.materialize("raw_house_data", "1", theirs, tags=tags)
    query = "SELECT 1"

    with pytest.raises(ConfigError) as refused:
        build_plan(state(connection(), datastore(), an_import(query=query)), twin)

    assert "data asset raw_house_data exists and is managed by reconciler for other/dev" in str(
        refused.value
    )
    assert "add version 2 to it" in str(refused.value)


def test_an_import_into_another_assets_folder_is_refused() -> None:
    twin = Twin()
    apply(example(), twin)
    inside = "azureml://datastores/rawdata/paths/raw_house_data/1/more"

    with pytest.raises(ConfigError, match="overlaps the data of data asset raw_house_data"):
        build_plan(
            state(connection(), datastore(), an_import(), an_import("other", path=inside)), twin
        )
