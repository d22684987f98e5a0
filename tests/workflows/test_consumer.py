"""A team's config repository on the same simulated GitHub calls a reusable workflow of this
repository at a tag: its own platform.yaml, environments, variables and Azure identities, this
repository's scripts at that tag, and no file of ours copied."""

from __future__ import annotations

from tests.workflows.conftest import GitHub
from tests.workflows.consumer import CONSUMER
from tests.workflows.scenarios import edit

# a reusable plan (what phase 2 publishes, cut down): the caller's pull request, our scripts at
# the caller's tag, the planner identity of `<env>-plan`
REUSABLE_PLAN = """\
on:
  workflow_call:
    inputs:
      environment: {type: string, required: true}
permissions: {}
jobs:
  plan:
    name: plan (${{ inputs.environment }})
    environment: ${{ inputs.environment }}-plan
    permissions: {contents: read, id-token: write}
    env:
      RECONCILE_ENV: ${{ inputs.environment }}
      RECONCILE_NO_SECRETS: "true"
      SNOWFLAKE_ACCOUNT: ${{ vars.SNOWFLAKE_ACCOUNT }}
      SNOWFLAKE_USER: ${{ vars.SNOWFLAKE_USER }}
      STORAGE_ACCOUNT: ${{ vars.STORAGE_ACCOUNT }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with: {persist-credentials: false}
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          repository: globorealty/platform
          ref: v1
          path: .reconciler
          persist-credentials: false
      - id: plan
        run: bash .reconciler/scripts/ci/plan.sh
"""
CALLER = """\
on: {pull_request: {branches: [main]}}
permissions: {}
jobs:
  plan:
    strategy: {matrix: {environment: [dev, staging, prod]}}
    uses: globorealty/platform/.github/workflows/reusable-plan.yml@v1
    permissions: {contents: read, id-token: write}
    with: {environment: "${{ matrix.environment }}"}
"""


def test_a_consumer_repository_plans_through_a_reusable_workflow_at_a_tag(
    github: GitHub, consumer: GitHub
) -> None:
    github.repo.write(".github/workflows/reusable-plan.yml", REUSABLE_PLAN)
    github.repo.commit("a reusable plan")
    github.repo.tag("v1")
    consumer.repo.write(".github/workflows/plan.yml", CALLER)
    consumer.repo.commit("call the reusable plan at v1")

    (run,) = consumer.open_pull(3, edit("layer: bronze", "layer: silver"))
    consumer.sim.settle()

    assert [j.key for j in run.jobs] == [
        "plan (dev) / plan",
        "plan (staging) / plan",
        "plan (prod) / plan",
    ]
    for env in ("dev", "staging", "prod"):
        job = run.job(f"plan ({env}) / plan")
        assert job.result == "success", job.log
        assert job.name == f"plan ({env}) / plan ({env})"
        assert job.environment == f"{env}-plan"
        assert job.oidc["sub"] == f"repo:{CONSUMER}:environment:{env}-plan"
        assert job.oidc["job_workflow_ref"] == (
            "globorealty/platform/.github/workflows/reusable-plan.yml@refs/tags/v1"
        )
        # an empty workspace of the team's own: everything is to add, nothing written
        assert "reconcile (" + env + ") exited 2 (changes)" in job.log
        assert job.refused == []
    assert github.sim.runs == []  # nothing ran in our repository
    assert not (consumer.repo.root / "scripts").exists()  # and nothing of ours was copied
