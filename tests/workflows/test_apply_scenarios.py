"""The apply of reconciler.yml (reconciler-apply.yml, stage by stage) on a busy main, end to end
on the simulated GitHub: what gets applied to dev and prod, after how many manual steps, and
what the merged pull requests are told."""

from __future__ import annotations

from pathlib import Path

from tests.workflows.conftest import GitHub, Repo
from tests.workflows.engine import WorkflowRun
from tests.workflows.scenarios import (
    FLOW,
    add_datastore,
    apply_only,
    bootstrap,
    comment,
    edit,
    result,
    runbook,
    scheduled_import_ran,
    stage_job,
)

NO_CHANGES = "No changes. The workspace matches the desired state."
# the README's recovery runbook, verbatim (tests/workflows/test_runbook.py checks both ways)
APPROVE = 'gh api -X POST "repos/$REPO/actions/runs/$RUN/pending_deployments" -F "environment_ids[]=$ENV_ID" -f state=approved -f comment="reviewed the fresh plan"'  # noqa: E501
DISPATCH_DEV = "gh workflow run reconciler.yml -f environment=dev"
DISPATCH_PROD = "gh workflow run reconciler.yml -f environment=prod"
ROTATE_PROD = 'printf %s "$NEW_KEY" | gh secret set STORAGE_ACCOUNT_KEY --env prod'
RERUN_FAILED = 'gh run rerun "$RUN" --failed'


def apply_runs(github: GitHub) -> list[WorkflowRun]:
    return [r for r in github.sim.runs_of(FLOW) if r.event_name in ("push", "workflow_dispatch")]


def latest_apply(github: GitHub) -> WorkflowRun:
    return apply_runs(github)[-1]


def summary(run: WorkflowRun, what: str, env: str) -> str:
    found = stage_job(run, what, env)
    assert found is not None, (what, env, [j.name for j in run.jobs])
    return found.summary


def gate_name(what: str, env: str) -> str:
    stage = {"dev": 1, "prod": 2}[env]
    job = {"apply": "apply", "fresh": "apply the fresh plan"}[what]
    return f"apply / stage-{stage} ({env}) / {job} ({env})"


FIVE = {
    11: edit("owner: data-platform", "owner: ml-platform"),
    12: edit(
        "description: Raw (bronze) data landed by imports.",
        "description: Raw (bronze) data, landed daily by imports.",
    ),
    13: add_datastore("curated", first=True),
    14: add_datastore("features"),
    15: edit(
        "query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW",
        "query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW WHERE 1 = 1",
    ),
}


def test_five_merges_back_to_back_with_a_scheduled_import_between_plan_and_merge(
    github: GitHub,
) -> None:
    bootstrap(github)
    apply_only(github)
    for number, change in FIVE.items():
        github.open_pull(number, change)
    github.sim.settle()  # every pull request planned (and commented) against main
    for env in ("dev", "prod"):
        assert scheduled_import_ran(github.repo, env) == "2"  # the workspace moved on

    for number in FIVE:  # merged one after the other, before any apply ran
        github.merge(number)
    github.sim.settle()

    runs = apply_runs(github)
    assert len(runs) == 5
    # GitHub keeps one pending job per group: the dev applies of the 2nd to 4th merge are
    # replaced by the 5th, which applies them
    assert [result(r, "apply", "dev") for r in runs] == [
        "success",
        "cancelled",
        "cancelled",
        "cancelled",
        "success",
    ]
    assert github.repo.pending("dev") == NO_CHANGES  # no manual step for dev
    shown = summary(runs[-1], "plan", "dev") + summary(runs[-1], "apply", "dev")
    for number in (12, 13, 14, 15):
        assert f"| #{number} |" in shown
    assert "materialize version 3" in shown  # the reviewed "version 2" moved: still applied

    approvals = github.sim.approve_all("prod")
    assert approvals == 2  # the 1st merge's run, then the 5th's (which covers 2 to 5)
    assert github.repo.pending("prod") == NO_CHANGES
    for number in FIVE:
        applied = comment(github, number, "<!-- reconciler-apply:prod -->")
        assert "· applied" in applied
        assert "· applied" in comment(github, number, "<!-- reconciler-apply:dev -->")
    assert "not applied" not in "".join(
        (stage_job(r, "apply", "prod") or stage_job(r, "plan", "dev")).summary  # type: ignore[union-attr]
        for r in runs
        if stage_job(r, "apply", "prod") is not None
    )


def test_a_pending_apply_cancelled_by_a_newer_one_is_applied_by_it_and_said_so(
    github: GitHub,
) -> None:
    bootstrap(github)
    apply_only(github)
    github.open_pull(21, edit("owner: data-platform", "owner: ml-platform"))
    github.open_pull(22, add_datastore("curated", first=True))
    github.open_pull(23, add_datastore("features"))
    github.sim.settle()
    first, second, third = (github.merge(n)[0] for n in (21, 22, 23))
    github.sim.settle()

    assert result(second, "apply", "dev") == "cancelled"
    assert second.conclusion == "cancelled"
    covering = comment(github, 22, "<!-- reconciler-apply:dev -->")
    assert f"actions/runs/{third.id})" in covering  # the run that applied #22 links itself
    assert "| #22 |" in covering and "| #23 |" in covering
    assert github.repo.pending("dev") == NO_CHANGES
    assert result(first, "apply", "dev") == "success"


def test_a_plan_that_differs_at_a_reviewed_address_waits_for_approval_of_the_fresh_plan(
    github: GitHub,
) -> None:
    bootstrap(github)
    apply_only(github)
    github.open_pull(31, edit("owner: data-platform", "owner: ml-platform"))
    github.sim.settle()
    # between review and merge, someone tags prod's connection by hand
    github.repo.edit("owner: data-platform", "owner: data-platform\n      oncall: alice")
    assert github.repo.reconcile("prod", "apply", "--auto-approve").returncode == 0
    github.repo.edit("owner: data-platform\n      oncall: alice", "owner: data-platform")
    github.merge(31)
    github.sim.settle()
    assert github.repo.pending("dev") == NO_CHANGES
    run = latest_apply(github)
    (gate,) = github.sim.waiting()
    assert gate.name == gate_name("apply", "prod")
    runbook(github, APPROVE, run=run, environment="prod")

    assert result(run, "apply", "prod") == "success"
    assert stage_job(run, "apply", "prod").outputs["verdict"] == "differs"  # type: ignore[union-attr]
    said = comment(github, 31, "<!-- reconciler-apply:prod -->")
    assert "plan differs: waiting for approval of the fresh plan" in said
    assert "<code>connection.snowflake_globorealty</code>" in said
    assert '!     tags.owner: "data-platform" → "ml-platform"' in said  # the plan made now
    assert '!     tags.oncall: "alice" → (none)' in said
    assert github.repo.pending("prod") != NO_CHANGES  # nothing applied yet
    (gate,) = github.sim.waiting()
    assert gate.name == gate_name("fresh", "prod")
    runbook(github, APPROVE, run=run, environment="prod")
    assert github.repo.pending("prod") == NO_CHANGES
    assert "· applied" in comment(github, 31, "<!-- reconciler-apply:prod -->")


def block_storage(github: GitHub, env: str, folder: str) -> Path:
    """The datastore's folder cannot be written (a file is in the way): an import fails
    after its query ran, so apply fails part-way."""
    blocker = github.repo.workspace(env) / "datastores" / "rawdata" / folder
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("in the way\n")
    return blocker


def test_a_half_way_failure_blocks_prod_and_a_dispatch_recovers_it(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)

    def change(repo: Repo) -> None:
        repo.edit("owner: data-platform", "owner: ml-platform")
        repo.edit("paths/raw_house_data", "paths/raw_house_data_v2")

    github.open_pull(41, change)
    github.sim.settle()
    blocker = block_storage(github, "dev", "raw_house_data_v2")
    github.merge(41)
    github.sim.settle()

    run = latest_apply(github)
    assert result(run, "apply", "dev") == "failure"
    assert result(run, "plan", "prod") == "skipped"  # a failed dev apply blocks prod
    said = comment(github, 41, "<!-- reconciler-apply:dev -->")
    assert "· FAILED" in said and "Apply failed part-way (exit code 3)" in said
    assert "the environments promoted after it are skipped in this run" in said
    assert "| `connection.snowflake_globorealty` | update | applied |" in said
    assert "gh workflow run reconciler.yml -f environment=dev" in said
    assert github.sim.waiting() == []

    blocker.unlink()  # the cause is fixed
    dispatched = runbook(github, DISPATCH_DEV)
    assert dispatched is not None
    assert result(dispatched, "apply", "dev") == "success"
    assert github.repo.pending("dev") == NO_CHANGES
    assert github.sim.approve_all("prod") == 1  # dev converged: prod follows, after approval
    assert github.repo.pending("prod") == NO_CHANGES


def test_a_dev_with_nothing_to_do_never_blocks_prod(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)
    github.open_pull(51, edit("owner: data-platform", "owner: ml-platform"))
    github.sim.settle()
    # dev already has the change (someone applied main's future by hand): nothing to do
    github.merge(51)
    dev_done = github.repo.reconcile("dev", "apply", "--auto-approve")
    assert dev_done.returncode == 0, dev_done.stderr
    github.sim.settle()
    run = latest_apply(github)
    assert stage_job(run, "plan", "dev").outputs["todo"] == "none"  # type: ignore[union-attr]
    assert result(run, "apply", "dev") == "skipped"
    assert result(run, "plan", "prod") == "success"
    assert github.sim.approve_all("prod") == 1
    assert github.repo.pending("prod") == NO_CHANGES


def test_a_secret_rotated_in_the_store_converges_on_dispatch(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)
    rotated = "sa-key-rotated-Pz81-never-shown"
    runbook(github, ROTATE_PROD, new_key=rotated)
    secrets = {"STORAGE_ACCOUNT_KEY": rotated}
    plan = github.repo.reconcile("prod", "plan", secrets=secrets)
    assert "credentials.account_key: (sensitive) (changed)" in plan.stdout

    run = runbook(github, DISPATCH_PROD)
    assert run is not None and result(run, "plan", "dev") == "skipped"
    assert "compared at apply" in summary(run, "plan", "prod")
    runbook(github, APPROVE, run=run, environment="prod")
    again = github.repo.reconcile("prod", "plan", secrets=secrets)
    assert again.stdout.strip().endswith(NO_CHANGES), again.stdout
    assert github.repo.pending("dev") == NO_CHANGES  # dev's own key did not change
    for text in github.everything_produced().values():
        assert rotated not in text


def test_a_secret_rotated_in_the_store_converges_on_the_next_merge(github: GitHub) -> None:
    bootstrap(github)
    rotated = "sa-key-rotated-Tq27-never-shown"
    for env in ("dev", "prod"):
        github.sim.environments[env].secrets["STORAGE_ACCOUNT_KEY"] = rotated
    github.open_pull(81, edit("owner: data-platform", "owner: ml-platform"))
    github.sim.settle()
    said = comment(github, 81, "<!-- reconciler-plan:dev -->")
    assert "credentials.account_key: (sensitive, compared at apply)" in said
    github.merge(81)
    github.sim.settle()
    assert github.sim.approve_all("prod") == 1
    for env in ("dev", "prod"):
        again = github.repo.reconcile(env, "plan", secrets={"STORAGE_ACCOUNT_KEY": rotated})
        assert again.stdout.strip().endswith(NO_CHANGES), again.stdout
    for text in github.everything_produced().values():
        assert rotated not in text


def test_a_direct_push_is_applied_only_through_the_approval_gate(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)
    github.direct_push(edit("owner: data-platform", "owner: ml-platform"))
    github.sim.settle()
    run = latest_apply(github)
    assert "is not the merge of a pull request" in summary(run, "plan", "dev")
    assert "the default branch's plan made now, below" in summary(run, "plan", "dev")
    assert github.repo.pending("dev") == NO_CHANGES  # dev has no reviewers: its gate is open
    (gate,) = github.sim.waiting()
    assert gate.name == gate_name("apply", "prod")
    assert "connection.snowflake_globorealty" in summary(run, "plan", "prod")
    github.sim.reject(gate)
    github.sim.settle()
    assert github.repo.pending("prod") != NO_CHANGES  # rejected: nothing applied


def test_an_expired_reviewed_plan_falls_back_to_main_s_plan_behind_the_gate(
    github: GitHub,
) -> None:
    bootstrap(github)
    apply_only(github)
    github.open_pull(61, edit("owner: data-platform", "owner: ml-platform"))
    github.sim.settle()
    github.sim.expire_artifacts("reconciler-plan-")  # 30 days later
    github.merge(61)
    github.sim.settle()
    run = latest_apply(github)
    assert "has expired" in summary(run, "plan", "dev")
    assert github.repo.pending("dev") == NO_CHANGES
    runbook(github, APPROVE, run=run, environment="prod")
    assert github.repo.pending("prod") == NO_CHANGES


def test_a_cancelled_run_is_recovered_by_a_dispatch(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)
    github.open_pull(71, edit("owner: data-platform", "owner: ml-platform"))
    github.sim.settle()
    (run,) = github.merge(71)
    github.sim.cancel(run)  # someone cancels it before it ran
    github.sim.settle()
    assert run.conclusion == "cancelled"
    assert github.repo.pending("dev") != NO_CHANGES

    runbook(github, DISPATCH_DEV)
    assert github.repo.pending("dev") == NO_CHANGES
    assert github.sim.approve_all("prod") == 1
    assert github.repo.pending("prod") == NO_CHANGES


def test_a_failed_job_re_run_finishes_what_the_failure_left(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)

    def change(repo: Repo) -> None:
        repo.edit("owner: data-platform", "owner: ml-platform")
        repo.edit("paths/raw_house_data", "paths/raw_house_data_v2")

    github.open_pull(91, change)
    github.sim.settle()
    blocker = block_storage(github, "dev", "raw_house_data_v2")
    (run,) = github.merge(91)
    github.sim.settle()
    assert result(run, "apply", "dev") == "failure"
    blocker.unlink()  # it was passing: the storage is back

    runbook(github, RERUN_FAILED, run=run)
    assert run.attempt == 2
    assert github.repo.pending("dev") == NO_CHANGES
    runbook(github, APPROVE, run=run, environment="prod")
    assert github.repo.pending("prod") == NO_CHANGES
