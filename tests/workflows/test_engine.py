"""The simulated GitHub behaves as GitHub documents it, on small workflows of its own (no
reconciler): concurrency's one-pending rule, approvals that hold a group, `needs:` and job
`if:`, matrices, dispatch inputs, forks and environment branch policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflows.engine import Environment, Sim
from tests.workflows.toy import commit, make_sim, workflow


@pytest.fixture
def sim(tmp_path: Path) -> Sim:
    return make_sim(tmp_path)


DEPLOY = """\
    on: {push: {branches: [main]}}
    permissions: {}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: prod
        concurrency: {group: deploy, cancel-in-progress: false}
        steps: [{run: echo deployed}]
"""


def test_one_running_one_pending_and_a_newer_pending_cancels_the_older(sim: Sim) -> None:
    workflow(sim, "deploy.yml", DEPLOY.replace("        environment: prod\n", ""))
    runs = [sim.push(*commit(sim, f"v{i}"))[0] for i in range(4)]
    sim.settle()
    assert [r.conclusion for r in runs] == ["success", "cancelled", "cancelled", "success"]


def test_a_job_waiting_for_approval_holds_its_group(sim: Sim) -> None:
    sim.environments["prod"] = Environment("prod", reviewers=True)
    workflow(sim, "deploy.yml", DEPLOY)
    first = sim.push(*commit(sim, "v1"))[0]
    second = sim.push(*commit(sim, "v2"))[0]
    third = sim.push(*commit(sim, "v3"))[0]
    sim.settle()
    assert [j.run for j in sim.waiting()] == [first]  # the others queue behind it
    assert second.conclusion == "cancelled" and third.jobs[0].state == "pending"
    sim.approve(sim.waiting()[0])
    sim.settle()
    assert first.conclusion == "success"
    assert [j.run for j in sim.waiting()] == [third]


def test_cancel_in_progress_cancels_the_running_one(sim: Sim) -> None:
    sim.environments["prod"] = Environment("prod", reviewers=True)
    workflow(
        sim, "deploy.yml", DEPLOY.replace("cancel-in-progress: false", "cancel-in-progress: true")
    )
    first = sim.push(*commit(sim, "v1"))[0]
    sim.settle()
    second = sim.push(*commit(sim, "v2"))[0]
    sim.settle()
    assert first.conclusion == "cancelled"
    assert [j.run for j in sim.waiting()] == [second]


def test_needs_if_and_matrix(sim: Sim) -> None:
    workflow(
        sim,
        "ci.yml",
        """\
        on: {push: {}}
        permissions: {}
        jobs:
          build:
            strategy: {matrix: {env: [dev, prod]}}
            steps: [{run: 'test "$E" != prod', env: {E: "${{ matrix.env }}"}}]
          after-success:
            needs: build
            steps: [{run: echo ok}]
          after-anything:
            needs: build
            if: ${{ !cancelled() && needs.build.result == 'failure' }}
            steps: [{run: echo cleanup}]
        """,
    )
    (run,) = sim.push(*commit(sim, "v1"))
    sim.settle()
    assert [(j.key, j.result) for j in run.jobs] == [
        ("build (dev)", "success"),
        ("build (prod)", "failure"),
        ("after-success", "skipped"),  # a failed need skips it (implicit success())
        ("after-anything", "success"),
    ]


def test_dispatch_inputs_forks_and_branch_policies(sim: Sim) -> None:
    sim.environments["prod"] = Environment("prod", branches=["main"], secrets={"S": "shh"})
    workflow(
        sim,
        "apply.yml",
        """\
        on:
          workflow_dispatch:
            inputs: {environment: {type: choice, options: [dev, prod], default: dev}}
          pull_request: {}
        permissions: {}
        jobs:
          apply:
            environment: prod
            permissions: {id-token: write, pull-requests: write}
            steps: [{run: 'test -n "$S" && test -n "$ACTIONS_ID_TOKEN_REQUEST_URL"',
                     env: {S: "${{ secrets.S }}"}}]
        """,
    )
    with pytest.raises(ValueError, match="not one of"):
        sim.dispatch("apply.yml", {"environment": "staging"})
    run = sim.dispatch("apply.yml", {"environment": "prod"})
    sim.settle()
    assert run.conclusion == "success" and run.inputs == {"environment": "prod"}

    sim.git("checkout", "-qb", "topic")
    commit(sim, "topic")
    sim.git("checkout", "-q", "main")
    sim.add_pull(3, sim.git("rev-parse", "topic"), "topic", fork=True)
    (fork,) = sim.pull_request(3, "opened")
    sim.settle()
    job = fork.jobs[0]
    assert job.result == "failure"
    assert "is not allowed to deploy to prod" in job.summary  # refs/pull/3/merge is not main
    sim.environments["prod"].branches = None
    (fork,) = sim.pull_request(3, "synchronize")
    sim.settle()
    assert fork.jobs[0].permissions == {"pull-requests": "read"}  # a fork: read, no OIDC
    assert fork.jobs[0].result == "failure"  # and no secret
