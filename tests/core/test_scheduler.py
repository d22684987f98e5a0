"""The plan's order, and the scheduler that runs its steps: dependencies first, up to N at once,
a failure skipping only what depends on it, deletions last one by one, Ctrl-C starting no more."""

from __future__ import annotations

import threading
import time

from reconciler.core.essences import Kind
from reconciler.core.plan import Action, Change, ResourceChange, StepResult
from reconciler.engine.order import order
from reconciler.engine.scheduler import run_steps


def step(address: str, action: Action = Action.CREATE, *depends: str) -> ResourceChange:
    kind, name = address.split(".")
    return ResourceChange(
        address=address, type=Kind(kind), name=name, action=action, change=Change(),
        depends_on=depends,
    )  # fmt: skip


def ok(change: ResourceChange) -> StepResult:
    return StepResult(change.address, change.action, "applied")


def test_the_order_is_by_kind_then_name_with_deletes_last_in_reverse() -> None:
    mixed = [
        step("import.b", Action.MATERIALIZE),
        step("connection.z", Action.DELETE),
        step("datastore.a"),
        step("connection.a"),
        step("datastore.q", Action.DELETE),
    ]
    assert [c.address for c in order(mixed)] == [
        "connection.a",
        "datastore.a",
        "import.b",
        "datastore.q",
        "connection.z",
    ]


def test_a_step_waits_for_its_dependencies_and_independent_steps_overlap() -> None:
    seen: list[str] = []
    together = threading.Barrier(2, timeout=5)

    def run(change: ResourceChange) -> StepResult:
        if change.address in ("connection.a", "connection.b"):
            together.wait()  # both run at once, or this times out
        seen.append(change.address)
        return ok(change)

    steps = [
        step("connection.a"),
        step("connection.b"),
        step("import.c", Action.MATERIALIZE, "connection.a", "connection.b"),
    ]
    results, not_started = run_steps(steps, run, parallelism=2)

    assert seen[-1] == "import.c" and not not_started
    assert all(r.status == "applied" for r in results.values())


def test_a_failure_skips_its_dependents_and_nothing_else() -> None:
    def run(change: ResourceChange) -> StepResult:
        if change.address == "connection.a":
            return StepResult(change.address, change.action, "failed", "refused")
        return ok(change)

    steps = [
        step("connection.a"),
        step("datastore.d"),
        step("import.i", Action.MATERIALIZE, "connection.a", "datastore.d"),
        step("import.j", Action.MATERIALIZE, "datastore.d"),
    ]
    results, _ = run_steps(steps, run, parallelism=4)

    assert {a: r.status for a, r in results.items()} == {
        "connection.a": "failed",
        "datastore.d": "applied",
        "import.i": "skipped",
        "import.j": "applied",
    }
    assert results["import.i"].message == "connection.a did not apply"


def test_deletes_run_last_one_at_a_time() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def run(change: ResourceChange) -> StepResult:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return ok(change)

    deletes = [step(f"connection.c{i}", Action.DELETE) for i in range(3)]
    results, _ = run_steps([step("datastore.d"), *deletes], run, parallelism=8)

    assert next(iter(results)) == "datastore.d" and most == 1


def test_once_stopping_no_new_step_starts_and_the_rest_is_not_started() -> None:
    stop = threading.Event()

    def run(change: ResourceChange) -> StepResult:
        stop.set()  # Ctrl-C while the first step runs
        return ok(change)

    steps = [step("connection.a"), step("connection.b"), step("connection.c", Action.DELETE)]
    results, not_started = run_steps(steps, run, parallelism=1, stopping=stop.is_set)

    assert list(results) == ["connection.a"]
    assert not_started == ["connection.b", "connection.c"]
