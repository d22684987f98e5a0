"""The synthetic house sales are reproducible and look like a real market."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

import pytest

from reconciler_testing.localsnow.generate import COLUMNS, generate_batches, generate_table

ROWS = 20_000


@pytest.fixture(scope="module")
def sales() -> dict[str, list[Any]]:
    table: dict[str, list[Any]] = generate_table(ROWS, seed=42).to_pydict()
    return table


def test_same_seed_gives_the_same_rows() -> None:
    assert generate_table(2_000, seed=7).equals(generate_table(2_000, seed=7))


def test_a_different_seed_gives_different_rows() -> None:
    assert not generate_table(2_000, seed=7).equals(generate_table(2_000, seed=8))


def test_rows_do_not_depend_on_the_chunk_size() -> None:
    whole = generate_table(1_000, seed=3)
    chunked = list(generate_batches(1_000, seed=3, chunk_rows=300))
    assert [batch.num_rows for batch in chunked] == [300, 300, 300, 100]
    assert whole.to_pylist() == [row for batch in chunked for row in batch.to_pylist()]


def test_columns_are_the_globorealty_table(sales: dict[str, list[Any]]) -> None:
    assert list(sales) == [name for name, _ in COLUMNS]
    assert len(sales["PROPERTY_ID"]) == ROWS
    assert len(set(sales["PROPERTY_ID"])) == ROWS


def test_values_are_in_plausible_ranges(sales: dict[str, list[Any]]) -> None:
    assert set(sales["LOCATION_TYPE"]) == {"urban", "suburban", "rural", "waterfront"}
    assert set(sales["CONDITION_RATING"]) == {1, 2, 3, 4, 5}
    assert min(sales["SQUARE_FEET"]) >= 400 and max(sales["SQUARE_FEET"]) <= 10_000
    assert min(sales["BEDROOMS"]) >= 1 and max(sales["BEDROOMS"]) <= 7
    assert all(b * 2 == int(b * 2) and 1 <= b <= 6 for b in sales["BATHROOMS"])
    assert min(sales["YEAR_BUILT"]) >= 1900 and max(sales["YEAR_BUILT"]) <= 2024
    assert dt.date(2019, 1, 1) <= min(sales["SALE_DATE"]) <= max(sales["SALE_DATE"])
    assert max(sales["SALE_DATE"]) <= dt.date(2024, 12, 31)
    assert min(sales["SALE_PRICE"]) > 30_000 and max(sales["SALE_PRICE"]) < 20_000_000


def test_waterfront_is_dearest_and_rural_cheapest(sales: dict[str, list[Any]]) -> None:
    prices: dict[str, list[int]] = defaultdict(list)
    for location, price in zip(sales["LOCATION_TYPE"], sales["SALE_PRICE"], strict=True):
        prices[location].append(price)
    mean = {location: statistics.mean(values) for location, values in prices.items()}
    assert mean["waterfront"] > mean["suburban"] > mean["rural"]
    assert mean["waterfront"] > 1.5 * mean["urban"]


def test_price_grows_with_size_condition_and_newness(sales: dict[str, list[Any]]) -> None:
    price = sales["SALE_PRICE"]
    assert statistics.correlation(sales["SQUARE_FEET"], price) > 0.5
    assert statistics.correlation(sales["CONDITION_RATING"], price) > 0.05
    assert statistics.correlation(sales["YEAR_BUILT"], price) > 0.05
    assert statistics.correlation(sales["SQUARE_FEET"], sales["BEDROOMS"]) > 0.5


def test_bigger_houses_have_more_rooms(sales: dict[str, list[Any]]) -> None:
    by_bedrooms: dict[int, list[int]] = defaultdict(list)
    for bedrooms, sqft in zip(sales["BEDROOMS"], sales["SQUARE_FEET"], strict=True):
        by_bedrooms[bedrooms].append(sqft)
    means = [statistics.mean(by_bedrooms[n]) for n in sorted(by_bedrooms)]
    assert means == sorted(means)
