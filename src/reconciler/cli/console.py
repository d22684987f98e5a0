"""Apply's visible progress on the console: one line per step, a live row counter for imports.

Writes through ``out`` (which redacts secrets). On a terminal, a running import shows a
progress bar (rich) with the rows imported so far and the rate; the total is unknown until the
query ends, so the bar pulses rather than fills.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from reconciler.core.plan import ResourceChange, StepResult
from reconciler.render.apply import SYMBOL
from reconciler.render.common import describe


class ConsoleReporter:
    def __init__(
        self,
        out: Callable[[str], None],
        *,
        color: bool = False,
        redact: Callable[[str], str] = str,
    ) -> None:
        self._write = out
        self._redact = redact
        self._lock = threading.Lock()
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
        with self._lock:
            if self._progress is None:
                self._write(text)
            else:  # print above the live bar (rich keeps the bar below)
                self._progress.console.print(
                    self._redact(text.rstrip("\n")), markup=False, highlight=False, soft_wrap=True
                )

    def note(self, text: str) -> None:
        self._out(text)

    def step_started(self, step: ResourceChange) -> None:
        self._started[step.address] = time.monotonic()
        self._out(f"  {step.address}: {describe(step)} …\n")

    def step_progress(self, step: ResourceChange, rows: int) -> None:
        if self._progress is None:
            return
        seconds = max(time.monotonic() - self._started.get(step.address, 0.0), 1e-6)
        rate = f"{rows / seconds:,.0f} rows/s"
        with self._lock:
            task = self._tasks.get(step.address)
            if task is None:
                task = self._tasks[step.address] = self._progress.add_task(
                    step.address, total=None, rate=rate
                )
            self._progress.update(task, completed=rows, rate=rate)

    def step_finished(self, step: ResourceChange, result: StepResult) -> None:
        with self._lock:
            task = self._tasks.pop(step.address, None)
            if task is not None:
                self._progress.remove_task(task)
        seconds = time.monotonic() - self._started.get(step.address, time.monotonic())
        detail = f": {result.message}" if result.message else ""
        symbol = SYMBOL[result.status]
        self._out(f"  {symbol} {step.address} {result.status} ({seconds:.1f}s){detail}\n")

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
