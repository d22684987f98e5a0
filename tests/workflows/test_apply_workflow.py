"""apply.yml's own steps on a simulated merge: the plan reviewed on the pull request, or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.workflows.conftest import UNREACHABLE_SNOWFLAKE, GitHub, Project
from tests.workflows.harness import JobResult, Runner

PR = 5
PLAN_RUN = 2001
SCHEDULE = """\
    schedule:
      trigger:
        type: cron
        expression: "0 3 * * *"
        time_zone: UTC
"""


def reviewed_plan(github: GitHub, project: Project, conclusion: str = "success") -> str:
    """The pull request's plan job ran (and was reviewed); returns the PR's head commit."""
    head = project.commit(f"pull request #{PR}")
    runner = github.pull_request_runner(PR, head, PLAN_RUN)
    job = github.run(runner, "plan.yml", "plan", {"environment": "local"})
    assert job.conclusion == "success", job.log
    github.record_plan_run(PLAN_RUN, head, conclusion)
    return head


def merge_and_apply(
    github: GitHub, project: Project, head: str | None, job: str = "dev"
) -> tuple[Runner, JobResult]:
    """Merge (a merge commit on main) and run apply.yml's job for the embedded workspace."""
    merge = project.commit(f"Merge pull request #{PR} from globorealty/feature")
    if head is not None:
        github.record_merge(PR, head, merge)
    runner = github.push_runner(merge, 3001)
    return runner, github.run(runner, "apply.yml", job, env={"RECONCILE_ENV": "local"})


def pending_changes(project: Project) -> str:
    plan = project.reconcile("plan", "--env", "local")
    assert plan.returncode == 0, plan.stderr
    return plan.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("job", ["dev", "prod"])
def test_the_reviewed_plan_is_applied(github: GitHub, project: Project, job: str) -> None:
    project.without_imports()
    head = reviewed_plan(github, project)
    _, result = merge_and_apply(github, project, head, job)

    assert result.conclusion == "success", result.log
    assert result.environment == job
    assert result.step("apply").outputs["exitcode"] == "0"
    assert "**Apply complete: 2 applied, 0 failed, 0 skipped.**" in result.summary
    assert "| `datastore.rawdata` | create | applied |" in result.summary
    assert f"Plan reviewed on pull request #{PR} ([plan run](" in result.summary
    assert pending_changes(project) == "No changes. The workspace matches the desired state."

    calls = github.gh_calls()
    assert calls[0][:2] == ["api", f"repos/globorealty/platform/commits/{result_sha(github)}/pulls"]
    assert f"head_sha={head}" in calls[1]
    assert calls[2][:3] == ["run", "download", str(PLAN_RUN)] and "plan-local" in calls[2]


def test_a_reviewed_plan_without_changes_applies_nothing_and_says_so(
    github: GitHub, project: Project
) -> None:
    project.without_imports()
    assert project.reconcile("apply", "--env", "local", "--auto-approve").returncode == 0
    head = reviewed_plan(github, project)
    _, result = merge_and_apply(github, project, head)

    assert result.conclusion == "success", result.log
    assert "**No changes: nothing to apply.**" in result.summary


def result_sha(github: GitHub) -> str:
    return github.runners[-1].sha


def test_a_plan_another_merge_changed_is_refused(github: GitHub, project: Project) -> None:
    project.without_imports()
    head = reviewed_plan(github, project)
    project.edit("layer: bronze", "layer: silver")  # another pull request merged first
    _, result = merge_and_apply(github, project, head)

    assert result.conclusion == "failure"
    assert result.step("apply").exitcode == 4
    assert "### reconciler apply · `local` · stale plan, not applied" in result.summary
    assert "no longer agrees with a plan made now" in result.summary
    assert "Nothing was applied" in result.summary and "A re-plan is needed" in result.summary
    assert pending_changes(project).startswith("Plan: 2 to add")  # nothing was applied


def test_a_plan_whose_changes_were_made_meanwhile_has_nothing_left_to_do(
    github: GitHub, project: Project
) -> None:
    project.without_imports()
    head = reviewed_plan(github, project)
    assert project.reconcile("apply", "--env", "local", "--auto-approve").returncode == 0
    _, result = merge_and_apply(github, project, head)

    assert result.step("apply").exitcode == 0
    assert "**No changes: nothing to apply.**" in result.summary


def test_a_direct_push_applies_nothing(github: GitHub, project: Project) -> None:
    project.without_imports()
    _, result = merge_and_apply(github, project, head=None)

    assert result.conclusion == "failure"
    assert result.step("find").outcome == "failure"
    assert result.step("login").outcome == "skipped"
    assert result.step("apply").outcome == "skipped"
    assert "### reconciler apply · `local` · not applied" in result.summary
    assert "is not the merge of a pull request" in result.summary
    assert "A re-plan is needed" in result.summary
    assert pending_changes(project).startswith("Plan: 2 to add")


def test_a_pull_request_whose_plan_run_failed_applies_nothing(
    github: GitHub, project: Project
) -> None:
    project.without_imports()
    head = reviewed_plan(github, project, conclusion="failure")
    _, result = merge_and_apply(github, project, head)

    assert result.step("apply").outcome == "skipped"
    assert f"pull request #{PR} has no successful `plan.yml` run for its last commit" in (
        result.summary
    )


def test_a_plan_file_that_reconciler_would_not_make_is_refused(
    github: GitHub, project: Project
) -> None:
    project.without_imports()
    head = reviewed_plan(github, project)
    artifact = github.home / "artifacts" / str(PLAN_RUN) / "plan-local" / "plan-local.json"
    plan = json.loads(artifact.read_text())
    for change in plan["resource_changes"]:  # an edited plan file: other steps
        if change["address"] == "datastore.rawdata":
            change["change"]["after"]["container_name"] = "elsewhere"
    artifact.write_text(json.dumps(plan, indent=2))
    _, result = merge_and_apply(github, project, head)

    assert result.step("apply").exitcode == 4
    assert "no longer agrees with a plan made now" in result.summary
    assert "Nothing was applied" in result.summary
    assert pending_changes(project).startswith("Plan: 2 to add")


def test_an_apply_that_fails_part_way_exits_3_and_lists_every_step(
    github: GitHub, project: Project
) -> None:
    project.point_snowflake_at(UNREACHABLE_SNOWFLAKE)
    project.edit("    path: azureml://", SCHEDULE + "    path: azureml://")
    head = reviewed_plan(github, project)
    _, result = merge_and_apply(github, project, head)

    assert result.conclusion == "failure"
    assert result.step("apply").exitcode == 3
    summary = result.summary
    assert "**Apply failed part-way: 2 applied, 1 failed, 1 skipped.**" in summary
    assert "| `connection.snowflake_globorealty` | create | applied |" in summary
    assert "| `import.raw_house_data` | materialize version 1: no version yet | failed: " in (
        summary
    )
    assert "could not reach Snowflake through connection 'snowflake_globorealty'" in summary
    assert "| `schedule.raw_house_data-schedule` | create | skipped: import.raw_house_data" in (
        summary
    )
    assert "Apply failed part-way (exit code 3)" in summary and "re-plan" in summary


def test_apply_jobs_differ_only_in_their_environment() -> None:
    from tests.workflows.harness import REPO_ROOT, load_yaml

    jobs = load_yaml(REPO_ROOT / ".github/workflows/apply.yml")["jobs"]
    dev, prod = jobs["dev"], jobs["prod"]
    assert prod["needs"] == "dev" and "needs" not in dev
    for job, name in ((dev, "dev"), (prod, "prod")):
        assert job["environment"] == name
        assert job["env"]["RECONCILE_ENV"] == name
        assert job["concurrency"] == {
            "group": f"reconciler-apply-{name}",
            "cancel-in-progress": False,
        }
    assert dev["steps"] == prod["steps"]
    strip = {"name", "needs", "environment", "concurrency", "env"}
    assert {k: v for k, v in dev.items() if k not in strip} == {
        k: v for k, v in prod.items() if k not in strip
    }
    assert {k: v for k, v in dev["env"].items() if k != "RECONCILE_ENV"} == {
        k: v for k, v in prod["env"].items() if k != "RECONCILE_ENV"
    }


def test_the_artifact_layout_is_what_apply_downloads(github: GitHub, project: Project) -> None:
    project.without_imports()
    reviewed_plan(github, project)
    files = sorted(
        p.name for p in Path(github.home, "artifacts", str(PLAN_RUN), "plan-local").iterdir()
    )
    assert files == ["plan-local.json", "plan-local.md"]
