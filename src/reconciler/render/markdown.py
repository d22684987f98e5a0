"""The plan as a GitHub pull-request comment. Pure: returns a string.

The summary line stays visible, details fold into ``<details>`` per resource, deletions and
replacements are called out above the fold, and so are the schedules and jobs that take the
new version of data the plan changes (``@latest`` readers); a mermaid picture shows what changes,
what depends on it and who reads it. The whole comment stays under `LIMIT` characters (GitHub
refuses comments over 65,536) with a visible note when it was cut. Values from the workspace
(names, references) are shown in code spans or fenced blocks, where GitHub neither renders HTML
nor turns ``@name`` into a mention, or escaped (`escape_markdown`); a plan file may have been
written by a pull request, so every one of them, the environment and workspace included, and
none of our comment markers survives in one.
"""

from __future__ import annotations

from reconciler.core.plan import Action, Plan, ResourceChange
from reconciler.render import mermaid
from reconciler.render.common import (
    MARKERS,
    NO_SECRETS_NOTE,
    break_markers,
    code,
    context_lines,
    describe,
    escape_markdown,
    fence_for,
    field_lines,
    not_converged_note,
    orphan_line,
    printable,
    targeted_note,
    visible,
)
from reconciler.render.consumers import consumer_lines, effect, latest_readers, who
from reconciler.render.policy import markdown_lines

LIMIT = 60_000
RISKY_LISTED = 20
LATEST_LISTED = 10
MARKER_COMMENT = "<!-- reconciler-plan:{environment} -->"


def render_plan(
    plan: Plan,
    *,
    limit: int = LIMIT,
    full_plan_hint: str | None = None,
    marker: str | None = None,
    title: str | None = None,
    policy_note: str | None = None,
) -> str:
    """``marker`` and ``title`` replace the first line (the comment's marker) and the name in
    the heading (e.g. a project's folder and environment); ``policy_note`` stands where the
    policy section would (for a plan whose policy results are not shown)."""
    head = [
        marker
        or MARKER_COMMENT.format(environment=escape_markdown(plan.environment, in_html=True)),
        f"### reconciler plan · {code(title or plan.environment)}",
        "",
        f"**{plan.summary_line}**",
        "",
        *([f"**{escape_markdown(note)}**", ""] if (note := not_converged_note(plan)) else []),
        f"Workspace: {code(plan.workspace)}",
        "",
    ]
    if not plan.secrets_compared:
        head += [f"_{NO_SECRETS_NOTE}_", ""]
    if (targeted := targeted_note(plan)) is not None:
        head += [f"**{escape_markdown(targeted)}**", ""]
    if plan.policy is not None:
        head += markdown_lines(plan.policy)
    elif policy_note is not None:
        head += ["> [!NOTE]", f"> {escape_markdown(policy_note)}", ""]
    risky = [c for c in plan.resource_changes if c.action in (Action.DELETE, Action.REPLACE)]
    if risky:  # as many as the summary's "to replace" and "to destroy"
        head += ["> [!WARNING]", f"> This plan deletes or replaces {len(risky)} resource(s):"]
        head += _listed([f"{code(c.address)}: {c.action.value}{_read_by(c)}" for c in risky])
    archived = [c for c in plan.resource_changes if c.action is Action.ARCHIVE]
    if archived:  # counted among the summary's "to change": nothing is deleted
        head += [
            "> [!NOTE]",
            f"> This plan archives {len(archived)} data asset(s) (counted as changes: every "
            "version is kept, and restored when declared again):",
        ]
        head += _listed([f"{code(c.address)}{_read_by(c)}" for c in archived])
    if plan.orphans:
        head += ["> [!CAUTION]", "> Drift: managed here but no longer declared:"]
        head += [
            f"> - {code(o.address)}: "
            + escape_markdown(orphan_line(o.address, o.with_prune).split(": ", 1)[1])
            for o in plan.orphans
        ]
        head.append("")
    head += _latest_readers(plan)
    head += _picture(plan)
    shown = visible(plan.resource_changes)
    head_text = "\n".join(head) + "\n"
    tail = _tail(plan, len(plan.resource_changes) - len(shown))
    blocks = [_block(plan, change) for change in shown]
    return printable(_fit(head_text, blocks, tail, limit, full_plan_hint))


def _listed(items: list[str]) -> list[str]:
    lines = [f"> - {item}" for item in items[:RISKY_LISTED]]
    if len(items) > RISKY_LISTED:
        lines.append(f"> - … and {len(items) - RISKY_LISTED} more (see below)")
    return [*lines, ""]


def _block(plan: Plan, change: ResourceChange) -> str:
    lines = [f"{change.address}: {describe(change)}"]
    lines += [f"    {line}" for line in field_lines(plan, change)]
    lines += [f"    {line}" for line in context_lines(change)]
    lines += [f"    {line}" for line in consumer_lines(plan, change)]
    lines = [break_markers(line).replace("\r", "") for line in lines]
    fence = fence_for("\n".join(lines))
    marker, what = MARKERS[change.action], escape_markdown(describe(change), in_html=True)
    summary = f"{marker} <code>{escape_markdown(change.address, in_html=True)}</code> {what}"
    return (
        f"<details><summary>{summary}</summary>\n\n{fence}diff\n"
        + "\n".join(_diff_prefix(change, line) for line in lines)
        + f"\n{fence}\n\n</details>\n"
    )


def _diff_prefix(change: ResourceChange, line: str) -> str:
    if change.action in (Action.CREATE, Action.MATERIALIZE):
        return "+ " + line
    if change.action is Action.DELETE:
        return "- " + line
    return "! " + line


def _tail(plan: Plan, unchanged: int) -> str:
    lines = []
    if unchanged:
        lines.append(f"{unchanged} resource(s) unchanged.")
    if plan.ignored:
        lines.append("")
        lines.append("<details><summary>Ignored resources</summary>\n")
        lines += [f"- {code(i.address)}: {escape_markdown(i.reason)}" for i in plan.ignored]
        lines.append("\n</details>")
    return ("\n" + "\n".join(lines) + "\n") if lines else ""


def _fit(head: str, blocks: list[str], tail: str, limit: int, hint: str | None) -> str:
    total = head + "".join(blocks) + tail
    if len(total) <= limit:
        return total
    where = hint or "run `reconcile plan` or download the plan artifact for the full plan"
    kept: list[str] = []
    size = len(head) + len(tail) + 400 + len(where)
    for block in blocks:
        if size + len(block) > limit:
            break
        kept.append(block)
        size += len(block)
    note = (
        f"\n> [!NOTE]\n> Truncated: {len(blocks) - len(kept)} of {len(blocks)} changed "
        f"resources are not shown here to stay under GitHub's comment size limit; {where}.\n"
    )
    return head + "".join(kept) + note + tail


def _read_by(change: ResourceChange) -> str:
    count = len(change.consumers)
    return f" (read by {count} consumer{'s' if count != 1 else ''})" if count else ""


def _latest_readers(plan: Plan) -> list[str]:
    """Above the fold: who takes the new version of data this plan changes."""
    found = latest_readers(plan)
    if not found:
        return []
    lines = ["> [!IMPORTANT]", "> The new data reaches these consumers (they read `@latest`):"]
    for change, consumer in found[:LATEST_LISTED]:
        facts = escape_markdown(who(consumer).removeprefix(consumer.address).strip())
        lines.append(
            f"> - {code(consumer.address)} {facts} reads {code(consumer.reference)}: "
            f"{escape_markdown(effect(change, consumer))}"
        )
    if len(found) > LATEST_LISTED:
        lines.append(f"> - … and {len(found) - LATEST_LISTED} more (see below)")
    return [*lines, ""]


def _picture(plan: Plan) -> list[str]:
    drawn = mermaid.picture(plan)
    if drawn.text is None:
        if drawn.nodes:
            return [
                f"_The picture of this plan is left out: {drawn.nodes} resources and consumers "
                f"(more than {mermaid.HARD_LIMIT})._",
                "",
            ]
        return []
    text = break_markers(drawn.text)  # names from the workspace: none reads as our marker
    fence = fence_for(text)
    block = [f"{fence}mermaid", text, fence, ""]
    if drawn.nodes <= mermaid.OPEN_LIMIT:
        return block
    summary = f"Picture: {drawn.nodes} resources and consumers"
    return [f"<details><summary>{summary}</summary>", "", *block, "</details>", ""]
