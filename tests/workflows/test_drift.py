"""The daily drift check (reconciler.yml on schedule -> reconciler-drift.yml) on the simulated
GitHub: one issue per drifted environment, kept up to date while the drift lasts and closed
when the environment matches main again."""

from __future__ import annotations

from tests.workflows.conftest import GitHub
from tests.workflows.scenarios import FLOW, bootstrap


def change_prod_by_hand(github: GitHub) -> None:
    """Someone edits prod outside reconciler (here: applies an unmerged desired state)."""
    github.repo.edit("layer: bronze", "layer: gold")
    assert github.repo.reconcile("prod", "apply", "--auto-approve").returncode == 0
    github.repo.edit("layer: gold", "layer: bronze")


def test_drift_opens_one_issue_per_environment_updates_it_and_closes_it(github: GitHub) -> None:
    bootstrap(github)
    clean = github.sim.schedule(FLOW)
    github.sim.settle()
    assert clean.conclusion == "success"
    assert github.sim.issues() == []

    change_prod_by_hand(github)
    first = github.sim.schedule(FLOW)
    github.sim.settle()
    assert first.job("drift / drift (dev)").result == "success"
    prod = first.job("drift / drift (prod)")
    assert prod.result == "failure"
    assert prod.environment == "prod-plan"
    (issue,) = github.sim.issues("open")
    assert issue["title"] == "Drift in prod"
    assert [label["name"] for label in issue["labels"]] == ["reconciler-drift"]
    assert 'tags.layer: "gold" → "bronze"' in issue["body"]
    assert f"/actions/runs/{first.id})" in issue["body"]
    assert "Actions → reconciler → Run workflow → environment `prod`" in issue["body"]

    again = github.sim.schedule(FLOW)
    github.sim.settle()
    (same,) = github.sim.issues("open")
    assert same["number"] == issue["number"]  # updated, not a second issue
    assert f"/actions/runs/{again.id})" in same["body"]

    assert github.repo.reconcile("prod", "apply", "--auto-approve").returncode == 0
    fixed = github.sim.schedule(FLOW)
    github.sim.settle()
    assert fixed.conclusion == "success"
    (closed,) = github.sim.issues()
    assert closed["state"] == "closed"
    assert closed["body"].startswith("<!-- reconciler-drift:prod -->\n**Resolved:**")


def test_a_drift_plan_error_fails_and_leaves_the_issue_alone(github: GitHub) -> None:
    github.repo.edit("container_name: rawdata", "container_name: [rawdata]")
    github.repo.commit("broken main")
    run = github.sim.schedule(FLOW)
    github.sim.settle()
    assert run.conclusion == "failure"
    assert "### reconciler plan · `dev` · failed" in run.job("drift / drift (dev)").summary
    assert github.sim.issues() == []
