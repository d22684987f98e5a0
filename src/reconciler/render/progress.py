"""Apply's visible progress (one line per step, a live row counter for imports) and summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from reconciler.apply import ApplyResult, StepResult
from reconciler.plan import Plan, ResourceChange
from reconciler.render.common import describe

_SYMBOL = {"applied": "✓", "failed": "✗", "skipped": "↷"}


class ConsoleReporter:
    """Writes through ``out`` (which redacts secrets). Shows a live row counter on a TTY."""

    def __init__(self, out: Callable[[str], None], *, color: bool = False) -> None:
        self._out = out
        self._live = sys.stderr.isatty()
        self._started = 0.0
        self._last_draw = 0.0

    def step_started(self, step: ResourceChange) -> None:
        self._started = time.monotonic()
        self._out(f"  {step.address}: {describe(step)} …\n")

    def step_progress(self, step: ResourceChange, rows: int) -> None:
        now = time.monotonic()
        if self._live and now - self._last_draw > 0.1:
            self._last_draw = now
            rate = rows / max(now - self._started, 1e-6)
            sys.stderr.write(f"\r    {rows:,} rows imported ({rate:,.0f} rows/s)   ")
            sys.stderr.flush()

    def step_finished(self, step: ResourceChange, result: StepResult) -> None:
        if self._live and self._last_draw:
            sys.stderr.write("\r" + " " * 60 + "\r")
            self._last_draw = 0.0
        seconds = time.monotonic() - self._started
        detail = f": {result.message}" if result.message else ""
        self._out(
            f"  {_SYMBOL[result.status]} {step.address} {result.status} ({seconds:.1f}s){detail}\n"
        )

    def close(self) -> None:
        pass


def render_apply_summary(result: ApplyResult) -> str:
    applied, failed, skipped = (
        result.count("applied"),
        result.count("failed"),
        result.count("skipped"),
    )
    head = "Apply complete" if result.ok else "Apply failed part-way"
    lines = [f"\n{head}: {applied} applied, {failed} failed, {skipped} skipped."]
    for item in result.results:
        if item.status != "applied":
            lines.append(f"  {item.status}: {item.address}: {item.message}")
    if not result.ok:
        lines.append("Fix the cause and run apply again: it re-plans and finishes what is left.")
    return "\n".join(lines) + "\n"


def render_apply_markdown(plan: Plan, result: ApplyResult) -> str:
    """The apply outcome for a CI job summary: every step applied, failed or not reached."""
    done = {r.address: r for r in result.results}
    head = "Apply complete" if result.ok else "Apply failed part-way"
    lines = [
        f"### reconciler apply · `{plan.environment}`",
        "",
        f"**{head}: {result.count('applied')} applied, {result.count('failed')} failed, "
        f"{result.count('skipped')} skipped.**",
        "",
        "| step | action | result |",
        "|---|---|---|",
    ]
    for step in plan.steps:
        item = done.get(step.address)
        status = "pending" if item is None else item.status
        message = f": {item.message}" if item and item.message else ""
        cell = f"{status}{message}".replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{step.address}` | {describe(step)} | {cell} |")
    return "\n".join(lines) + "\n"
