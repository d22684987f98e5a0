"""``moved:`` and ``removed:`` on both providers (issue 17 items 2 and 3): a rename keeps the
data, a removal leaves the resource in place and unmanaged."""

from __future__ import annotations

from reconciler.core.essences import Kind
from reconciler.core.plan import Action
from reconciler.core.vocabulary import MANAGED_BY_TAG, MOVED_FROM_TAG, MOVED_TO_TAG, OWNER_TAG
from tests.providers.conftest import Harness
from tests.providers.test_contract import GLOBOREALTY, write_globorealty

RENAMED = GLOBOREALTY.replace("  raw_house_data:\n", "  house_sales:\n") + (
    "moved:\n  - from: import.raw_house_data\n    to: import.house_sales\n"
)


def _changes(h: Harness) -> dict[str, tuple[str, str | None]]:
    return {
        c.address: (c.action.value, c.previous_address)
        for c in h.plan().resource_changes
        if c.is_change
    }


def test_a_moved_import_plans_no_query_and_copies_no_data(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    (before,) = harness.workspace().list_assets(["raw_house_data"])
    harness.write(RENAMED)

    plan = harness.plan()

    assert _changes(harness) == {
        "import.house_sales": ("move", "import.raw_house_data"),
        "schedule.house_sales-schedule": ("create", None),
        "schedule.raw_house_data-schedule": ("delete", None),
    }
    assert not [c for c in plan.resource_changes if c.action is Action.MATERIALIZE]
    assert (
        plan.summary_line == "Plan: 1 to add, 0 to change, 0 to replace, 1 to destroy, 1 to move."
    )
    result = harness.apply()
    assert result.ok, result.results

    workspace = harness.workspace()
    moved, old = sorted(
        workspace.list_assets(["house_sales", "raw_house_data"]), key=lambda a: a.name
    )
    assert [(v.version, v.path) for v in moved.versions] == [
        (v.version, v.path) for v in before.versions
    ]  # the same data: the same folder, nothing imported
    assert [j.id for j in moved.jobs] == []
    assert old.archived and [j.id for j in old.jobs] == [j.id for j in before.jobs]
    assert moved.versions[0].fingerprint == before.versions[0].fingerprint
    assert moved.versions[0].owner == before.versions[0].owner
    assert moved.versions[0].provenance == before.versions[0].provenance
    assert not harness.plan().has_changes  # the entry is harmless once done

    tags = _raw_version_tags(harness, "house_sales", "1")
    assert tags[MOVED_FROM_TAG] == "raw_house_data"
    assert _raw_version_tags(harness, "raw_house_data", "1")[MOVED_TO_TAG] == "house_sales"

    # a later change of the query adds version 2 beside the shared folder, never into it
    harness.write(RENAMED.replace("REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE BEDROOMS > 2"))
    plan = harness.plan()
    (change,) = [c for c in plan.resource_changes if c.action is Action.MATERIALIZE]
    assert (change.address, change.version) == ("import.house_sales", "2")
    assert harness.apply().ok


def test_a_removed_datastore_is_left_in_place_and_no_longer_drift(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    unscheduled = GLOBOREALTY[: GLOBOREALTY.index("imports:")]
    harness.write(unscheduled + "removed:\n  - from: import.raw_house_data\n    destroy: false\n")
    # the import and its schedule: forgotten, kept (the schedule keeps running)
    assert _changes(harness) == {
        "import.raw_house_data": ("forget", None),
        "schedule.raw_house_data-schedule": ("forget", None),
    }
    assert "2 to forget" in harness.plan().summary_line
    assert harness.apply().ok
    assert harness.plan().converged

    store = unscheduled.replace("datastores:\n  rawdata:", "datastores:\n  lake:")
    store = store[: store.index("datastores:")]  # the datastore no longer declared
    harness.write(
        store + "removed:\n  - from: datastore.rawdata\n    lifecycle: {destroy: false}\n"
    )
    assert _changes(harness) == {"datastore.rawdata": ("forget", None)}
    assert harness.apply().ok
    assert harness.plan().converged  # no drift: detailed-exitcode 0
    harness.write(store)  # the entry removed too: still not drift
    assert harness.plan().converged

    workspace = harness.workspace()
    (datastore,) = [r for r in workspace.list_resources(Kind.DATASTORE) if r.name == "rawdata"]
    assert not datastore.managed and datastore.secret_hashes == {} and datastore.provenance == {}
    (schedule,) = workspace.list_resources(Kind.SCHEDULE)
    assert not schedule.managed
    (asset,) = workspace.list_assets(["raw_house_data"])
    assert [v.managed for v in asset.versions] == [False] and not asset.archived
    assert asset.versions[0].fingerprint  # what describes its data stays


def _raw_version_tags(h: Harness, name: str, version: str) -> dict[str, str]:
    workspace = h.workspace()
    if h.kind == "local":
        (body,) = [b for v, b, _ in workspace.store.list_versions(name) if v == version]  # type: ignore[attr-defined]
        return dict(body["tags"])
    rest = workspace.client.data._operation.get(  # type: ignore[attr-defined]
        name=name,
        version=version,
        **workspace._scope(),  # type: ignore[attr-defined]
    )
    return dict(rest.properties.tags)


_ = (MANAGED_BY_TAG, OWNER_TAG)


def test_a_moved_connection_is_created_its_import_repointed_then_the_old_one_deleted(
    harness: Harness,
) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    moved = GLOBOREALTY.replace("snowflake_globorealty", "snowflake_main") + (
        "moved:\n  - {from: connection.snowflake_globorealty, to: connection.snowflake_main}\n"
    )
    harness.write(moved)

    plan = harness.plan()

    steps = [(c.address, c.action.value, c.previous_address) for c in plan.steps]
    assert steps == [
        ("connection.snowflake_main", "create", "connection.snowflake_globorealty"),
        ("import.raw_house_data", "update", None),  # re-pointed: nothing imported
        ("schedule.raw_house_data-schedule", "update", None),
        ("connection.snowflake_globorealty", "delete", None),  # last, after its dependents
    ]
    (repointed,) = [c for c in plan.steps if c.type is Kind.IMPORT]
    assert [(f.path, f.before, f.after) for f in repointed.fields] == [
        ("source.connection", "snowflake_globorealty", "snowflake_main")
    ]
    (old,) = [c for c in plan.steps if c.action is Action.DELETE]
    assert set(old.depends_on) == {
        "connection.snowflake_main",
        "import.raw_house_data",
        "schedule.raw_house_data-schedule",
    }
    result = harness.apply()
    assert result.ok, result.results
    assert [r.address for r in result.results][-1] == "connection.snowflake_globorealty"
    assert not harness.plan().has_changes
    harness.write(moved[: moved.index("moved:")])  # without the entry: still nothing to do
    assert not harness.plan().has_changes
    (asset,) = harness.workspace().list_assets(["raw_house_data"])
    assert [v.version for v in asset.versions] == ["1"]
