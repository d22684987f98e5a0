"""A team's config repository on the same simulated GitHub calls a reusable workflow of this
repository at a tag: its own platform.yaml, environments, variables and Azure identities, this
repository's scripts at that tag, and no file of ours copied."""

from __future__ import annotations

from tests.workflows.conftest import GitHub
from tests.workflows.consumer import CONSUMER
from tests.workflows.scenarios import edit

CALLER = """\
on: {pull_request: {branches: [main]}}
permissions: {}
jobs:
  plan:
    uses: globorealty/platform/.github/workflows/reconciler-plan.yml@v1
    permissions: {contents: read, id-token: write}
"""


def test_a_consumer_repository_plans_through_a_reusable_workflow_at_a_tag(
    github: GitHub, consumer: GitHub
) -> None:
    github.repo.tag("v1")
    consumer.repo.edit("promote: [dev, prod]", "promote: [dev, staging, prod]")
    consumer.repo.write(".github/workflows/plan.yml", CALLER)
    consumer.repo.commit("call the reusable plan at v1")

    (run,) = consumer.open_pull(3, edit("layer: bronze", "layer: silver"))
    consumer.sim.settle()

    assert [j.name for j in run.jobs] == [
        "plan / tool",
        "plan / plan (dev)",
        "plan / plan (staging)",
        "plan / plan (prod)",
    ]
    ours = "globorealty/platform/.github/workflows/reconciler-plan.yml@refs/tags/v1"
    assert f"reconciler: {ours}" in run.job("plan / tool").log
    for env in ("dev", "staging", "prod"):
        job = run.job(f"plan / plan ({env})")
        assert job.result == "success", job.log
        assert job.environment == f"{env}-plan"
        assert job.oidc["sub"] == f"repo:{CONSUMER}:environment:{env}-plan"
        assert job.oidc["job_workflow_ref"] == (
            "globorealty/platform/.github/workflows/reconciler-plan.yml@refs/tags/v1"
        )
        # an empty workspace of the team's own: everything is to add, nothing written
        assert "**Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy.**" in job.summary
        assert job.refused == []
    assert github.sim.runs == []  # nothing ran in our repository
    assert not (consumer.repo.root / "scripts").exists()  # and nothing of ours was copied
