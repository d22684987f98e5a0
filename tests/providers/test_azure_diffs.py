"""What a reviewer sees of a change on Azure ML: the old side of every diff, read back through
the real SDK from what reconciler stored with the version it changes."""

from __future__ import annotations

import json

import pytest

from reconciler.render import markdown, terminal
from tests.providers.conftest import Harness
from tests.providers.test_contract import GLOBOREALTY, write_globorealty

ONE_LINE = "      query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW\n"
QUERY = (
    "      query: |\n"
    "        SELECT *\n"
    "        FROM GLOBOREALTY.REAL_ESTATE.RAW\n"
    "        WHERE SALE_PRICE > 0\n"
)


@pytest.mark.parametrize("harness", ["local", "azureml"], indirect=True)
def test_a_changed_query_shows_its_old_side_line_by_line(harness: Harness) -> None:
    write_globorealty(harness)
    harness.write(GLOBOREALTY.replace(ONE_LINE, QUERY))
    assert harness.apply().ok
    changed = QUERY.replace(
        "WHERE SALE_PRICE > 0\n", "WHERE SALE_PRICE > 0\n        AND BEDROOMS > 2\n"
    )
    harness.write(GLOBOREALTY.replace(ONE_LINE, changed))

    plan = harness.plan()

    saved = json.loads(plan.to_json())
    (change,) = [c for c in saved["resource_changes"] if c["address"] == "import.raw_house_data"]
    assert change["change"]["actions"] == ["create"]
    before = change["change"]["before"]
    assert before is not None, "the old definition was not read back"
    assert before["source"]["query"] == (
        "SELECT *\nFROM GLOBOREALTY.REAL_ESTATE.RAW\nWHERE SALE_PRICE > 0\n"
    )
    text = terminal.render_plan(plan)
    assert (
        "      source.query:\n"
        "        @@ -2,2 +2,3 @@\n"
        "         FROM GLOBOREALTY.REAL_ESTATE.RAW\n"
        "         WHERE SALE_PRICE > 0\n"
        "        +AND BEDROOMS > 2\n"
    ) in text, text
    assert "+SELECT *" not in text  # only the added line is added
    assert markdown.render_plan(plan).count("+AND BEDROOMS > 2") == 1


@pytest.mark.parametrize("harness", ["local", "azureml"], indirect=True)
def test_a_renamed_import_s_next_query_change_keeps_its_old_side(harness: Harness) -> None:
    """A `moved:` rename registers the versions over the same data without a run: the query
    the data was made with is still the old side of the next change."""
    write_globorealty(harness)
    harness.write(GLOBOREALTY.replace(ONE_LINE, QUERY))
    assert harness.apply().ok
    renamed = GLOBOREALTY.replace(ONE_LINE, QUERY).replace("  raw_house_data:", "  house_sales:")
    moved = "\nmoved:\n  - from: import.raw_house_data\n    to: import.house_sales\n"
    harness.write(renamed + moved)
    assert harness.apply().ok
    harness.write(renamed.replace("WHERE SALE_PRICE > 0\n", "WHERE SALE_PRICE > 1\n") + moved)

    plan = harness.plan()

    saved = json.loads(plan.to_json())
    (change,) = [c for c in saved["resource_changes"] if c["address"] == "import.house_sales"]
    before = change["change"]["before"]
    assert before is not None, "the old definition was not read back"
    assert before["source"]["query"] == (
        "SELECT *\nFROM GLOBOREALTY.REAL_ESTATE.RAW\nWHERE SALE_PRICE > 0\n"
    )
