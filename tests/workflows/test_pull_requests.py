"""A pull request's plan (reconciler.yml -> reconciler-plan.yml), its review from main
(review.yml -> reconciler-review.yml) and its opt-in source check, on the simulated GitHub:
what a pull request's author and reviewer see, and what the jobs that run its code hold."""

from __future__ import annotations

import json
import re

from tests.workflows.conftest import GitHub, git
from tests.workflows.engine import Job, WorkflowRun
from tests.workflows.scenarios import (
    FLOW,
    REVIEW,
    add_datastore,
    artifact_files,
    bootstrap,
    comment,
    edit,
)

NO_CHANGES = "No changes. The workspace matches the desired state."
SECRET_NAMES = ("SNOWFLAKE_PASSWORD", "STORAGE_ACCOUNT_KEY")


def legs(run: WorkflowRun) -> list[Job]:
    """The plan jobs of a pull request's run (``plan / plan (<env>)``)."""
    return [j for j in run.jobs if j.name.startswith("plan / plan (")]


def held_secrets(job: Job) -> set[str]:
    """Secret names in any step's environment, the job's secrets JSON included."""
    assert job.job is not None
    names = set()
    for step in job.job.steps:
        names |= {name for name in step.env if name in SECRET_NAMES and step.env[name]}
        handed = json.loads(step.env.get("RECONCILE_SECRETS") or "{}")
        names |= {name for name, value in handed.items() if name in SECRET_NAMES and value}
    return names


def reviews_of(github: GitHub, run: WorkflowRun) -> list[WorkflowRun]:
    return [r for r in github.sim.runs_of(REVIEW) if r.event["workflow_run"]["id"] == run.id]


def test_a_pull_request_is_planned_without_secrets_and_commented_by_code_it_cannot_change(
    github: GitHub,
) -> None:
    bootstrap(github)
    (plan,) = github.open_pull(5, edit("layer: bronze", "layer: silver"))
    github.sim.settle()

    assert [j.name for j in legs(plan)] == ["plan / plan (dev)", "plan / plan (prod)"]
    for job in legs(plan):
        assert job.result == "success", job.log
        assert job.environment in ("dev-plan", "prod-plan")
        assert job.permissions == {"contents": "read", "id-token": "write"}
        assert held_secrets(job) == set()
    assert plan.job("plan / tool").environment is None  # its token is never federated

    dev = comment(github, 5, "<!-- reconciler-plan:dev -->")
    assert "**Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.**" in dev
    assert 'tags.layer: "bronze" → "silver"' in dev
    assert "credentials.account_key: (sensitive, compared at apply)" in dev
    assert f"/actions/runs/{plan.id})" in dev  # the plan run is linked
    assert "plan file: [`reconciler-plan-dev`](" in dev
    assert f"commit `{github.sim.pull(5)['head']['sha'][:12]}`" in dev  # from GitHub's payload
    assert "<!-- reconciler-plan:prod -->" in comment(github, 5, "<!-- reconciler-plan:prod -->")

    (poster,) = reviews_of(github, plan)
    job = poster.job("review / review")
    assert job.permissions == {"actions": "read", "contents": "read", "pull-requests": "write"}
    assert job.job is not None and job.job.step("review").outcome == "success"
    assert poster.sha == github.repo.head("main")  # it checked out main, not the pull request
    assert result_of(poster, "review / sources / check") == "skipped"  # no label: no check


def test_a_new_push_updates_the_one_comment_per_environment(github: GitHub) -> None:
    bootstrap(github)
    github.open_pull(6, edit("layer: bronze", "layer: silver"))
    github.sim.settle()
    git(github.repo.root, "checkout", "-q", "pr-6")
    github.repo.edit("layer: silver", "layer: gold")
    head = github.repo.commit("second push")
    git(github.repo.root, "checkout", "-q", "main")
    github.sim.add_pull(6, head, "pr-6")
    github.sim.pull_request(6, "synchronize")
    github.sim.settle()

    dev = [c for c in github.sim.comments_on(6) if "<!-- reconciler-plan:dev -->" in c]
    assert len(dev) == 1
    assert 'tags.layer: "bronze" → "gold"' in dev[0]


def test_a_fork_pull_request_gets_a_clear_notice_and_holds_nothing(github: GitHub) -> None:
    bootstrap(github)
    (plan,) = github.open_pull(7, add_datastore("curated"), fork=True)
    github.sim.settle()

    tool = plan.job("plan / tool")
    assert tool.result == "success", tool.log
    assert tool.permissions == {"contents": "read"}  # no OIDC token for a fork
    assert "No OIDC token (a fork's pull request?): nothing to plan." in tool.log
    assert all(j.result == "skipped" for j in plan.jobs if j is not tool)
    notice = comment(github, 7, "<!-- reconciler-plan:dev -->")
    assert "not planned (fork)" in notice
    assert "GitHub gives a fork's workflows no OIDC token" in notice
    assert "applies it after `dev`'s approval gate" in notice

    github.merge(7)  # reviewed as code, never planned: main's plan goes behind the gate
    github.sim.settle()
    apply = github.sim.runs_of(FLOW)[-1]
    shown = stage(apply, "plan", "dev").summary
    assert "pull request #7 comes from a fork, so it could not be planned" in shown
    assert github.repo.pending("dev") == NO_CHANGES  # dev's gate is open
    (gate,) = github.sim.waiting()
    assert gate.name == "apply / stage-2 (prod) / apply (prod)"
    assert "datastore.curated" in stage(apply, "plan", "prod").summary


def test_an_invalid_desired_state_annotates_the_line_and_the_comment_shows_where(
    github: GitHub,
) -> None:
    (plan,) = github.open_pull(8, edit("    type: azure_blob\n", "    type: azure_blobb\n"))
    github.sim.settle()

    job = plan.job("plan / plan (dev)")
    assert job.result == "failure"
    assert job.job is not None
    step = job.job.step("plan")
    annotation = re.search(
        r"^::error file=platform\.yaml,line=(\d+),col=(\d+),title=reconciler::"
        r"datastores\.rawdata\.type: unknown type",
        step.stdout,
        re.M,
    )
    assert annotation, step.stdout
    # a workflow command, not text inside a ::stop-commands:: block
    before = step.stdout[: annotation.start()]
    assert before.count("::stop-commands::") == before.count("::reconciler-")
    line = int(annotation.group(1))
    text = (github.repo.root / "platform.yaml").read_text().splitlines()[line - 1]
    assert "type:" in text  # main's line: the pull request's is the same line
    said = comment(github, 8, "<!-- reconciler-plan:dev -->")
    assert "### reconciler plan · `dev` · failed" in said
    assert "datastores.rawdata.type: unknown type" in said
    assert "::error" not in said


def test_the_merge_queue_plans_what_would_land_and_posts_nothing(github: GitHub) -> None:
    bootstrap(github)
    github.open_pull(9, edit("layer: bronze", "layer: silver"))
    github.sim.settle()
    comments_before = len(github.sim.comments_on(9))
    head = github.sim.test_merge(github.sim.pull(9)["head"]["sha"])
    (plan,) = github.sim.merge_group(head, github.repo.head("main"), 9)
    github.sim.settle()

    assert plan.workflow == FLOW and plan.conclusion == "success"
    assert [j.name for j in legs(plan)] == ["plan / plan (dev)", "plan / plan (prod)"]
    assert len(github.sim.comments_on(9)) == comments_before
    (review,) = reviews_of(github, plan)
    assert result_of(review, "review / review") == "skipped"


def test_a_pull_request_that_changes_no_desired_state_plans_no_changes(github: GitHub) -> None:
    bootstrap(github)
    (plan,) = github.open_pull(10, lambda repo: repo.write("README.md", "# words\n"))
    github.sim.settle()
    assert plan.conclusion == "success"  # the required checks pass
    assert NO_CHANGES in comment(github, 10, "<!-- reconciler-plan:dev -->")


def test_a_re_run_replaces_its_own_plan_artifact(github: GitHub) -> None:
    bootstrap(github)
    (plan,) = github.open_pull(12, edit("layer: bronze", "layer: silver"))
    github.sim.settle()
    github.sim.rerun(plan, failed_only=False)
    github.sim.settle()
    assert plan.attempt == 2 and plan.conclusion == "success"
    files = artifact_files(github, plan, "reconciler-plan-dev")
    assert json.loads(files["outcome-dev.json"])["exitcode"] == 2
    assert {"plan-dev.json", "outcome-dev.json", "errors-dev.txt"} <= set(files)
    assert len(reviews_of(github, plan)) == 2  # each attempt's plan is reviewed and recorded


def test_source_checks_run_only_when_asked_and_only_after_a_reviewer_approves(
    github: GitHub,
) -> None:
    bootstrap(github)
    change = edit(
        "query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW",
        "query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.NO_SUCH_TABLE",
    )
    (plan,) = github.open_pull(13, change, labels=["reconciler:check-sources"])
    github.sim.settle()
    (review,) = reviews_of(github, plan)
    waiting = github.sim.waiting()
    assert sorted(j.environment or "" for j in waiting) == ["dev-sources", "prod-sources"]
    assert all(j.run is review for j in waiting)  # main's code, not the pull request's run
    assert github.sim.pull(13)["labels"] == []  # one label, one checked head
    for job in waiting:
        github.sim.approve(job)
    github.sim.settle()

    job = review.job("review / sources / check sources (dev)")
    assert job.result == "failure"
    assert held_secrets(job) == {"SNOWFLAKE_PASSWORD"}  # the sources environment's only one
    said = comment(github, 13, "<!-- reconciler-sources:dev -->")
    assert "### reconciler source check · `dev` · failed" in said
    assert "NO_SUCH_TABLE" in said


def result_of(run: WorkflowRun, name: str) -> str:
    """A job's result by name or key (a job whose workflow never started: skipped)."""
    try:
        return run.job(name).result
    except KeyError:
        return "skipped"


def stage(run: WorkflowRun, what: str, env: str) -> Job:
    from tests.workflows.scenarios import stage_job

    found = stage_job(run, what, env)
    assert found is not None, [j.name for j in run.jobs]
    return found
