"""--target and --replace scopes: a target brings what it depends on; unknown addresses are
errors that list the known ones."""

from __future__ import annotations

import pytest

from reconciler.core.errors import ReconcileError
from reconciler.core.live import LiveState
from reconciler.engine.targeting import Scope
from tests.core.values import example

NOTHING = LiveState((), ())


def test_no_target_includes_everything() -> None:
    scope = Scope.of(example(), NOTHING, (), ())
    assert scope.includes("anything.at_all")


def test_a_target_includes_what_it_depends_on_and_nothing_else() -> None:
    scope = Scope.of(example(), NOTHING, ["import.raw_house_data"], [])
    assert scope.included == frozenset(
        {"import.raw_house_data", "connection.snowflake", "datastore.rawdata"}
    )
    only = Scope.of(example(), NOTHING, ["datastore.rawdata"], [])
    assert not only.includes("import.raw_house_data")


def test_an_unknown_address_lists_the_known_ones() -> None:
    with pytest.raises(ReconcileError) as unknown:
        Scope.of(example(), NOTHING, ["connection.nope"], [])
    assert str(unknown.value).startswith("--target connection.nope: no such resource")
    assert "connection.snowflake, datastore.rawdata, import.raw_house_data" in str(unknown.value)


def test_replace_takes_only_declared_addresses() -> None:
    with pytest.raises(ReconcileError, match=r"--replace import\.gone"):
        Scope.of(example(), NOTHING, [], ["import.gone"])
    assert Scope.of(example(), NOTHING, [], ["import.raw_house_data"]).replace == (
        "import.raw_house_data",
    )
