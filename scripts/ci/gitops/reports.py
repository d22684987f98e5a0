"""What the apply workflow writes for people: the recovery action every refusal names, the
table of merged pull requests, the plan made now as a diff. Pure functions of their inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitops.common import code_block
from gitops.window import Window


def dispatch_how(env: str) -> str:
    return (
        f"To apply main to `{env}`, run the apply workflow by hand: **Actions → apply → Run "
        f"workflow → environment `{env}`** (or `gh workflow run apply.yml -f environment={env}`)."
        f" It plans main, shows the plan, and applies it after `{env}`'s approval gate."
    )


def window_table(window: Window) -> str:
    if not window.merged:
        return ""
    rows = ["| commit | pull request | reviewed plan | status |", "|---|---|---|---|"]
    for m in window.merged:
        pr = f"#{m.pr}" if m.pr else "(direct push)"
        plan = f"[run {m.plan_run}]({m.plan_run_url})" if m.plan_run else (m.problem or "none")
        rows.append(f"| `{m.sha[:12]}` | {pr} | {plan} | {m.status or 'to apply'} |")
    return "\n".join(rows) + "\n"


def details(title: str, text: str) -> str:
    if not text.strip():
        return ""
    return f"<details><summary>{title}</summary>\n\n{text.strip()}\n\n</details>\n"


def render_fresh(env: str, fresh: Path) -> str:
    """The plan made now, as a diff (from its JSON: planning again for markdown would race the
    workspace). Secret values are never in a plan file; they show as (sensitive)."""
    plan = json.loads(fresh.read_text(encoding="utf-8")) if fresh.is_file() else {}
    lines = []
    for change in plan.get("resource_changes", []):
        if change.get("action") in ("no-op", "in-progress"):
            continue
        reason = f": {change['action_reason']}" if change.get("action_reason") else ""
        lines.append(
            f"{SIGNS.get(change['action'], '!')} {change['address']}: {change['action']}{reason}"
        )
        for field in change.get("fields") or []:
            lines.append(f"!     {field['path']}: {value_change(field)}")
    body = "\n".join(lines) or "(no changes)"
    return f"Plan made now for `{env}`:\n\n" + code_block(body, "diff")


SIGNS = {"create": "+", "materialize": "+", "update": "!", "replace": "!", "delete": "-"}


def value_change(field: dict[str, Any]) -> str:
    if field.get("unknown"):
        return "(sensitive, compared at apply)"
    if field.get("sensitive"):
        return "(sensitive) (changed)"
    before, after = field.get("before"), field.get("after")
    if before is None:
        return json.dumps(after)
    if after is None:
        return f"{json.dumps(before)} → (removed)"
    return f"{json.dumps(before)} → {json.dumps(after)}"
