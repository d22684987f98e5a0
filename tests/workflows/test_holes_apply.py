"""Issue 16's holes in what apply applies (1 to 3), as attacks on the simulated GitHub.

Each test does what the attacker (or an unlucky operator) does and then asserts the safe
outcome (`refuse`, attacks.py). They were strict xfails on the flow of scripts/ci (phase 1);
the reusable workflows and reconciler.gitops close them, so they pass. Since the workflows
moved, an attack that edited a script now edits the workflow file the pull request's own run
reads, which is what that script was; the safe-outcome conditions are unchanged.
"""

from __future__ import annotations

from tests.workflows.attacks import (
    applied_marker,
    both,
    refuse,
    replaced,
    resources,
    script_edit,
    tag,
)
from tests.workflows.conftest import GitHub
from tests.workflows.engine import WorkflowRun
from tests.workflows.scenarios import (
    FLOW,
    apply_only,
    bootstrap,
    comment,
    edit,
    result,
    stage_job,
)

CONNECTION, DATASTORE = "connection.snowflake_globorealty", "datastore.rawdata"
PLAN_WORKFLOW = ".github/workflows/reconciler-plan.yml"
# the pull request's own plan workflow, changed to save a plan that replaces both after the
# plan job planned (what plan.sh was changed to do when it ran the plan)
FORGE_REPLACES = script_edit(
    "      - name: Upload the plan (the review job renders it)\n",
    "      - name: forge\n"
    "        working-directory: ${{ inputs.working-directory }}\n"
    "        run: >-\n"
    '          NO_COLOR=1 reconcile plan --env "$ENV" --no-secrets\n'
    '          --out "$RUNNER_TEMP/reconciler/reconciler-plan-$ENV/plan-$ENV.json"\n'
    f"          --replace {CONNECTION} --replace {DATASTORE}\n"
    "        env:\n"
    "          ENV: ${{ matrix.environment }}\n"
    "          SNOWFLAKE_ACCOUNT: ${{ vars.SNOWFLAKE_ACCOUNT }}\n"
    "          SNOWFLAKE_USER: ${{ vars.SNOWFLAKE_USER }}\n"
    "          STORAGE_ACCOUNT: ${{ vars.STORAGE_ACCOUNT }}\n"
    "      - name: Upload the plan (the review job renders it)\n",
    PLAN_WORKFLOW,
)
PLAN_ANY_BASE = edit(
    "    branches: [main]\n    types:",
    "    branches: [main, evil]\n    types:",
    f".github/workflows/{FLOW}",
)
OWNER = edit("owner: data-platform", "owner: ml-platform")


def summary_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.startswith("**Plan:")), "(none)")


def runs(github: GitHub, *events: str) -> list[WorkflowRun]:
    return [r for r in github.sim.runs_of(FLOW) if r.event_name in events]


def test_a_second_pull_request_with_the_same_head_cannot_choose_what_apply_applies(
    github: GitHub,
) -> None:
    bootstrap(github)
    # a writer pushes a branch whose reconciler.yml plans pull requests into it and whose plan
    # workflow saves a plan that replaces the connection and the datastore
    github.branch("evil", both(PLAN_ANY_BASE, FORGE_REPLACES))
    github.open_pull(1, edit("layer: bronze", "layer: silver"), author="mallory")
    github.sim.settle()
    reviewed = comment(github, 1, "<!-- reconciler-plan:dev -->")
    assert summary_line(reviewed) == "**Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.**"
    # the same head commit, into `evil`: a second plan run of reconciler.yml for that commit
    (forged,) = github.open_pull(2, head="pr-1", base="evil", author="mallory")
    github.sim.settle()
    assert forged.workflow == FLOW and forged.conclusion == "success"
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


def test_apply_in_the_flow_refuses_a_plan_whose_flags_main_did_not_ask_for(
    github: GitHub,
) -> None:
    bootstrap(github)
    apply_only(github)
    # the pull request's own plan job (it runs the pull request's scripts) saves replaces
    github.open_pull(3, both(OWNER, FORGE_REPLACES), author="mallory")
    github.sim.settle()
    (plan,) = runs(github, "pull_request")
    assert plan.conclusion == "success"
    before = {env: resources(github.repo, env) for env in ("dev", "prod")}

    github.merge(3)
    github.sim.settle()
    run = runs(github, "push")[-1]
    shown_to_prod = stage_job(run, "plan", "prod").summary  # type: ignore[union-attr]
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
    run = runs(github, "push")[-1]
    assert result(run, "plan", "dev") == "failure"
    assert "datastore.rawdata exists and is managed by reconciler for default/prod" in (
        stage_job(run, "plan", "dev").summary  # type: ignore[union-attr]
    )
    assert result(run, "apply", "dev") == "skipped"
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


def test_re_running_an_old_dispatch_cannot_roll_dev_back(github: GitHub) -> None:
    bootstrap(github)
    apply_only(github)
    old = github.sim.dispatch(FLOW, {"environment": "dev"})  # commit A: nothing to do
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
    assert gate.name == "apply / stage-2 (prod) / apply (prod)"
    github.sim.approve(gate, by="lead-ana")
    github.sim.settle()
    (fresh,) = github.sim.waiting()
    assert fresh.name == "apply / stage-2 (prod) / apply the fresh plan (prod)"
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
