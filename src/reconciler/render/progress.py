"""Apply's visible progress (one line per step, a live row counter for imports) and summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from reconciler.apply import ApplyResult, StepResult
from reconciler.plan import Plan, ResourceChange
from reconciler.render.common import describe

_SYMBOL = {"applied": "✓", "failed": "✗", "skipped": "↷"}


class ConsoleReporter:
    """Writes through ``out`` (which redacts secrets). On a terminal, a running import shows a
    progress bar (rich) with the rows imported so far and the rate; the total is unknown until
    the query ends, so the bar pulses rather than fills."""

    def __init__(
        self,
        out: Callable[[str], None],
        *,
        color: bool = False,
        redact: Callable[[str], str] = str,
    ) -> None:
        self._write = out
        self._redact = redact
        self._started: dict[str, float] = {}
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        if sys.stdout.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,.0f} rows"),
                TextColumn("{task.fields[rate]}"),
                console=Console(no_color=not color),
                transient=True,
            )
            self._progress.start()

    def _out(self, text: str) -> None:
        if self._progress is None:
            self._write(text)
        else:  # print above the live bar (rich keeps the bar below)
            self._progress.console.print(
                self._redact(text.rstrip("\n")), markup=False, highlight=False, soft_wrap=True
            )

    def step_started(self, step: ResourceChange) -> None:
        self._started[step.address] = time.monotonic()
        self._out(f"  {step.address}: {describe(step)} …\n")

    def step_progress(self, step: ResourceChange, rows: int) -> None:
        if self._progress is None:
            return
        seconds = max(time.monotonic() - self._started.get(step.address, 0.0), 1e-6)
        rate = f"{rows / seconds:,.0f} rows/s"
        task = self._tasks.get(step.address)
        if task is None:
            task = self._tasks[step.address] = self._progress.add_task(
                step.address, total=None, rate=rate
            )
        self._progress.update(task, completed=rows, rate=rate)

    def step_finished(self, step: ResourceChange, result: StepResult) -> None:
        task = self._tasks.pop(step.address, None)
        if task is not None:
            self._progress.remove_task(task)
        seconds = time.monotonic() - self._started.get(step.address, time.monotonic())
        detail = f": {result.message}" if result.message else ""
        symbol = _SYMBOL[result.status]
        self._out(f"  {symbol} {step.address} {result.status} ({seconds:.1f}s){detail}\n")

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


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
        lines.append(
            "Fix the cause, then plan and apply again: the new plan finishes what is left."
        )
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
