"""A declared connection or datastore deleted by hand: the plan creates it again and says it
was deleted outside reconciler when this project's data shows it was there (no state file)."""

from __future__ import annotations

from reconciler.core.essences import Kind
from reconciler.core.plan import Action, Reason
from reconciler.engine import operations
from reconciler.engine.planner import build_plan
from reconciler.render import markdown, terminal
from tests.core.twin import Twin
from tests.core.values import example
from tests.views import Quiet


def applied() -> Twin:
    twin = Twin()
    request = operations.ApplyRequest(auto_approve=True)
    assert operations.apply_reviewed(example(), twin, request, Quiet()).result.ok
    return twin


def test_a_connection_and_a_datastore_deleted_by_hand_plan_create_and_say_so() -> None:
    twin = applied()
    twin.delete(Kind.CONNECTION, "snowflake")
    twin.delete(Kind.DATASTORE, "rawdata")

    plan = build_plan(example(), twin)

    created = {c.address: c for c in plan.resource_changes if c.action is Action.CREATE}
    assert set(created) == {"connection.snowflake", "datastore.rawdata"}
    owner = example().owner
    assert {a: (c.action_reason, c.reason_detail) for a, c in created.items()} == {
        "connection.snowflake": (
            Reason.DELETED_OUTSIDE,
            f"data asset raw_house_data version 1 of {owner} was imported from it",
        ),
        "datastore.rawdata": (
            Reason.DELETED_OUTSIDE,
            f"data asset raw_house_data version 1 of {owner} was stored on it",
        ),
    }
    text = terminal.render_plan(plan)
    assert (
        "+ datastore.rawdata  create (deleted outside reconciler: data asset raw_house_data "
        f"version 1 of {owner} was stored on it)"
    ) in text
    assert "deleted outside reconciler" in markdown.render_plan(plan)


def test_a_new_resource_is_a_plain_create() -> None:
    plan = build_plan(example(), Twin())

    assert all(c.action_reason is None for c in plan.resource_changes if c.action is Action.CREATE)
