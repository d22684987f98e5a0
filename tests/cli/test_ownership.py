"""Data assets are owned as connections and datastores are (issue 21, item 2), and every
lifecycle field is recorded (issue 17, item 4): a protection added later is written on the
resource, outlives its line and another owner's adoption, and only an explicit
``prevent_destroy: false``, shown in the plan, lifts it."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.core.essences import Kind
from reconciler.providers.local.provider import LocalWorkspace
from tests.cli.test_immutable_data import BASE, declare, line_of, seed, write
from tests.conftest import RunCli

HOUSES = "azureml://datastores/rawdata/paths/raw_house_data"
PROTECTED = "container_name: rawdata\n    lifecycle: {prevent_destroy: true}"
LIFTED = "container_name: rawdata\n    lifecycle: {prevent_destroy: false}"
ADOPTED = "container_name: rawdata\n    lifecycle: {adopt: true}"


def as_project(project: Path, name: str, text: str) -> None:
    """The same workspace, declared by project ``name`` (owner ``<name>/local``)."""
    (project / "platform.yaml").write_text(f"project: {name}\n{text}")


def adopt_connection(text: str) -> str:
    password = "      password: ${env:SNOWFLAKE_PASSWORD}\n"
    return text.replace(password, password + "    lifecycle: {adopt: true}\n")


def versions(project: Path, asset: str) -> list[str]:
    local = LocalWorkspace(project / ".reconcile/local")
    try:
        return sorted(v for v, _, _ in local.store.list_versions(asset))
    finally:
        local.close()


# --- data assets are owned --------------------------------------------------------------------


def test_another_project_cannot_add_versions_to_our_data_asset(
    project: Path, invoke: RunCli
) -> None:
    """The defect: a second project declaring our asset's name added versions to it, and the
    two then took turns (v3, v4, ...)."""
    as_project(project, "billing", BASE)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    seed(project, "raw_house_data", HOUSES, "sales/local")  # the sales project's asset

    as_project(
        project, "billing", BASE + "imports:\n" + declare("raw_house_data", HOUSES, "SELECT X")
    )
    refused = invoke("plan", cwd=project)

    assert refused.code == 1, refused.output
    assert "Error: plan refused (1 problem):" in refused.stderr  # the desired state is valid
    assert "invalid desired state" not in refused.stderr
    line = line_of(project, "  raw_house_data:")
    assert (
        f"platform.yaml:{line}:3: imports.raw_house_data: data asset raw_house_data exists and "
        "is managed by reconciler for sales/local (version 1); this plan would add version 2 "
        "to it"
    ) in refused.stderr
    assert "hint: to take it over, set lifecycle: {adopt: true} on it" in refused.stderr
    assert invoke("apply", "--auto-approve", cwd=project).code == 1
    assert versions(project, "raw_house_data") == ["1"]

    # the same definition is no better: it is another project's asset, not this one's
    as_project(project, "billing", BASE + "imports:\n" + declare("raw_house_data", HOUSES))
    same = invoke("plan", cwd=project)
    assert same.code == 1 and "this plan would manage it as this project's" in same.stderr


def test_taking_a_data_asset_over_needs_adopt_and_then_it_is_yours_alone(
    project: Path, invoke: RunCli
) -> None:
    as_project(project, "billing", BASE)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    seed(project, "raw_house_data", HOUSES, "sales/local")  # the sales project's asset
    adopting = declare("raw_house_data", HOUSES) + "    lifecycle: {adopt: true}\n"
    as_project(project, "billing", BASE + "imports:\n" + adopting)

    plan = invoke("plan", cwd=project)
    assert plan.code == 0, plan.output
    assert "~ import.raw_house_data  update (take over: lifecycle.adopt)" in plan.stdout
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0

    # the first project no longer owns it: no turn-taking
    as_project(
        project, "sales", BASE + "imports:\n" + declare("raw_house_data", HOUSES, "SELECT Y")
    )
    back = invoke("plan", cwd=project)
    assert back.code == 1
    assert "is managed by reconciler for billing/local (version 1)" in back.stderr
    assert versions(project, "raw_house_data") == ["1"]


def test_a_hand_made_data_asset_is_adopted_only_when_it_matches(
    project: Path, invoke: RunCli
) -> None:
    as_project(project, "sales", BASE)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    seed(project, "raw_house_data", HOUSES, owner=None)  # imported by hand: no tags

    as_project(
        project, "sales", BASE + "imports:\n" + declare("raw_house_data", HOUSES, "SELECT Z")
    )
    changed = invoke("plan", cwd=project)
    assert changed.code == 1
    assert "exists and is not managed by reconciler (version 1); this plan would add" in (
        changed.stderr
    )

    as_project(project, "sales", BASE + "imports:\n" + declare("raw_house_data", HOUSES))
    same = invoke("plan", cwd=project)
    assert same.code == 0, same.output
    assert "~ import.raw_house_data  update (adopt: not yet managed by reconciler)" in same.stdout
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
    as_project(
        project, "sales", BASE + "imports:\n" + declare("raw_house_data", HOUSES, "SELECT Z")
    )
    assert "+ import.raw_house_data  materialize version 2" in invoke("plan", cwd=project).stdout


def test_a_schedules_bare_version_leaves_the_asset_ours(project: Path, invoke: RunCli) -> None:
    """A schedule's run registers its version without reconciler's tags (as Azure ML does):
    the owner stays the one the latest tagged version names."""
    as_project(project, "billing", BASE)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    seed(project, "raw_house_data", HOUSES, "billing/local")
    seed(project, "raw_house_data", HOUSES, owner=None, version="2")  # the schedule's run
    as_project(
        project, "billing", BASE + "imports:\n" + declare("raw_house_data", HOUSES, "SELECT Z")
    )
    plan = invoke("plan", cwd=project)
    assert plan.code == 0, plan.output
    assert "+ import.raw_house_data  materialize version 3" in plan.stdout


# --- every lifecycle field recorded -----------------------------------------------------------


def test_a_protection_added_later_is_recorded_and_outlives_its_line(
    project: Path, invoke: RunCli
) -> None:
    """The defect: prevent_destroy added to an existing resource planned "unchanged", was
    never recorded, and removing the resource later planned a delete."""
    (project / "platform.yaml").write_text(BASE)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    (project / "platform.yaml").write_text(BASE.replace("container_name: rawdata", PROTECTED))

    plan = invoke("plan", "--out", "reviewed.json", cwd=project)
    assert plan.code == 0, plan.output
    assert "~ datastore.rawdata  update\n      lifecycle.prevent_destroy: false → true" in (
        plan.stdout
    )
    applied = invoke("apply", "reviewed.json", "--auto-approve", cwd=project)  # as reviewed
    assert applied.code == 0, applied.output
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0

    (project / "platform.yaml").write_text(BASE)  # the line removed: the protection stays
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
    (project / "platform.yaml").write_text(BASE[: BASE.index("datastores:")])
    pruned = invoke("apply", "--auto-approve", "--prune", cwd=project)
    assert pruned.code == 1
    assert "datastore.rawdata is protected by lifecycle.prevent_destroy" in pruned.stderr

    (project / "platform.yaml").write_text(BASE.replace("container_name: rawdata", LIFTED))
    lifted = invoke("plan", cwd=project)
    assert "lifecycle.prevent_destroy: true → false" in lifted.stdout
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    (project / "platform.yaml").write_text(BASE[: BASE.index("datastores:")])
    assert invoke("apply", "--auto-approve", "--prune", cwd=project).code == 0
    local = LocalWorkspace(project / ".reconcile/local")
    assert "rawdata" not in {r.name for r in local.list_resources(Kind.DATASTORE)}
    local.close()


def test_a_recorded_protection_survives_another_projects_adoption(
    project: Path, invoke: RunCli
) -> None:
    """The defect: another project lifted a recorded prevent_destroy by adopting, then pruned."""
    as_project(project, "sales", BASE.replace("container_name: rawdata", PROTECTED))
    assert invoke("apply", "--auto-approve", cwd=project).code == 0

    as_project(
        project, "billing", adopt_connection(BASE.replace("container_name: rawdata", ADOPTED))
    )
    adopted = invoke("apply", "--auto-approve", cwd=project)
    assert adopted.code == 0, adopted.output
    assert "lifecycle.prevent_destroy" not in adopted.stdout  # not lifted: not shown
    as_project(project, "billing", BASE[: BASE.index("datastores:")])
    pruned = invoke("apply", "--auto-approve", "--prune", cwd=project)
    assert pruned.code == 1
    assert "datastore.rawdata is protected by lifecycle.prevent_destroy" in pruned.stderr

    as_project(project, "billing", BASE.replace("container_name: rawdata", LIFTED))
    lifted = invoke("plan", cwd=project)
    assert "lifecycle.prevent_destroy: true → false" in lifted.stdout
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    as_project(project, "billing", BASE[: BASE.index("datastores:")])
    assert invoke("apply", "--auto-approve", "--prune", cwd=project).code == 0


def test_every_kind_records_its_protection(project: Path, invoke: RunCli) -> None:
    owner_protected = "    lifecycle: {prevent_destroy: true}\n"
    scheduled = (
        declare("raw_house_data", HOUSES)
        + "    schedule:\n      trigger: {type: cron, expression: '0 3 * * *'}\n"
    )
    write(project, scheduled)
    owner = "default/local"
    assert invoke("apply", "--auto-approve", cwd=project).code in (0, 3)  # import unreachable
    seed(project, "raw_house_data", HOUSES, owner)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0

    text = (project / "platform.yaml").read_text()
    password = "      password: ${env:SNOWFLAKE_PASSWORD}\n"
    text = text.replace(password, password + owner_protected)
    text = text.replace("container_name: rawdata", PROTECTED)
    text = text.replace(f"    path: {HOUSES}\n", f"    path: {HOUSES}\n" + owner_protected)
    (project / "platform.yaml").write_text(text)

    plan = invoke("plan", "--format", "json", cwd=project)
    assert plan.code == 0, plan.output
    changes = {c["address"]: c for c in json.loads(plan.stdout)["resource_changes"]}
    for address in (
        "connection.snowflake_globorealty",
        "datastore.rawdata",
        "import.raw_house_data",
        "schedule.raw_house_data-schedule",
    ):
        change = changes[address]
        assert change["action"] == "update", (address, change)
        assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [
            ("lifecycle.prevent_destroy", False, True)
        ], address
        assert change["prevent_destroy"] is True
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
    write(project, scheduled)  # every line removed: every protection stays
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
