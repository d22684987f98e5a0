"""The plan and the apply summary for a terminal, with rich. Pure: returns a string."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from reconciler.core.plan import Action, Plan
from reconciler.core.policy import Decision, Level, PolicyReport
from reconciler.render.common import (
    MARKERS,
    NO_SECRETS_NOTE,
    context_lines,
    describe,
    field_lines,
    not_converged_note,
    orphan_line,
    printable,
    targeted_note,
    visible,
)
from reconciler.render.consumers import consumer_lines
from reconciler.render.policy import ordered, result_line, verdict

_STYLES = {
    Action.CREATE: "green",
    Action.MATERIALIZE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
    Action.ARCHIVE: "yellow",
    Action.IN_PROGRESS: "cyan",
    Action.NOOP: "dim",
    Action.MOVE: "cyan",
    Action.FORGET: "yellow",
}


def render_plan(plan: Plan, *, color: bool = False, width: int = 100) -> str:
    out = _Printable()
    out.append(f"Environment {plan.environment} · workspace {plan.workspace}\n\n", style="bold")
    shown = visible(plan.resource_changes)
    for change in shown:
        style = _STYLES[change.action]
        out.append(f"  {MARKERS[change.action]} {change.address}", style=f"bold {style}")
        out.append(f"  {describe(change)}\n", style=style)
        for line in field_lines(plan, change):
            out.append(f"      {line}\n")
        for line in context_lines(change):
            out.append(f"      {line}\n", style="dim")
        for line in consumer_lines(plan, change):
            out.append(f"      {line}\n", style="bold" if change.consumers else "dim")
    unchanged = len(plan.resource_changes) - len(shown)
    if shown:
        out.append("\n")
    if unchanged:
        out.append(f"  {unchanged} resource(s) unchanged.\n", style="dim")
    if plan.ignored:
        out.append("  Ignored:\n", style="dim")
        for item in plan.ignored:
            out.append(f"    {item.address}  ({item.reason})\n", style="dim")
    if plan.orphans:
        out.append("  Drift: managed here but no longer declared:\n", style="bold red")
        for orphan in plan.orphans:
            out.append(f"    {orphan_line(orphan.address, orphan.with_prune)}\n", style="red")
    if unchanged or plan.ignored or plan.orphans:
        out.append("\n")
    if plan.policy is not None:
        _policy(out, plan.policy)
    if not plan.secrets_compared:
        out.append(NO_SECRETS_NOTE + "\n", style="dim")
    if (targeted := targeted_note(plan)) is not None:
        out.append(targeted + "\n", style="bold yellow")
    out.append(plan.summary_line + "\n", style="bold")
    note = not_converged_note(plan)
    if note:
        out.append(note + "\n", style="bold cyan")
    return _export(out, color, width)


_LEVEL_STYLES = {Level.HARD: "bold red", Level.SOFT: "yellow", Level.ADVISORY: "cyan"}
_DECISION_STYLES = {
    Decision.PASSED: "green",
    Decision.OVERRIDDEN: "bold yellow",
    Decision.SOFT_FAILED: "bold yellow",
    Decision.HARD_FAILED: "bold red",
}


def _policy(out: _Printable, report: PolicyReport) -> None:
    for result in ordered(report):
        out.append(f"  {result_line(result)}\n", style=_LEVEL_STYLES[result.level])
    out.append(verdict(report) + "\n\n", style=_DECISION_STYLES[report.decision])


class _Printable:
    """Pieces of styled text, each made `printable` first (live values reach the plan); rich
    styles them only when color is asked for (building rich text for 10,000 changes took
    seconds, for the same characters)."""

    def __init__(self) -> None:
        self.pieces: list[tuple[str, str | None]] = []

    def append(self, text: str, style: str | None = None) -> _Printable:
        self.pieces.append((printable(text), style))
        return self


def _export(out: _Printable, color: bool, width: int) -> str:
    if not color:
        return "".join(text for text, _ in out.pieces)
    text = Text()
    for piece, style in out.pieces:
        text.append(piece, style)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=width,
        soft_wrap=True,
        highlight=False,
        emoji=False,
    )
    console.print(text, end="")
    return buffer.getvalue()
