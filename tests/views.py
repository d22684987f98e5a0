"""An `ApplyView` that shows nothing and confirms everything: for tests that call the engine's
operations directly, as the CLI does with its console view."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from reconciler.core.plan import ApplyResult, Plan, ResourceChange, StepResult
from reconciler.engine.checks import SourceReport


@dataclass
class Quiet:
    """Records what an apply showed (the plans, the steps' results), prints nothing."""

    shown: list[Plan] = field(default_factory=list)
    finished: list[StepResult] = field(default_factory=list)
    stop: bool = False  # as after a first Ctrl-C: no new step starts

    def planned(self, fresh: Plan) -> None: ...

    def to_apply(self, plan: Plan) -> None:
        self.shown.append(plan)

    def sources_checked(self, report: SourceReport) -> None: ...

    def confirm(self, plan: Plan) -> bool:
        return True

    @contextmanager
    def running(self) -> Iterator[Quiet]:
        yield self

    def applied(
        self, plan: Plan, result: ApplyResult, unreviewed: tuple[ResourceChange, ...]
    ) -> None: ...

    def waiting(self, running: Mapping[str, str]) -> None: ...

    def step_started(self, step: ResourceChange) -> None: ...

    def step_progress(self, step: ResourceChange, rows: int) -> None: ...

    def step_finished(self, step: ResourceChange, result: StepResult) -> None:
        self.finished.append(result)

    def stopping(self) -> bool:
        return self.stop
