"""The outcome of an apply, as terminal text and as markdown for a CI job summary. Pure.

Both say what was applied, what failed, what was skipped and what was never started (an
interrupted run), plus the changes a fresh plan found that nobody reviewed (left alone), or,
when the reviewed plan no longer agrees with a fresh one, where and how they differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.core.plan import ApplyResult, Plan, ResourceChange
from reconciler.engine.review import Difference
from reconciler.render.common import code, describe, escape_markdown, printable

SYMBOL = {"applied": "✓", "failed": "✗", "skipped": "↷"}
RETRY = "Fix the cause, then plan and apply again: the new plan finishes what is left."


def _head(result: ApplyResult) -> str:
    if result.ok:
        return "Apply complete"
    if result.lock_lost is not None:
        return "Apply stopped: the lock was lost"
    if result.not_started:
        return "Apply interrupted"
    return "Apply failed part-way"


def _counts(result: ApplyResult) -> str:
    text = (
        f"{result.count('applied')} applied, {result.count('failed')} failed, "
        f"{result.count('skipped')} skipped"
    )
    if result.not_started:
        text += f", {len(result.not_started)} not started"
    return text


def render_apply_summary(result: ApplyResult, unreviewed: Sequence[ResourceChange] = ()) -> str:
    lines = [f"\n{_head(result)}: {_counts(result)}."]
    if result.lock_lost is not None:
        lines.append(f"  {result.lock_lost}")
    for item in result.results:
        if item.status != "applied":
            lines.append(f"  {item.status}: {item.address}: {item.message}")
    lines += [f"  not started: {address}" for address in result.not_started]
    if unreviewed:
        lines.append(_unreviewed_line(unreviewed))
        lines += [f"  {c.address}: {describe(c)}" for c in unreviewed]
    if not result.ok:
        lines.append(RETRY)
    return printable("\n".join(lines) + "\n")


def _unreviewed_line(unreviewed: Sequence[ResourceChange]) -> str:
    return (
        f"Not applied: {len(unreviewed)} change(s) a plan made now shows but the reviewed plan "
        "did not (plan again to review them):"
    )


def render_apply_markdown(
    plan: Plan, result: ApplyResult, unreviewed: Sequence[ResourceChange] = ()
) -> str:
    """The apply outcome for a CI job summary: every step applied, failed or not reached."""
    if not plan.steps and not unreviewed:
        return (
            f"### reconciler apply · {code(plan.environment)}\n\n"
            "**No changes: nothing to apply.**\n"
        )
    done = {r.address: r for r in result.results}
    lines = [
        f"### reconciler apply · {code(plan.environment)}",
        "",
        f"**{_head(result)}: {_counts(result)}.**",
        "",
        *([_cell(result.lock_lost), ""] if result.lock_lost is not None else []),
        "| step | action | result |",
        "|---|---|---|",
    ]
    for step in plan.steps:
        item = done.get(step.address)
        status = "not started" if item is None else item.status
        message = f": {item.message}" if item and item.message else ""
        lines.append(
            f"| {_cell_code(step.address)} | {_cell(describe(step))} | {_cell(status + message)} |"
        )
    if unreviewed:
        lines += ["", _unreviewed_line(unreviewed), ""]
        lines += [f"- {code(c.address)}: {_cell(describe(c))}" for c in unreviewed]
    if not result.ok:
        lines += ["", RETRY]
    return printable("\n".join(lines) + "\n")


def render_differences(environment: str, differences: Sequence[Difference]) -> str:
    """Why a reviewed plan was not applied, as text."""
    lines = [
        f"\nThe reviewed plan for {environment!r} no longer agrees with a plan made now; "
        "nothing was applied:"
    ]
    for item in differences:
        lines.append(f"  {item.address}: reviewed: {item.reviewed}; now: {item.now}")
    return "\n".join(lines) + "\n"


def render_differences_markdown(environment: str, differences: Sequence[Difference]) -> str:
    lines = [
        f"### reconciler apply · {code(environment)}",
        "",
        "**Nothing was applied: the reviewed plan no longer agrees with a plan made now.**",
        "",
        "| resource | reviewed | now |",
        "|---|---|---|",
    ]
    lines += [
        f"| {_cell_code(d.address)} | {_cell(d.reviewed)} | {_cell(d.now)} |" for d in differences
    ]
    return "\n".join(lines) + "\n"


def render_refused_markdown(environment: str, message: str) -> str:
    return (
        f"### reconciler apply · {code(environment)}\n\n**Nothing was applied.**\n\n"
        f"{_cell(message)}\n"
    )


def _cell(text: str) -> str:
    """A value in a table cell or list item: its HTML, mentions and markdown made inert."""
    return escape_markdown(text)


def _cell_code(text: str) -> str:
    """A name in a table cell: code, with no ``|`` that would end the cell."""
    return code(text).replace("|", "\\|")
