"""Guards as decisions: ownership (Verdict), protection (a refusal's words), where other data is
(DataIndex), what a delete would break (dependents)."""

from __future__ import annotations

from reconciler.core.essences import Kind
from reconciler.core.live import AssetVersion, DataLocation, LiveAsset, LiveResource
from reconciler.core.plan import Action, FieldChange, Reason
from reconciler.engine.guards import (
    LEAVE,
    DataIndex,
    asset_takeover,
    dependents,
    protection,
    protection_change,
    takeover,
)
from tests.core.values import an_import, connection, datastore, example


def live(owner: str | None, managed: bool = True, protected: bool = False) -> LiveResource:
    made = connection()
    return LiveResource(
        Kind.CONNECTION, made.name, made.essence, managed, owner=owner, prevent_destroy=protected
    )


TARGET = FieldChange(path="target", before="a", after="b")


def test_our_own_resource_is_left_as_planned() -> None:
    ours = live("globorealty/dev")
    assert takeover(connection(), ours, Action.UPDATE, [TARGET], example()) == LEAVE


def test_another_owners_resource_is_refused_with_the_way_to_adopt_it() -> None:
    verdict = takeover(connection(), live("other/prod"), Action.UPDATE, [TARGET], example())

    assert verdict.problem is not None
    assert verdict.problem.message == (
        "connection.snowflake exists and is managed by reconciler for other/prod; this plan "
        "would overwrite it"
    )
    assert "lifecycle: {adopt: true}" in str(verdict.problem.hint)


def test_adopting_turns_a_no_op_into_an_update_that_takes_it_over() -> None:
    verdict = takeover(connection(adopt=True), live("other/prod"), Action.NOOP, [], example())
    assert (verdict.action, verdict.reason, verdict.problem) == (
        Action.UPDATE,
        Reason.TAKE_OVER,
        None,
    )


def test_a_hand_made_match_is_adopted_and_a_hand_made_difference_refused() -> None:
    hand_made = live(None, managed=False)
    assert takeover(connection(), hand_made, Action.UPDATE, [], example()) == LEAVE
    refused = takeover(connection(), hand_made, Action.UPDATE, [TARGET], example())
    assert refused.problem is not None


def test_an_asset_without_our_tags_is_adopted_when_it_matches() -> None:
    bare = AssetVersion("3", "p", None, None, {}, managed=False)
    verdict = asset_takeover(an_import(), bare, Action.NOOP, [], "3", example())
    assert (verdict.action, verdict.reason) == (Action.UPDATE, Reason.ADOPT)


def test_protection_refuses_deletes_and_replacements_and_says_how_to_lift_it() -> None:
    recorded = live("globorealty/dev", protected=True)

    deleted = protection(None, recorded, Action.DELETE, "connection.snowflake")
    updated = protection(connection(), recorded, Action.UPDATE, "connection.snowflake")
    replaced = protection(connection(), recorded, Action.REPLACE, "connection.snowflake")

    assert deleted is not None and "no longer declared" in deleted
    assert updated is None
    assert replaced is not None and "removing the line does not lift it" in replaced


def test_a_declared_protection_that_differs_from_the_record_is_a_field_change() -> None:
    lifted = protection_change(connection(prevent_destroy=False), recorded=True)
    kept = protection_change(connection(), recorded=True)  # the line removed: kept

    assert lifted is not None and (lifted.before, lifted.after) == (True, False)
    assert kept is None


def test_the_data_index_finds_folders_inside_and_around_but_not_beside() -> None:
    index = DataIndex(
        [
            DataLocation("a", "1", "azureml://datastores/d/paths/x/1"),
            DataLocation("b", "1", "azureml://datastores/d/paths/x"),
            DataLocation("c", "1", "azureml://datastores/d/paths/xy"),
        ]
    )

    found = index.around("azureml://datastores/d/paths/x/1/deeper", besides="a")
    inside = index.around("azureml://datastores/d/paths/", besides="none")  # the root

    assert [(f.asset, f.path) for f in found] == [("b", "azureml://datastores/d/paths/x")]
    assert sorted(f.asset for f in inside) == ["a", "b", "c"]


def test_dependents_name_the_imports_and_the_stored_versions() -> None:
    stored = LiveAsset(
        "raw_house_data",
        (AssetVersion("1", "azureml://datastores/rawdata/paths/raw/1", None, None, {}, True),),
    )
    declared = [connection(), datastore(), an_import()]

    assert dependents(Kind.DATASTORE, "rawdata", declared, [stored]) == (
        "import.raw_house_data (imports to it)",
        "data asset raw_house_data versions 1 (stored on it)",
    )
    assert dependents(Kind.CONNECTION, "snowflake", declared, []) == (
        "import.raw_house_data (imports from it)",
    )
