"""plan.yml, plan-comment.yml and check-sources.yml on the simulated GitHub: what a pull
request's author and reviewer see, and what the jobs that run the pull request's code hold."""

from __future__ import annotations

import json
import re

from tests.workflows.conftest import GitHub, git
from tests.workflows.engine import Job
from tests.workflows.scenarios import add_datastore, artifact_files, bootstrap, comment, edit

NO_CHANGES = "No changes. The workspace matches the desired state."
SECRET_NAMES = ("SNOWFLAKE_PASSWORD", "STORAGE_ACCOUNT_KEY")


def plan_jobs(github: GitHub) -> list[Job]:
    return [j for r in github.sim.runs_of("plan.yml") for j in r.jobs]


def held_secrets(job: Job) -> set[str]:
    """Secret names in any step's environment (the job's env included)."""
    assert job.job is not None
    names = set()
    for step in job.job.steps:
        names |= {name for name in step.env if name in SECRET_NAMES and step.env[name]}
    return names


def test_a_pull_request_is_planned_without_secrets_and_commented_by_code_it_cannot_change(
    github: GitHub,
) -> None:
    bootstrap(github)
    (check_sources, plan) = github.open_pull(5, edit("layer: bronze", "layer: silver"))
    github.sim.settle()

    for job in plan.jobs:
        assert job.result == "success", job.log
        assert job.environment in ("dev-plan", "prod-plan")
        assert job.permissions == {"contents": "read", "id-token": "write"}
        assert held_secrets(job) == set()

    dev = comment(github, 5, "<!-- reconciler-plan:dev -->")
    assert "**Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.**" in dev
    assert 'tags.layer: "bronze" → "silver"' in dev
    assert "credentials.account_key: (sensitive, compared at apply)" in dev
    assert f"/actions/runs/{plan.id})" in dev  # the plan run is linked
    assert "plan file: [`plan-dev`](" in dev
    assert "<!-- reconciler-plan:prod -->" in comment(github, 5, "<!-- reconciler-plan:prod -->")

    (poster,) = [
        r
        for r in github.sim.runs_of("plan-comment.yml")
        if r.event["workflow_run"]["id"] == plan.id
    ]
    job = poster.job("comment")
    assert job.permissions == {"actions": "read", "contents": "read", "pull-requests": "write"}
    assert job.job is not None and job.job.step("step0").outcome == "success"
    assert poster.sha == github.repo.head("main")  # it checked out main, not the pull request
    assert check_sources.conclusion == "success"  # no label: nothing ran


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
    (_, plan) = github.open_pull(7, add_datastore("curated"), fork=True)
    github.sim.settle()

    for job in plan.jobs:
        assert job.result == "success", job.log
        assert job.permissions == {"contents": "read"}  # no OIDC token for a fork
        assert held_secrets(job) == set()
        assert "A fork's pull request: no Azure identity, so validate only." in job.log
    notice = comment(github, 7, "<!-- reconciler-plan:dev -->")
    assert "not planned (fork)" in notice
    assert "GitHub gives a fork's workflows no secrets and no OIDC token" in notice
    assert "The desired state is valid" in notice
    assert "validated with placeholders: SNOWFLAKE_ACCOUNT SNOWFLAKE_USER STORAGE_ACCOUNT" in (
        notice
    )
    assert "applies it after `dev`'s approval gate" in notice

    github.merge(7)  # reviewed as code, never planned: main's plan goes behind the gate
    github.sim.settle()
    apply = github.sim.runs_of("apply.yml")[-1]
    assert "pull request #7 comes from a fork, so it could not be planned" in (
        apply.job("plan-dev").summary
    )
    assert github.repo.pending("dev") == NO_CHANGES  # dev's gate is open
    (gate,) = github.sim.waiting()
    assert gate.key == "apply-prod" and "datastore.curated" in apply.job("plan-prod").summary


def test_an_invalid_desired_state_annotates_the_line_and_the_comment_shows_where(
    github: GitHub,
) -> None:
    (_, plan) = github.open_pull(8, edit("    type: azure_blob\n", "    type: azure_blobb\n"))
    github.sim.settle()

    job = plan.job("plan (dev)")
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

    assert plan.workflow == "plan.yml" and plan.conclusion == "success"
    assert [j.key for j in plan.jobs] == ["plan (dev)", "plan (prod)"]
    assert "Merge queue: planning what would land on main." in plan.jobs[0].log
    assert len(github.sim.comments_on(9)) == comments_before
    assert all(
        r.job("comment").result == "skipped"
        for r in github.sim.runs_of("plan-comment.yml")
        if r.event["workflow_run"]["event"] == "merge_group"
    )


def test_a_pull_request_that_touches_neither_state_nor_tool_passes_without_a_plan(
    github: GitHub,
) -> None:
    (_, plan) = github.open_pull(10, lambda repo: repo.write("README.md", "# words\n"))
    github.sim.settle()
    assert plan.conclusion == "success"
    assert all(j.outputs == {} for j in plan.jobs)
    assert all(
        j.job is not None and j.job.step("changes").outputs == {"relevant": "false"}
        for j in plan.jobs
    )
    assert github.sim.comments_on(10) == []


def test_a_re_run_replaces_its_own_plan_artifact(github: GitHub) -> None:
    bootstrap(github)
    (_, plan) = github.open_pull(12, edit("layer: bronze", "layer: silver"))
    github.sim.settle()
    github.sim.rerun(plan, failed_only=False)
    github.sim.settle()
    assert plan.attempt == 2 and plan.conclusion == "success"
    files = artifact_files(github, plan, "plan-dev")
    assert json.loads(files["meta.json"])["exitcode"] == 2
    assert {"plan-dev.json", "plan-dev.md", "meta.json"} <= set(files)


def test_source_checks_run_only_when_asked_and_only_after_a_reviewer_approves(
    github: GitHub,
) -> None:
    bootstrap(github)
    change = edit(
        "query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW",
        "query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.NO_SUCH_TABLE",
    )
    (check, _) = github.open_pull(13, change, labels=["reconciler:check-sources"])
    github.sim.settle()
    waiting = github.sim.waiting()
    assert sorted(j.environment or "" for j in waiting) == ["dev-sources", "prod-sources"]
    assert all(j.run is check for j in waiting)
    for job in waiting:
        github.sim.approve(job)
    github.sim.settle()

    job = check.job("check (dev)")
    assert job.result == "failure"
    assert held_secrets(job) == {"SNOWFLAKE_PASSWORD"}  # the one credential it may reach
    said = comment(github, 13, "<!-- reconciler-check-sources:dev -->")
    assert "### reconciler source check · `dev` · failed" in said
    assert "NO_SUCH_TABLE" in said
