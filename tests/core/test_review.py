"""Does a plan made now agree with the reviewed one, and what of it may be applied
(`Review.restrict`): never a change nobody reviewed."""

from __future__ import annotations

import pytest

from reconciler.core.desired import DesiredResource
from reconciler.core.errors import StalePlanError
from reconciler.engine.planner import build_plan
from reconciler.engine.review import review
from tests.core.test_planner import apply
from tests.core.twin import Twin
from tests.core.values import an_import, changed, connection, datastore, example, state


def connected(target: str) -> DesiredResource:
    return changed(connection(), target=target)


def test_a_plan_agrees_with_itself_and_restricts_to_all_of_it() -> None:
    plan = build_plan(example(), Twin())

    verdict = review(plan, plan)

    assert verdict.agrees and verdict.unreviewed == ()
    assert verdict.restrict(plan) == plan


def test_a_change_made_meanwhile_elsewhere_is_left_out_and_listed() -> None:
    twin = Twin()
    apply(example(), twin)
    reviewed = build_plan(
        state(changed(connection(), target="jdbc:x"), datastore(), an_import()), twin
    )
    fresh = build_plan(
        state(
            changed(connection(), target="jdbc:x"),
            changed(datastore(), description="d"),
            an_import(),
        ),
        twin,
    )

    verdict = review(reviewed, fresh)
    kept = verdict.restrict(fresh)

    assert verdict.agrees
    assert [c.address for c in verdict.unreviewed] == ["datastore.rawdata"]
    assert [c.address for c in kept.steps] == ["connection.snowflake"]
    assert {c.address for c in kept.resource_changes} == {
        "connection.snowflake",
        "import.raw_house_data",
    }


def test_a_reviewed_address_that_now_changes_differently_disagrees() -> None:
    twin = Twin()
    apply(example(), twin)
    reviewed = build_plan(
        state(changed(connection(), target="jdbc:a"), datastore(), an_import()), twin
    )
    fresh = build_plan(
        state(changed(connection(), target="jdbc:b"), datastore(), an_import()), twin
    )

    verdict = review(reviewed, fresh)

    assert not verdict.agrees
    (difference,) = verdict.differences
    assert difference.address == "connection.snowflake"
    assert difference.reviewed == 'update (target: "jdbc:snowflake://acme" → "jdbc:a")'
    assert difference.now == 'update (target: "jdbc:snowflake://acme" → "jdbc:b")'


def test_long_values_that_differ_late_read_differently() -> None:
    """A query reviewed as `>= 2` and planned now as `>= 5`: the two sides of the
    disagreement show where they differ, not the same first 57 characters."""
    twin = Twin()
    apply(example(), twin)
    query = "SELECT PROPERTY_ID, SQUARE_FEET, SALE_PRICE FROM GLOBOREALTY.REAL_ESTATE.RAW "
    reviewed = build_plan(
        state(connection(), datastore(), an_import(query=query + "WHERE B >= 2")), twin
    )
    fresh = build_plan(
        state(connection(), datastore(), an_import(query=query + "WHERE B >= 5")), twin
    )

    (difference,) = review(reviewed, fresh).differences

    assert difference.reviewed != difference.now
    assert "WHERE B >= 2" in difference.reviewed and "WHERE B >= 5" in difference.now
    assert "WHERE B >= 5" not in difference.reviewed


def test_an_address_that_converged_meanwhile_needs_nothing() -> None:
    twin = Twin()
    reviewed = build_plan(example(), twin)
    apply(example(), twin)

    verdict = review(reviewed, build_plan(example(), twin))

    assert verdict.agrees and verdict.to_apply == ()


def test_a_secret_compared_at_apply_may_have_rotated() -> None:
    twin = Twin()
    apply(example(), twin)
    reviewed = build_plan(example(secrets=False), twin)  # a review without secrets
    fresh = build_plan(example(password="pw-rotated-secret-9"), twin)

    verdict = review(reviewed, fresh)

    assert verdict.agrees
    assert [c.address for c in verdict.restrict(fresh).steps] == ["connection.snowflake"]


def test_a_plan_for_another_environment_is_refused() -> None:
    plan = build_plan(example(), Twin())
    other = build_plan(example(environment="prod"), Twin())
    with pytest.raises(StalePlanError, match="--env dev"):
        review(plan, other)
