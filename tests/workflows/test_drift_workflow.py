"""drift.yml's own steps: drift (exit code 2) fails the job and the summary shows what drifted."""

from __future__ import annotations

from tests.workflows.conftest import GitHub, Project
from tests.workflows.harness import JobResult


def run_drift(github: GitHub, project: Project) -> JobResult:
    runner = github.runner("schedule", {"schedule": "17 5 * * *"}, project.commit("main"), 4001)
    return github.run(runner, "drift.yml", "drift", {"environment": "local"})


def test_drift_fails_the_job_and_the_summary_shows_what_drifted(
    github: GitHub, project: Project
) -> None:
    project.without_imports()
    assert project.reconcile("apply", "--env", "local", "--auto-approve").returncode == 0
    project.edit("layer: bronze", "layer: gold")  # main no longer matches the workspace
    job = run_drift(github, project)

    assert job.conclusion == "failure"
    assert job.environment == "local-plan"
    assert job.step("plan").outputs["exitcode"] == "2"
    assert "**Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.**" in job.summary
    assert '!     tags.layer: "bronze" → "gold"' in job.summary
    assert "**Drift in `local`**" in job.summary
    assert "::error title=Drift in local::" in job.steps[-1].stdout


def test_no_drift_passes(github: GitHub, project: Project) -> None:
    project.without_imports()
    assert project.reconcile("apply", "--env", "local", "--auto-approve").returncode == 0
    job = run_drift(github, project)

    assert job.conclusion == "success", job.log
    assert "No changes. The workspace matches the desired state." in job.summary
    assert "Drift" not in job.summary


def test_a_plan_error_fails_the_drift_job_too(github: GitHub, project: Project) -> None:
    project.edit("container_name: rawdata", "container_name: [rawdata]")
    job = run_drift(github, project)

    assert job.conclusion == "failure"
    assert "### reconciler plan · `local` · failed" in job.summary
    assert "platform.yaml:" in job.summary
