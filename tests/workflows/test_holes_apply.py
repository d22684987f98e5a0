"""Issue 16's holes in what apply applies (1 to 3), as attacks on the simulated GitHub.

Each test does what the attacker (or an unlucky operator) does with today's workflows and then
asserts the safe outcome, so it fails today: it is a strict xfail that expects
`AttackSucceeded` only (attacks.py), and the fix of its hole must remove the marker.
"""

from __future__ import annotations

from tests.workflows.attacks import (
    applied_marker,
    both,
    hole,
    refuse,
    replaced,
    resources,
    script_edit,
    tag,
)
from tests.workflows.conftest import GitHub
from tests.workflows.scenarios import apply_only, bootstrap, comment, edit, latest

CONNECTION, DATASTORE = "connection.snowflake_globorealty", "datastore.rawdata"
# plan.sh, changed to save a plan that replaces both while its markdown shows the plain plan
FORGE_REPLACES = script_edit(
    'emit_annotations "$markdown" "$validated"\n',
    "if [[ -f $plan_file ]]; then\n"
    '  NO_COLOR=1 reconcile plan --env "$env_name" --no-secrets --out "$plan_file" '
    f"--replace {CONNECTION} --replace {DATASTORE} >/dev/null 2>&1 || true\n"
    "fi\n"
    'emit_annotations "$markdown" "$validated"\n',
)
PLAN_ANY_BASE = edit(
    "    branches: [main]\n", "    branches: [main, evil]\n", ".github/workflows/plan.yml"
)
OWNER = edit("owner: data-platform", "owner: ml-platform")


def summary_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.startswith("**Plan:")), "(none)")


@hole(1, "apply takes the newest plan run of the head commit, whichever pull request it was for")
def test_a_second_pull_request_with_the_same_head_cannot_choose_what_apply_applies(
    github: GitHub,
) -> None:
    bootstrap(github)
    github.sim.ignored |= {"check-sources.yml"}
    # a writer pushes a branch whose plan.yml plans pull requests into it and whose plan.sh
    # saves a plan that replaces the connection and the datastore
    github.branch("evil", both(PLAN_ANY_BASE, FORGE_REPLACES))
    github.open_pull(1, edit("layer: bronze", "layer: silver"), author="mallory")
    github.sim.settle()
    reviewed = comment(github, 1, "<!-- reconciler-plan:dev -->")
    assert summary_line(reviewed) == "**Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.**"
    # the same head commit, into `evil`: a second plan run of plan.yml for that commit
    (forged,) = github.open_pull(2, head="pr-1", base="evil", author="mallory")
    github.sim.settle()
    assert forged.workflow == "plan.yml" and forged.conclusion == "success"
    before = resources(github.repo, "dev")

    github.merge(1)  # #1 was reviewed and approved: it merges
    github.sim.settle()

    gone = replaced(before, resources(github.repo, "dev"))
    shown = summary_line(comment(github, 1, "<!-- reconciler-plan:dev -->"))
    refuse(
        gone == [],
        f"the merge of #1 replaced {gone} in dev with the plan of #2 (into `evil`), while #1's "
        f"comment showed {shown}",
    )


@hole(1, "apply honours the saved plan's replace, prune and targets, and prod's approver sees main")
def test_apply_in_the_flow_refuses_a_plan_whose_flags_main_did_not_ask_for(
    github: GitHub,
) -> None:
    bootstrap(github)
    apply_only(github)
    # the pull request's own plan job (it runs the pull request's scripts) saves replaces
    github.open_pull(3, both(OWNER, FORGE_REPLACES), author="mallory")
    github.sim.settle()
    plan = latest(github, "plan.yml")
    assert plan.conclusion == "success"
    before = {env: resources(github.repo, env) for env in ("dev", "prod")}

    github.merge(3)
    github.sim.settle()
    run = latest(github, "apply.yml")
    shown_to_prod = run.job("plan-prod").summary  # what prod's approver reads at the gate
    github.sim.approve_all("prod", by="lead-ana")

    gone = {env: replaced(before[env], resources(github.repo, env)) for env in ("dev", "prod")}
    refuse(
        gone == {"dev": [], "prod": []},
        f"apply replaced {gone} as the saved plan file asked; prod's approver was shown "
        f"{summary_line(shown_to_prod)} (main's fresh plan, 'for reference')",
    )


def test_a_dev_yaml_pointed_at_prod_is_refused_by_the_ownership_guard(github: GitHub) -> None:
    """Not a hole today: the issue's other way to write prod with dev's job (a dev.yaml aimed
    at prod's workspace) fails closed, because every resource there is managed for prod."""
    bootstrap(github)
    apply_only(github)
    aimed = edit("path: .workspaces/dev", "path: .workspaces/prod", "environments/dev.yaml")
    github.open_pull(4, both(aimed, edit("layer: bronze", "layer: silver")), author="mallory")
    github.sim.settle()
    github.merge(4)
    github.sim.settle()
    run = latest(github, "apply.yml")
    assert run.job("plan-dev").result == "failure"
    assert "datastore.rawdata exists and is managed by reconciler for default/prod" in (
        run.job("plan-dev").summary
    )
    assert run.job("apply-dev").result == "skipped"
    assert tag(github.repo, "prod", DATASTORE, "layer") == "bronze"


SMOKE = """\
name: smoke
on: {push: {branches: [main]}}
permissions: {}
jobs:
  smoke:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    environment: dev
    permissions: {contents: read, id-token: write}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with: {persist-credentials: false}
      - run: |
          sed -i 's/owner: data-platform/owner: smoke-test/' platform.yaml
          reconcile apply --env prod --auto-approve
        env:
          SNOWFLAKE_ACCOUNT: ${{ vars.SNOWFLAKE_ACCOUNT }}
          SNOWFLAKE_USER: ${{ vars.SNOWFLAKE_USER }}
          STORAGE_ACCOUNT: ${{ vars.STORAGE_ACCOUNT }}
          SNOWFLAKE_PASSWORD: ${{ secrets.SNOWFLAKE_PASSWORD }}
          STORAGE_ACCOUNT_KEY: ${{ secrets.STORAGE_ACCOUNT_KEY }}
"""


@hole(2, "any job that names `environment: dev` gets a token that can write prod")
def test_a_merged_job_naming_dev_cannot_write_prod(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)
    github.open_pull(5, lambda repo: repo.write(".github/workflows/smoke.yml", SMOKE))
    github.sim.settle()
    github.merge(5)
    github.sim.settle()
    (smoke,) = github.sim.runs_of("smoke.yml")
    job = smoke.job("smoke")
    assert job.oidc["sub"] == "repo:globorealty/platform:environment:dev"

    owner = tag(github.repo, "prod", CONNECTION, "owner")
    refuse(
        owner == "data-platform" and github.sim.waiting() == [],
        f"a job of environment dev applied prod (owner is now {owner!r}), no approval asked; "
        f"its token can write {sorted(github.world.azure.writable(job.oidc))}",
    )


@hole(3, "re-running an old dispatch applies its commit over a newer one")
def test_re_running_an_old_dispatch_cannot_roll_dev_back(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)
    old = github.sim.dispatch("apply.yml", {"environment": "dev"})  # commit A: nothing to do
    github.sim.settle()
    github.open_pull(6, OWNER)
    github.sim.settle()
    github.merge(6)  # commit B
    github.sim.settle()
    github.sim.approve_all("prod", by="lead-ana")
    newer = github.repo.head("main")
    assert tag(github.repo, "dev", CONNECTION, "owner") == "ml-platform"
    assert applied_marker(github, "dev") == newer

    github.sim.rerun(old, failed_only=False, by="lead-ben")  # "Re-run all jobs", days later
    github.sim.settle()

    owner, marker = tag(github.repo, "dev", CONNECTION, "owner"), applied_marker(github, "dev")
    refuse(
        owner == "ml-platform" and marker == newer,
        f"the re-run applied commit {old.sha[:12]} over {newer[:12]}: dev's owner is back to "
        f"{owner!r} and applied-dev moved to {marker[:12]}",
    )


@hole(3, "an old 'apply the fresh plan' job, re-run and approved, moves the marker back")
def test_re_running_an_old_apply_of_the_fresh_plan_cannot_move_the_marker_back(
    github: GitHub,
) -> None:
    bootstrap(github)
    apply_only(github)
    github.open_pull(7, OWNER)
    github.sim.settle()
    # between review and merge, someone tags prod's connection by hand: the plan differs
    github.repo.edit("owner: data-platform", "owner: data-platform\n      oncall: alice")
    assert github.repo.reconcile("prod", "apply", "--auto-approve").returncode == 0
    github.repo.edit("owner: data-platform\n      oncall: alice", "owner: data-platform")
    (first,) = github.merge(7)  # commit A
    github.sim.settle()
    (gate,) = github.sim.waiting()
    assert gate.key == "apply-prod"
    github.sim.approve(gate, by="lead-ana")
    github.sim.settle()
    (fresh,) = github.sim.waiting()
    assert fresh.key == "reapply-prod"
    github.sim.reject(fresh)  # the team fixes main instead
    github.sim.settle()

    github.open_pull(8, edit("Raw (bronze) data landed", "Raw (bronze) data, landed"))
    github.sim.settle()
    github.merge(8)  # commit B: applied to prod after its approval
    github.sim.settle()
    github.sim.approve_all("prod", by="lead-ana")
    newer = github.repo.head("main")
    assert applied_marker(github, "prod") == newer

    github.sim.rerun(first, failed_only=True, by="lead-ben")  # days later: "Re-run failed jobs"
    github.sim.settle()
    github.sim.approve_all("prod", by="lead-ana")

    marker = applied_marker(github, "prod")
    refuse(
        marker == newer,
        f"the old run's `apply the fresh plan (prod)` applied commit {first.sha[:12]} after "
        f"{newer[:12]} and moved applied-prod back to {marker[:12]}",
    )
