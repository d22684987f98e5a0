"""The composite action (action.yml) run as another repository's step `uses: OWNER/reconciler@REF`
would run it: its own steps, from this repository's copy (github.action_path), in a checkout
whose project lives in a sub-folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.conftest import STORAGE_ACCOUNT_KEY, VARS, WORKSPACES, GitHub
from tests.workflows.harness import JobResult, Runner, run_action
from tests.workflows.scenarios import bootstrap

SECRETS = {"SNOWFLAKE_PASSWORD": "localsnow-demo", "STORAGE_ACCOUNT_KEY": STORAGE_ACCOUNT_KEY}


@pytest.fixture
def infra(github: GitHub) -> Path:
    """The project moved into `infra/` of the caller's repository."""
    root = github.repo.root
    (root / "infra").mkdir()
    shutil.move(root / "platform.yaml", root / "infra" / "platform.yaml")
    shutil.move(root / "environments", root / "infra" / "environments")
    shutil.move(root / WORKSPACES, root / "infra" / WORKSPACES)
    github.repo.commit("the project lives in infra/")
    github.repo.project = "infra"
    return root / "infra"


def runner(github: GitHub, event_name: str, event: dict[str, Any], run_id: int) -> Runner:
    github.sim.load()
    token = f"ghs_action_{run_id}"
    github.sim.state["tokens"][token] = {
        "permissions": {"contents": "read", "pull-requests": "write", "actions": "read"},
        "run": run_id,
    }
    github.sim.save()
    return Runner(
        workspace=github.repo.root,
        home=github.sim.home,
        event_name=event_name,
        event=event,
        sha=github.repo.head(),
        repository=github.sim.repository,
        run_id=run_id,
        path=[github.sim.gh_bin],
        extra_env={"FAKE_GH_STATE": str(github.sim.state_file), **github.sim.extra_env},
        token=token,
    )


def pull_request_event(github: GitHub) -> dict[str, Any]:
    repository = {"full_name": github.sim.repository}
    return {
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"sha": github.repo.head(), "repo": repository},
            "base": {"ref": "main", "repo": repository},
        },
    }


def outputs(job: JobResult) -> dict[str, str]:
    return job.step("(outputs)").outputs


def test_a_plan_in_a_sub_folder_names_its_artifact_and_comment_after_it(
    github: GitHub, infra: Path
) -> None:
    bootstrap(github)
    github.repo.edit("layer: bronze", "layer: silver", "infra/platform.yaml")
    run = runner(github, "pull_request", pull_request_event(github), 5001)
    job = run_action(
        run,
        {"command": "plan", "environment": "dev", "working-directory": "infra", "comment": "true"},
        dict(VARS),  # a pull request's plan job: variables, no secret
    )

    assert job.conclusion == "success", job.log
    assert outputs(job)["exitcode"] == "2"
    assert outputs(job)["artifact-name"] == "reconciler-plan-infra--dev"
    assert [u["name"] for u in run.uploads] == ["reconciler-plan-infra--dev"]
    (header,) = run.comments
    assert header == "reconciler-plan-infra--dev"
    body = run.comments[header]
    assert body.startswith("<!-- reconciler-plan:infra--dev -->")
    assert "### reconciler plan · `infra--dev`" in body
    assert "credentials.account_key: (sensitive, compared at apply)" in body
    folder = run.artifact_dir(5001, "reconciler-plan-infra--dev")
    assert json.loads((folder / "outcome-dev.json").read_text())["exitcode"] == 2


def test_without_an_upload_the_plan_is_still_commented(github: GitHub, infra: Path) -> None:
    run = runner(github, "pull_request", pull_request_event(github), 5002)
    inputs = {"command": "plan", "environment": "dev", "working-directory": "infra"}
    job = run_action(run, {**inputs, "upload-artifact": "false", "comment": "true"}, dict(VARS))

    assert job.conclusion == "success", job.log
    assert run.uploads == []
    assert "**Plan: " in run.comments["reconciler-plan-infra--dev"]


def test_a_plan_on_a_pull_request_posts_no_comment_unless_asked(
    github: GitHub, infra: Path
) -> None:
    """The comment needs pull-requests: write, which a job running a pull request's code
    should not hold: off by default (the reusable workflows' review job comments instead)."""
    run = runner(github, "pull_request", pull_request_event(github), 5004)
    inputs = {"command": "plan", "environment": "dev", "working-directory": "infra"}

    job = run_action(run, inputs, dict(VARS))

    assert job.conclusion == "success", job.log
    assert run.comments == {}
    assert Path(outputs(job)["markdown"]).is_file()  # the text is there for another job to post


def test_plan_then_apply_the_saved_plan_from_a_sub_folder(github: GitHub, infra: Path) -> None:
    push = {"ref": "refs/heads/main", "after": github.repo.head()}
    run = runner(github, "push", push, 5003)
    inputs = {"environment": "dev", "working-directory": "infra", "upload-artifact": "false"}
    env = {**VARS, **SECRETS}  # off a pull request the plan compares secrets
    plan = run_action(run, {**inputs, "command": "plan"}, env)
    assert outputs(plan)["exitcode"] == "2"
    assert "Planned without secrets" not in Path(outputs(plan)["markdown"]).read_text()

    saved = outputs(plan)["plan-file"]
    apply = run_action(run, {**inputs, "command": "apply", "plan-file": saved}, env)
    assert apply.conclusion == "success", apply.log
    assert outputs(apply)["exitcode"] == "0"
    assert "Apply complete: 3 applied" in apply.summary
    assert github.repo.pending("dev") == "No changes. The workspace matches the desired state."


def test_an_unknown_command_fails(github: GitHub) -> None:
    run = runner(github, "push", {}, 5004)
    job = run_action(run, {"command": "destroy", "environment": "dev"}, {})
    assert job.conclusion == "failure"
    assert "input 'command' must be 'plan' or 'apply'" in job.steps[0].stdout


def test_apply_needs_the_plan_file_it_applies(github: GitHub) -> None:
    run = runner(github, "push", {}, 5005)
    job = run_action(run, {"command": "apply", "environment": "dev"}, {})
    assert job.conclusion == "failure"
    assert "input 'plan-file' is required to apply" in job.step("apply").stdout
