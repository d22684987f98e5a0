"""What the commands print: the plan in a chosen format, and an apply as it goes.

`ConsoleApplyView` is the CLI's `reconciler.engine.operations.ApplyView`: it shows the plan,
asks for confirmation on a terminal, shows each step (`ConsoleReporter`) while Ctrl-C and
``--timeout`` are handled (`reconciler.cli.signals`), and writes the ``--fresh-plan-out`` and
``--summary-file`` files. The text itself comes from the pure renderers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click

from reconciler.cli.console import ConsoleReporter
from reconciler.cli.session import Session
from reconciler.cli.signals import after_steps, interruptible
from reconciler.core.errors import ReconcileError
from reconciler.core.live import ImportJob, JobStatus
from reconciler.core.plan import ApplyResult, Plan, ResourceChange, StepResult
from reconciler.engine.checks import SourceReport
from reconciler.engine.operations import Steps


def render_plan(plan: Plan, fmt: str, session: Session) -> str:
    if fmt == "json":
        return plan.to_json()
    if fmt == "markdown":
        from reconciler.render.markdown import render_plan as markdown

        return markdown(plan)
    from reconciler.render.terminal import render_plan as terminal

    return terminal(plan, color=session.color and _wants_color())


def _wants_color() -> bool:
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def sources_text(report: SourceReport, fmt: str = "text") -> str:
    """What the source checks learned (nothing to say when they learned nothing), in the
    plan's format: a markdown list under a markdown plan (JSON output has no room for it:
    callers print the text form on stderr)."""
    if not report.sizes:
        return ""
    if fmt == "markdown":
        items = [f"- `import.{name}`: ok, {size.describe()}" for name, size in report.sizes.items()]
        return "\n**Source checks passed:**\n\n" + "\n".join(items) + "\n"
    lines = [f"  import.{name}: ok, {size.describe()}" for name, size in report.sizes.items()]
    return "\nSource checks passed:\n" + "\n".join(lines) + "\n"


def waited_text(ended: Mapping[str, ImportJob]) -> tuple[str, bool]:
    """How the imports apply waited for ended, and whether one did not complete."""
    lines, failed = [], False
    for name, job in sorted(ended.items()):
        rows = f", {job.rows:,} rows" if job.rows is not None else ""
        detail = f": {job.error}" if job.error else ""
        lines.append(f"  import.{name}: job {job.id} {job.status.lower()}{rows}{detail}\n")
        failed = failed or job.status is not JobStatus.COMPLETED
    if failed:
        lines.append("Fix the cause, then plan and apply again: the failed import is retried.\n")
    return "".join(lines), failed


def _nothing() -> None:
    pass


@dataclass
class _Steps:
    """The console's progress of the steps, and whether to start no more."""

    reporter: ConsoleReporter
    stop: Callable[[], bool]

    def step_started(self, step: ResourceChange) -> None:
        self.reporter.step_started(step)

    def step_progress(self, step: ResourceChange, rows: int) -> None:
        self.reporter.step_progress(step, rows)

    def step_finished(self, step: ResourceChange, result: StepResult) -> None:
        self.reporter.step_finished(step, result)

    def stopping(self) -> bool:
        return self.stop()


@dataclass
class ConsoleApplyView:
    session: Session
    summary: Path | None = None  # --summary-file
    fresh_out: Path | None = None  # --fresh-plan-out
    _settle: Callable[[], None] = field(default=_nothing, repr=False)
    _fresh: Plan | None = field(default=None, repr=False)

    def planned(self, fresh: Plan) -> None:
        self._fresh = fresh
        if self.fresh_out is not None:
            self.session.write_plan(self.fresh_out, fresh)

    def to_apply(self, plan: Plan) -> None:
        if not plan.steps and self._fresh is not None and self._fresh.steps:
            # a reviewed plan's agreed part is empty, but the workspace does not match: never
            # "No changes" above the list of what was left unapplied
            self.session.out("Nothing the reviewed plan agreed on is left to apply.\n")
            return
        self.session.out(render_plan(plan, "text", self.session))

    def sources_checked(self, report: SourceReport) -> None:
        self.session.out(sources_text(report))

    def confirm(self, plan: Plan) -> bool:
        if not sys.stdin.isatty():
            raise ReconcileError(
                "apply needs confirmation, but no terminal is attached",
                hint="review the plan and pass --auto-approve, or apply a saved plan file",
            )
        if click.confirm("\nApply these changes?", default=False):
            return True
        self.session.out("Apply cancelled; nothing was changed.\n")
        return False

    @contextmanager
    def running(self) -> Iterator[Steps]:
        session = self.session
        session.out("\n")
        reporter = ConsoleReporter(session.out, color=session.color, redact=session.redact)
        try:
            with interruptible(reporter.note) as stopping:
                yield _Steps(reporter, stopping)
        finally:
            reporter.close()
            self._settle = after_steps(lambda text: session.out(text, err=True))

    def close(self) -> None:
        """At the end of the command: Ctrl-C is Ctrl-C again."""
        self._settle()
        self._settle = _nothing

    def applied(
        self, plan: Plan, result: ApplyResult, unreviewed: tuple[ResourceChange, ...]
    ) -> None:
        from reconciler.render.apply import render_apply_markdown, render_apply_summary

        if plan.steps or unreviewed:
            self.session.out(render_apply_summary(result, unreviewed))
        if self.summary is not None:
            self.session.write_text(self.summary, render_apply_markdown(plan, result, unreviewed))

    def waiting(self, running: Mapping[str, str]) -> None:
        self.session.out(
            f"\nWaiting for {len(running)} running import(s): {', '.join(running)} …\n"
        )
