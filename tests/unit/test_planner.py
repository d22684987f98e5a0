"""Planning against a real embedded workspace whose live state each case sets up."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.config import desired_state
from reconciler.core.errors import ConfigError
from reconciler.core.essences import ImportEssence
from reconciler.core.plan import Action, ApplyResult, Plan, ResourceChange, StepResult
from reconciler.core.vocabulary import FINGERPRINT_PROPERTY
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import build_plan
from reconciler.providers.local.provider import LocalWorkspace
from reconciler.render.common import reason_text
from tests.conftest import PLATFORM, local_env, write_project
from tests.core.test_twin import OneFile


class Recorder:
    """An apply reporter that remembers what a user would have seen."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def step_started(self, step: ResourceChange) -> None:
        self.lines.append(f"start {step.address}")

    def step_progress(self, step: ResourceChange, rows: int) -> None:
        pass

    def step_finished(self, step: ResourceChange, result: StepResult) -> None:
        self.lines.append(f"{result.status} {step.address}")


def plan_for(project: Path, prune: bool = False) -> Plan:
    desired = desired_state(project)
    workspace = LocalWorkspace(project / ".reconcile/local", label=".reconcile/local")
    try:
        return build_plan(desired, workspace, prune=prune)
    finally:
        workspace.close()


def actions(plan: Plan) -> dict[str, str]:
    return {c.address: c.action.value for c in plan.resource_changes}


def apply_all(project: Path) -> ApplyResult:
    """Apply every step; each import lands as a completed run lands it (the embedded workspace,
    its runner writing one file instead of querying Snowflake)."""
    desired = desired_state(project)
    workspace = LocalWorkspace(project / ".reconcile/local", runner_factory=OneFile)
    try:
        plan = build_plan(desired, workspace)
        return apply_plan(plan, desired, workspace, Recorder())
    finally:
        workspace.close()


def imported(project: Path) -> ImportEssence:
    found = desired_state(project, with_secrets=False).get("import.raw_house_data")
    assert found is not None
    return found.imported


def edit(project: Path, old: str, new: str) -> None:
    path = project / "platform.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_empty_workspace_plans_every_resource(project: Path) -> None:
    plan = plan_for(project)
    assert actions(plan) == {
        "connection.snowflake_globorealty": "create",
        "datastore.rawdata": "create",
        "import.raw_house_data": "materialize",
    }
    assert plan.summary.line() == "Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy."
    materialize = plan.resource_changes[2]
    assert materialize.version == "1" and reason_text(materialize) == "no version yet"
    assert [i.address for i in plan.ignored] == [
        "datastore.workspaceartifactstore",
        "datastore.workspaceblobstore",
        "datastore.workspacefilestore",
        "datastore.workspaceworkingdirectory",
    ]


def test_a_converged_workspace_plans_no_changes(project: Path) -> None:
    assert apply_all(project).ok
    plan = plan_for(project)
    assert not plan.has_changes
    assert set(actions(plan).values()) == {"no-op"}
    assert plan.summary.line() == "No changes. The workspace matches the desired state."


def rotate_password(project: Path, password: str) -> None:
    (project / "environments/local.env").write_text(local_env(password=password))


Case = tuple[str, Callable[[Path], None], dict[str, str], list[tuple[str, object, object]]]

CASES: list[Case] = [
    (
        "tag change is an in-place update",
        lambda p: edit(
            p, "container_name: rawdata", "container_name: rawdata\n    tags: {layer: bronze}"
        ),
        {"datastore.rawdata": "update"},
        [("tags.layer", None, "bronze")],
    ),
    (
        "account change replaces the datastore",
        lambda p: edit(p, "account_name: globorealtydata", "account_name: otheraccount"),
        {"datastore.rawdata": "replace"},
        [("account_name", "globorealtydata", "otheraccount")],
    ),
    (
        "credential type change is an update with the secret marked",
        lambda p: edit(
            p, "account_key: ${env:STORAGE_ACCOUNT_KEY}", "sas_token: ${env:STORAGE_ACCOUNT_KEY}"
        ),
        {"datastore.rawdata": "update"},
        [
            ("credentials.sas_token", None, "(sensitive)"),  # no hash of it: not compared
            ("credentials.type", "account_key", "sas"),
        ],
    ),
    (
        "a changed password shows as changed without either value",
        lambda p: rotate_password(p, "rotated-pw-123"),
        {"connection.snowflake_globorealty": "update"},
        [("credentials.password", "(sensitive)", "(sensitive)")],
    ),
    (
        "a changed query materializes version 2",
        lambda p: edit(p, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE SALE_PRICE > 0"),
        {"import.raw_house_data": "materialize"},
        [
            (
                "source.query",
                "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW",
                "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW WHERE SALE_PRICE > 0",
            )
        ],
    ),
    (
        "a new version shows its new description beside the definition change",
        lambda p: edit(
            p,
            "REAL_ESTATE.RAW\n",
            "REAL_ESTATE.RAW WHERE SALE_PRICE > 0\n    description: Sold houses\n",
        ),
        {"import.raw_house_data": "materialize"},
        [
            ("description", None, "Sold houses"),
            (
                "source.query",
                "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW",
                "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW WHERE SALE_PRICE > 0",
            ),
        ],
    ),
    (
        "whitespace in a query is not a change",
        lambda p: edit(p, "query: SELECT * FROM", "query: SELECT *   FROM"),
        {},
        [],
    ),
    (
        "a new description on the asset updates its metadata only",
        lambda p: edit(
            p, "    path: azureml://", "    description: House sales\n    path: azureml://"
        ),
        {"import.raw_house_data": "update"},
        [("description", None, "House sales")],
    ),
]


@pytest.mark.parametrize(
    ("title", "change", "expected", "fields"), CASES, ids=[c[0] for c in CASES]
)
def test_a_change_to_the_desired_state_plans_the_right_action(
    project: Path,
    title: str,
    change: Callable[[Path], None],
    expected: dict[str, str],
    fields: list[tuple[str, object, object]],
) -> None:
    apply_all(project)
    change(project)
    plan = plan_for(project)
    changed = {a: act for a, act in actions(plan).items() if act != "no-op"}
    assert changed == expected
    got = [(f.path, f.before, f.after) for c in plan.resource_changes for f in c.fields]
    assert got == fields
    rendered = plan.to_json()
    assert "rotated-pw-123" not in rendered


def test_materialize_after_a_change_names_the_version_it_replaces(project: Path) -> None:
    apply_all(project)
    edit(project, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW LIMIT 10")
    plan = plan_for(project)
    step = next(c for c in plan.resource_changes if c.type == "import")
    assert step.version == "2"
    assert reason_text(step) == "definition changed since version 1"
    written = json.loads(plan.to_json())["resource_changes"]
    assert next(c for c in written if c["type"] == "import")["change"]["actions"] == ["create"]


def test_a_pinned_version_with_another_definition_is_an_error_that_says_bump(project: Path) -> None:
    edit(project, "    path: azureml://", "    version: 7\n    path: azureml://")
    apply_all(project)
    edit(project, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW LIMIT 10")
    with pytest.raises(ConfigError) as caught:
        plan_for(project)
    message = str(caught.value)
    assert "platform.yaml:" in message and "imports.raw_house_data.version" in message
    assert "version 7 already exists with a different definition" in message
    assert "bump the version" in message


def test_a_running_import_of_the_same_definition_is_in_progress_not_resubmitted(
    project: Path,
) -> None:
    spec = imported(project)
    workspace = LocalWorkspace(project / ".reconcile/local")
    body = spec.definition.to_dict() | {"properties": {FINGERPRINT_PROPERTY: spec.fingerprint}}
    workspace.store.create_job("job_running_1", "raw_house_data", "1", body, os.getpid())
    workspace.store.update_job("job_running_1", status="Running")
    workspace.close()
    step = next(c for c in plan_for(project).resource_changes if c.type == "import")
    assert step.action is Action.IN_PROGRESS
    assert reason_text(step) == "import job job_running_1 is running"


def test_an_interrupted_import_is_retried_with_the_same_version(project: Path) -> None:
    """Its process stopped renewing the job's lease (whatever its process id is now: ids are
    reused), so the job is seen as interrupted, without anything being written by reading."""
    spec = imported(project)
    workspace = LocalWorkspace(project / ".reconcile/local")
    body = spec.definition.to_dict() | {"properties": {FINGERPRINT_PROPERTY: spec.fingerprint}}
    workspace.store.create_job("job_dead_1", "raw_house_data", "1", body, pid=os.getpid())
    workspace.store.update_job("job_dead_1", status="Running", heartbeat_at=time.time() - 3600)
    workspace.close()
    step = next(c for c in plan_for(project).resource_changes if c.type == "import")
    assert step.action is Action.MATERIALIZE
    assert step.version == "1"
    assert "retry" in reason_text(step)
    assert "interrupted" in reason_text(step)
    records = LocalWorkspace(project / ".reconcile/local").store.list_jobs()
    assert [r.status for r in records] == ["Running"]  # reading recorded nothing


@pytest.mark.parametrize(("pin", "expected"), [("", "materialize"), ("    version: 1\n", "no-op")])
def test_a_newer_failed_run_of_the_same_definition_is_owed_unless_the_version_is_pinned(
    project: Path, pin: str, expected: str
) -> None:
    """Version 1 is current; a later run of the same definition (a --replace) failed. Owed:
    the next plan retries it. A pinned version is what it is: nothing to retry."""
    edit(project, "    path: azureml://", pin + "    path: azureml://")
    apply_all(project)
    spec = imported(project)
    workspace = LocalWorkspace(project / ".reconcile/local")
    body = spec.definition.to_dict() | {"properties": {FINGERPRINT_PROPERTY: spec.fingerprint}}
    workspace.store.create_job("job_failed_2", "raw_house_data", "2", body, os.getpid())
    workspace.store.update_job("job_failed_2", status="Failed", error="warehouse suspended")
    workspace.close()
    step = next(c for c in plan_for(project).resource_changes if c.type == "import")
    assert step.action.value == expected
    if expected == "materialize":
        assert step.version == "2"
        assert reason_text(step) == (
            "retry: the last import of this definition failed: warehouse suspended"
        )


def test_removed_managed_resources_are_deleted_only_with_prune(project: Path) -> None:
    apply_all(project)
    text = (project / "platform.yaml").read_text()
    start, end = text.index("datastores:"), text.index("imports:")
    (project / "platform.yaml").write_text(text[:start] + text[end:])
    edit(project, "azureml://datastores/rawdata/", "azureml://datastores/workspaceblobstore/")
    plan = plan_for(project)
    assert "datastore.rawdata" not in actions(plan)
    assert [(o.address, o.with_prune) for o in plan.orphans] == [
        ("datastore.rawdata", Action.DELETE)
    ]
    assert not plan.converged  # drift: --detailed-exitcode exits 2
    pruned = plan_for(project, prune=True)
    assert actions(pruned)["datastore.rawdata"] == "delete"
    assert pruned.resource_changes[-1].address == "datastore.rawdata"  # deletes come last
    assert "datastore.workspaceblobstore" not in actions(pruned)


def test_unmanaged_resources_are_ignored_and_same_named_ones_adopted(project: Path) -> None:
    workspace = LocalWorkspace(project / ".reconcile/local")
    workspace.store.put("datastore", "handmade", {"type": "azure_blob", "tags": {}}, {})
    spec = {
        "type": "azure_blob",
        "account_name": "globorealtydata",
        "container_name": "rawdata",
        "endpoint": "core.windows.net",
        "protocol": "https",
        "description": None,
        "credentials": {"type": "account_key"},
        "tags": {},
    }
    workspace.store.put("datastore", "rawdata", spec, {})
    workspace.close()
    plan = plan_for(project)
    by_address = {c.address: c for c in plan.resource_changes}
    assert by_address["datastore.rawdata"].action is Action.UPDATE
    assert by_address["datastore.rawdata"].action_reason == "adopt_unmanaged"
    assert ("datastore.handmade", "not managed by reconciler") in [
        (i.address, i.reason) for i in plan.ignored
    ]


def test_the_same_input_gives_a_byte_identical_plan(project: Path) -> None:
    apply_all(project)
    edit(project, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW LIMIT 5")
    assert plan_for(project).to_json() == plan_for(project).to_json()


def test_plans_round_trip_through_json(project: Path) -> None:
    plan = plan_for(project)
    assert Plan.from_json(plan.to_json()) == plan


def test_a_missing_secret_at_plan_time_names_the_variable_and_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(
        tmp_path,
        {
            "platform.yaml": PLATFORM,
            "environments/local.yaml": "workspace: {provider: local}\n",
            "environments/local.env": "",
        },
    )
    for key in ("SNOWFLAKE_PASSWORD", "STORAGE_ACCOUNT_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "acme")
    monkeypatch.setenv("SNOWFLAKE_USER", "u")
    with pytest.raises(ConfigError) as caught:
        plan_for(tmp_path)
    message = str(caught.value)
    assert (
        "platform.yaml:9:7: connections.snowflake_globorealty.credentials.password: secret "
        "variable SNOWFLAKE_PASSWORD is not set (used by connection.snowflake_globorealty)"
        in message
    )
    assert "STORAGE_ACCOUNT_KEY is not set" in message
