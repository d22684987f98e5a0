"""A team's config repository (examples/config-repo, as `contoso/ml-config`) on the same
simulated GitHub as this one, set up by what `reconcile setup azure` prints, calling our
reusable workflows at a tag with no file of ours copied: its first apply, a pull request's plan
and review, the merge applied dev -> staging -> prod, drift reported, and a dispatch that
recovers it."""

from __future__ import annotations

from pathlib import Path

from tests.workflows.conftest import GitHub
from tests.workflows.consumer import CONSUMER, CONSUMER_ENVIRONMENTS, consumer_workspace
from tests.workflows.harness import REPO_ROOT
from tests.workflows.scenarios import FLOW, comment, edit, result, stage_job

NO_CHANGES = "No changes. The workspace matches the desired state."
OURS = "globorealty/platform/.github/workflows"


def approve_gates(consumer: GitHub) -> None:
    for env in ("staging", "prod"):  # the first stage has no reviewers; the later ones do
        assert consumer.sim.approve_all(env, by="lead-ana") >= 1, env


def converged(consumer: GitHub) -> bool:
    return all(consumer.repo.pending(env) == NO_CHANGES for env in CONSUMER_ENVIRONMENTS)


def by_hand_in_prod(consumer: GitHub, old: str, new: str) -> None:
    consumer.repo.edit(old, new)
    assert consumer.repo.reconcile("prod", "apply", "--auto-approve").returncode == 0
    consumer.repo.edit(new, old)


def test_a_new_config_repository_runs_the_whole_flow_with_no_file_of_ours(
    github: GitHub, consumer: GitHub
) -> None:
    github.repo.tag("v1")  # what we publish
    files = sorted(
        str(p.relative_to(consumer.repo.root))
        for p in consumer.repo.root.rglob("*")
        if p.is_file() and ".git" not in p.parts and ".workspaces" not in p.parts
    )
    assert files == [
        ".github/CODEOWNERS",
        ".github/workflows/reconciler-review.yml",
        ".github/workflows/reconciler.yml",
        ".gitignore",
        "README.md",
        "environments/dev.yaml",
        "environments/prod.yaml",
        "environments/staging.yaml",
        "platform.yaml",
    ]

    # the first apply: nothing was applied yet, so each environment gets main's plan
    first = consumer.sim.dispatch(FLOW)
    consumer.sim.settle()
    approve_gates(consumer)
    assert first.conclusion == "success", [(j.name, j.result) for j in first.jobs]
    assert converged(consumer)
    apply_dev = stage_job(first, "apply", "dev")
    assert apply_dev is not None
    assert apply_dev.oidc["job_workflow_ref"] == f"{OURS}/reconciler-apply-env.yml@refs/tags/v1"
    assert github.world.azure.writable(apply_dev.oidc) == {consumer_workspace("dev")}

    # a pull request: planned for every environment, reviewed from main, commented by the bot
    (plan,) = consumer.open_pull(3, edit("layer: bronze", "layer: silver"), author="mallory")
    consumer.sim.settle()
    assert plan.conclusion == "success"
    for env in CONSUMER_ENVIRONMENTS:
        said = comment(consumer, 3, f"<!-- reconciler-plan:{env} -->")
        assert "**Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.**" in said
        leg = plan.job(f"plan / plan ({env})")
        assert "reconciler doctor" in leg.summary and "**NO**" not in leg.summary
        assert github.world.azure.writable(leg.oidc) == set()  # the planner only reads

    # the merge: dev, then staging and prod after their gates
    (merged,) = consumer.merge(3)
    consumer.sim.settle()
    assert result(merged, "apply", "dev") == "success"
    assert [j.environment for j in consumer.sim.waiting()] == ["staging"]
    approve_gates(consumer)
    assert converged(consumer)
    assert "· applied" in comment(consumer, 3, "<!-- reconciler-apply:prod -->")

    # drift in prod: an issue; a dispatch for prod recovers it; the next check closes it
    by_hand_in_prod(consumer, "layer: silver", "layer: gold")
    drift = consumer.sim.schedule(FLOW)
    consumer.sim.settle()
    assert drift.job("drift / drift (prod)").result == "failure"
    (issue,) = consumer.sim.issues("open")
    assert issue["title"] == "Drift in prod" and "gh workflow run reconciler.yml" in issue["body"]
    recovery = consumer.sim.dispatch(FLOW, {"environment": "prod"})
    consumer.sim.settle()
    assert [j.environment for j in consumer.sim.waiting()] == ["prod"]
    consumer.sim.approve_all("prod", by="lead-ana")
    assert result(recovery, "apply", "dev") == "skipped"  # only prod, and nothing after it
    assert converged(consumer)
    consumer.sim.schedule(FLOW)
    consumer.sim.settle()
    assert [i["state"] for i in consumer.sim.issues()] == ["closed"]
    assert github.sim.runs == []  # nothing ran in our repository
    assert all(r.workflow in (FLOW, "reconciler-review.yml") for r in consumer.sim.runs)


def test_the_consumer_s_ci_is_a_few_dozen_lines() -> None:
    """The README's closing note states what a consumer repository holds: these numbers."""
    from tests.workflows.consumer import EXAMPLE

    def count(path: Path) -> int:
        return len(path.read_text().splitlines())

    ci = [".github/workflows/reconciler.yml", ".github/workflows/reconciler-review.yml"]
    ci.append(".github/CODEOWNERS")
    in_ci = sum(count(EXAMPLE / f) for f in ci)
    files = [p for p in EXAMPLE.rglob("*") if p.is_file()]
    total = sum(count(p) for p in files)
    assert in_ci <= 75, in_ci
    readme = " ".join((REPO_ROOT / "README.md").read_text().split())
    assert f"A consumer repository holds {len(files)} files, {total} lines: CI is {in_ci}" in readme
    assert CONSUMER == "contoso/ml-config"
