"""Schedules as resources of their own (issue 17 item 5): a name, export whether or not they
ran, adoption by name, and no second schedule importing the same asset twice. Both providers."""

from __future__ import annotations

import pytest
import yaml

from reconciler.config import desired_state
from reconciler.core.errors import ConfigError
from reconciler.core.essences import Kind, ScheduleEssence, narrow
from reconciler.engine import operations
from tests.providers.conftest import Harness
from tests.providers.test_contract import GLOBOREALTY, write_globorealty

UNSCHEDULED = GLOBOREALTY[: GLOBOREALTY.index("    schedule:")]


def _hand_made_schedule(h: Harness, name: str, asset: str) -> None:
    """A schedule made outside reconciler (no reconciler tags) for ``asset``, as declared."""
    scheduled = GLOBOREALTY.replace("raw_house_data:", f"{asset}:")
    h.write(scheduled)
    desired = desired_state(h.root, "test", with_secrets=False)
    (schedule,) = desired.of_kind(Kind.SCHEDULE)
    essence = narrow(schedule.essence, ScheduleEssence)
    h.workspace().put(Kind.SCHEDULE, name, essence, {}, {})


def _changes(h: Harness) -> dict[str, str]:
    return {c.address: c.action.value for c in h.plan().resource_changes if c.is_change}


def test_schedules_are_exported_named_adopted_and_never_doubled(harness: Harness) -> None:
    write_globorealty(harness)
    harness.write(UNSCHEDULED)
    assert harness.apply().ok
    _hand_made_schedule(harness, "nightly-houses", "raw_house_data")
    _hand_made_schedule(harness, "listings-weekly", "listings")  # an import that never ran

    exported = yaml.safe_load(operations.export_workspace(harness.workspace()).text)
    imports = exported["imports"]
    assert imports["raw_house_data"]["schedule"]["name"] == "nightly-houses"
    assert imports["listings"]["schedule"]["name"] == "listings-weekly"
    assert imports["listings"]["schedule"]["trigger"]["expression"] == "0 3 * * *"

    harness.write(GLOBOREALTY)  # the default name: a second schedule of the same import
    with pytest.raises(ConfigError) as refused:
        harness.plan()
    text = str(refused.value.problems[0])
    assert "schedule nightly-houses already imports data asset raw_house_data" in text
    assert "write name: nightly-houses under this schedule" in text

    named = GLOBOREALTY.replace("    schedule:\n", "    schedule:\n      name: nightly-houses\n")
    harness.write(named)
    plan = harness.plan()
    (adopted,) = [c for c in plan.resource_changes if c.is_change]
    assert (adopted.address, adopted.action.value, adopted.action_reason) == (
        "schedule.nightly-houses",
        "update",
        "adopt_unmanaged",
    )
    assert harness.apply().ok
    assert not harness.plan().has_changes

    harness.write(named.replace("name: nightly-houses", "name: houses-nightly"))  # a rename
    assert _changes(harness) == {
        "schedule.houses-nightly": "create",
        "schedule.nightly-houses": "delete",
    }
    assert harness.apply().ok
    assert not harness.plan().has_changes
    names = {r.name for r in harness.workspace().list_resources(Kind.SCHEDULE)}
    assert names == {"houses-nightly", "listings-weekly"}
