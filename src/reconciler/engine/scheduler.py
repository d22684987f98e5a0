"""The scheduler: `run_steps` runs plan steps as their dependencies allow.

Up to ``parallelism`` steps run at once, deletes last and one by one; a step whose dependency
failed is skipped, unrelated steps go on; once ``stopping()`` is true no new step starts. The
order the steps come in is the plan's (`reconciler.engine.order`). Nothing here knows what a
step does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from reconciler.core.plan import Action, ResourceChange, StepResult


def blocked_by(change: ResourceChange, failed: set[str]) -> str | None:
    """The first failed or skipped dependency of ``change``, if any."""
    return next((dep for dep in change.depends_on if dep in failed), None)


Run = Callable[[ResourceChange], StepResult]
Notify = Callable[[ResourceChange], None]
Finished = Callable[[ResourceChange, StepResult], None]


def run_steps(
    steps: Sequence[ResourceChange],
    run: Run,
    *,
    parallelism: int = 1,
    started: Notify = lambda _: None,
    finished: Finished = lambda _, __: None,
    stopping: Callable[[], bool] = lambda: False,
) -> tuple[dict[str, StepResult], list[str]]:
    """Run ``steps``; returns the results by address and the addresses never started (because
    ``stopping()`` turned true). ``run`` must not raise: it reports failures as results."""
    slots = max(1, parallelism)
    planned = {s.address for s in steps}
    outcomes: dict[str, StepResult] = {}
    failed: set[str] = set()

    def finish(step: ResourceChange, outcome: StepResult) -> None:
        if outcome.status != "applied":
            failed.add(step.address)
        outcomes[step.address] = outcome
        finished(step, outcome)

    pending = [s for s in steps if s.action is not Action.DELETE]
    running: dict[Future[StepResult], ResourceChange] = {}
    with ThreadPoolExecutor(max_workers=slots) as pool:
        while pending or running:
            for step in list(pending):
                if stopping() or len(running) >= slots:
                    break
                waiting = [d for d in step.depends_on if d in planned and d not in outcomes]
                if waiting:
                    continue
                pending.remove(step)
                started(step)
                blocker = blocked_by(step, failed)
                if blocker is not None:
                    message = f"{blocker} did not apply"
                    finish(step, StepResult(step.address, step.action, "skipped", message))
                else:
                    running[pool.submit(run, step)] = step
            if running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    finish(running.pop(future), future.result())
            elif pending and stopping():
                break
            elif pending:  # every pending step waits on a step that is not in the plan
                raise AssertionError(f"unsatisfiable dependencies: {[s.address for s in pending]}")
    for step in steps:
        if step.action is Action.DELETE and not stopping():
            started(step)
            blocker = blocked_by(step, failed)  # e.g. a moved connection's dependents
            if blocker is not None:
                message = f"{blocker} did not apply"
                finish(step, StepResult(step.address, step.action, "skipped", message))
            else:
                finish(step, run(step))
    not_started = [s.address for s in steps if s.address not in outcomes]
    return outcomes, not_started
