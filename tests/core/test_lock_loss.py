"""A lost apply lock stops the apply before its next write (issue 21, item 3): the engine asks
the lock's guard before each step, a write that finds it lost fails with nothing sent, and the
outcome says why it stopped. On the in-memory twin, whose lock is lost after N writes."""

from __future__ import annotations

from reconciler.engine import operations
from reconciler.render.apply import render_apply_summary
from tests.core.twin import Twin
from tests.core.values import example
from tests.views import Quiet


def apply_with_lock(twin: Twin, parallelism: int = 1) -> operations.Applied:
    request = operations.ApplyRequest(auto_approve=True, parallelism=parallelism)
    return operations.apply_reviewed(example(), twin, request, Quiet())


def test_a_lock_lost_after_a_step_starts_no_further_step() -> None:
    twin = Twin(lock_lost_after=1)

    result = apply_with_lock(twin).result

    assert twin.writes == ["put connection.snowflake"]  # nothing after the loss
    assert [(r.address, r.status) for r in result.results] == [("connection.snowflake", "applied")]
    assert result.not_started == ["datastore.rawdata", "import.raw_house_data"]
    assert not result.ok
    assert result.lock_lost is not None and "apply lock was lost" in result.lock_lost
    text = render_apply_summary(result)
    head = "Apply stopped: the lock was lost: 1 applied, 0 failed, 0 skipped, 2 not started."
    assert head in text
    assert "the apply lock was lost: lost after 1 write(s)" in text


def test_a_lock_lost_before_the_first_step_writes_nothing() -> None:
    twin = Twin(lock_lost_after=0)

    result = apply_with_lock(twin, parallelism=4).result

    assert twin.writes == []
    assert result.results == []  # no step ran: the CLI exits 1
    assert len(result.not_started) == 3
    assert result.lock_lost is not None
