"""The composite action (action.yml) run as another repository's step `uses: OWNER/reconciler@REF`
would run it: its own steps, from this repository's copy (github.action_path)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.workflows.conftest import SECRETS, VARS, GitHub, Project
from tests.workflows.harness import JobResult

# What a caller passes as the step's `env:` (its vars and secrets).
CALLER_ENV = {
    "SNOWFLAKE_ACCOUNT": VARS["SNOWFLAKE_ACCOUNT"],
    "SNOWFLAKE_USER": VARS["SNOWFLAKE_USER"],
    "STORAGE_ACCOUNT": VARS["STORAGE_ACCOUNT"],
    **SECRETS,
}


def outputs(job: JobResult) -> dict[str, str]:
    return job.step("(outputs)").outputs


def test_plan_on_a_pull_request_comments_uploads_and_sets_outputs(
    github: GitHub, project: Project
) -> None:
    runner = github.pull_request_runner(7, project.commit("pull request #7"), 5001)
    job = github.run_action(runner, {"command": "plan", "environment": "local"}, CALLER_ENV)

    assert job.conclusion == "success", job.log
    out = outputs(job)
    assert out["exitcode"] == "2" and out["has-changes"] == "true"
    assert "**Plan: 3 to add" in Path(out["markdown"]).read_text()
    assert Path(out["plan-file"]).name == "plan-local.json"
    assert "**Plan: 3 to add" in github.comments["reconciler-plan-local"]
    assert runner.uploads[0]["name"] == "plan-local"
    assert "**Plan: 3 to add" in job.summary


def test_plan_with_fail_on_changes_detects_drift_and_posts_no_comment_off_a_pull_request(
    github: GitHub, project: Project
) -> None:
    runner = github.push_runner(project.commit("main"), 5002)
    job = github.run_action(
        runner,
        {"command": "plan", "environment": "local", "fail-on-changes": "true"},
        CALLER_ENV,
    )

    assert job.conclusion == "failure"
    assert outputs(job)["exitcode"] == "2"
    assert github.comments == {}
    assert "**Drift in `local`**" in job.summary


def test_plan_then_apply_the_saved_plan_from_a_subfolder(github: GitHub, project: Project) -> None:
    infra = project.root / "infra"
    infra.mkdir()
    project.without_imports()
    shutil.move(project.platform, infra / "platform.yaml")
    shutil.move(project.root / "environments", infra / "environments")
    runner = github.push_runner(project.commit("main"), 5003)
    inputs = {"environment": "local", "working-directory": "infra", "upload-artifact": "false"}
    plan = github.run_action(runner, {**inputs, "command": "plan"}, CALLER_ENV)
    assert outputs(plan)["exitcode"] == "2" and runner.uploads == []

    saved = outputs(plan)["plan-file"]
    apply = github.run_action(
        runner, {**inputs, "command": "apply", "plan-file": saved}, CALLER_ENV
    )
    assert apply.conclusion == "success", apply.log
    assert apply.step("find").outcome == "skipped"
    assert outputs(apply)["exitcode"] == "0"
    assert "Apply complete: 2 applied" in Path(outputs(apply)["markdown"]).read_text()
    assert (infra / ".reconcile/local").is_dir()


def test_apply_finds_the_plan_reviewed_on_the_merged_pull_request(
    github: GitHub, project: Project
) -> None:
    project.without_imports()
    head = project.commit("pull request #8")
    pr = github.pull_request_runner(8, head, 5004)
    assert github.run_action(pr, {"environment": "local"}, CALLER_ENV).conclusion == "success"
    github.record_plan_run(5004, head)
    merge = project.commit("Merge pull request #8")
    github.record_merge(8, head, merge)

    push = github.push_runner(merge, 5005)
    job = github.run_action(push, {"command": "apply", "environment": "local"}, CALLER_ENV)
    assert job.conclusion == "success", job.log
    assert "Plan reviewed on pull request #8" in job.summary
    assert outputs(job)["exitcode"] == "0"


def test_an_unknown_command_fails(github: GitHub, project: Project) -> None:
    runner = github.push_runner(project.commit("main"), 5006)
    job = github.run_action(runner, {"command": "destroy", "environment": "local"}, CALLER_ENV)
    assert job.conclusion == "failure"
    assert "input 'command' must be 'plan' or 'apply'" in job.steps[0].stdout
