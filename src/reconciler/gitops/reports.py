"""What the apply jobs write for people: the recovery every refusal names, the table of what a
run applies, headings. Pure functions of their inputs; every value shown is escaped."""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from reconciler.gitops.window import Window
from reconciler.render.safe import code_span, escape_markdown


def workflow_file(path: str) -> str:
    """``reconciler.yml`` from ``.github/workflows/reconciler.yml``."""
    return PurePosixPath(path).name or "reconciler.yml"


def dispatch_how(env: str, workflow: str) -> str:
    """The one recovery: run the apply workflow by hand for the environment (``workflow``:
    its file's path)."""
    name = os.environ.get("GITHUB_WORKFLOW") or workflow_file(workflow)
    return (
        f"To apply the default branch to {code_span(env)}, run the workflow by hand: **Actions → "
        f"{escape_markdown(name)} → Run workflow → environment {code_span(env)}** (or "
        f"`gh workflow run {workflow_file(workflow)} -f environment={env}`). It plans the "
        f"default branch, shows the plan, and applies it after {code_span(env)}'s approval gate."
    )


def override_how(env: str, workflow: str, policy_environment: str) -> str:
    """How a soft policy failure is overridden: by hand, with a reason, approved by the policy
    owners (the required reviewers of ``policy_environment``)."""
    return (
        "A hard failure is never overridden: change the desired state (or the policy, where it "
        "is owned). A soft failure passes with a policy owner's override: run the workflow by "
        f"hand with the reason (`gh workflow run {workflow_file(workflow)} -f environment={env} "
        '-f policy-override="REASON"`); the override waits for the approval of '
        f"{code_span(policy_environment)}'s reviewers (the policy owners), and apply records "
        "the reason on everything it writes."
    )


def window_table(window: Window) -> str:
    if not window.merged:
        return ""
    rows = ["| commit | pull request | reviewed plan | status |", "|---|---|---|---|"]
    for m in window.merged:
        pr = f"#{m.pr}" if m.pr else "(direct push)"
        if m.record is not None and m.plan is not None:
            plan = f"run {m.record.plan_run_id} (`{m.record.sha256[:12]}`)"
        else:
            plan = escape_markdown(m.problem or "none")
        rows.append(
            f"| `{m.sha[:12]}` | {pr} | {plan} | {escape_markdown(m.status or 'to apply')} |"
        )
    return "\n".join(rows) + "\n"


def details(title: str, text: str) -> str:
    if not text.strip():
        return ""
    return f"<details><summary>{title}</summary>\n\n{text.strip()}\n\n</details>\n"


HEADINGS = {
    "applied": "applied",
    "differs": "plan differs: waiting for approval of the fresh plan",
    "failed": "FAILED",
    "refused": "refused",
    "nothing": "nothing to do",
}


def heading(env: str, verdict: str) -> str:
    return f"### reconciler apply · {code_span(env)} · {HEADINGS[verdict]}\n\n"


def blocked(env: str) -> str:
    """The promotion rule, where a stage did not converge."""
    return (
        f"> [!CAUTION]\n> **{code_span(env)} did not converge, so the environments promoted "
        "after it are skipped in this run.**\n\n"
    )
