"""Synthetic GloboRealty house sales, and loading them into a (local) Snowflake table.

The worked example needs a source table whose contents look like real sales (so a model trained
on the imported asset learns something) and are identical on every machine (so tests and
benchmarks can assert on them). Rows come from a seeded ``random.Random``: the same seed and row
count always give the same rows, whatever the chunk size.

Loading goes through the Snowflake wire protocol, not DuckDB directly, so it works against any
running local server: rows are written to Parquet files, uploaded with ``PUT`` and loaded with
``COPY INTO``. That is orders of magnitude faster than ``INSERT`` statements on fakesnow, which
parses and runs every bound row separately.

Run ``python -m reconciler_testing.localsnow.generate --rows N --port P`` to (re)seed a running
server.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import math
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reconciler_testing.localsnow import (
    DATABASE,
    DEFAULT_HOST,
    DEFAULT_SEED_ROWS,
    DEFAULT_STATE_DIR,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    QUALIFIED_TABLE,
    SCHEMA,
)

# (column, Snowflake type); the order is the table's column order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("PROPERTY_ID", "VARCHAR(16)"),
    ("LOCATION_TYPE", "VARCHAR(16)"),
    ("SQUARE_FEET", "NUMBER(6,0)"),
    ("BEDROOMS", "NUMBER(2,0)"),
    ("BATHROOMS", "FLOAT"),
    ("YEAR_BUILT", "NUMBER(4,0)"),
    ("CONDITION_RATING", "NUMBER(1,0)"),
    ("SALE_DATE", "DATE"),
    ("SALE_PRICE", "NUMBER(12,0)"),
)

ARROW_SCHEMA = pa.schema(
    [
        ("PROPERTY_ID", pa.string()),
        ("LOCATION_TYPE", pa.string()),
        ("SQUARE_FEET", pa.int64()),
        ("BEDROOMS", pa.int64()),
        ("BATHROOMS", pa.float64()),
        ("YEAR_BUILT", pa.int64()),
        ("CONDITION_RATING", pa.int64()),
        ("SALE_DATE", pa.date32()),
        ("SALE_PRICE", pa.int64()),
    ]
)

# location -> (share of sales, median square feet, dollars per square foot)
LOCATIONS: dict[str, tuple[float, float, float]] = {
    "urban": (0.35, 1_250.0, 310.0),
    "suburban": (0.40, 2_050.0, 215.0),
    "rural": (0.17, 1_800.0, 135.0),
    "waterfront": (0.08, 2_400.0, 470.0),
}
FIRST_SALE = dt.date(2019, 1, 1)
SALE_DAYS = (dt.date(2024, 12, 31) - FIRST_SALE).days + 1
ANNUAL_APPRECIATION = 1.045
CHUNK_ROWS = 100_000


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _house(rng: random.Random, location: str) -> tuple[int, int, float, int, int]:
    """Size, bedrooms, bathrooms, year built and condition of one house in ``location``."""
    _, median_sqft, _ = LOCATIONS[location]
    sqft = int(_clamp(rng.lognormvariate(math.log(median_sqft), 0.32), 450, 9_500))
    bedrooms = int(_clamp(round(sqft / 650 + rng.gauss(0.4, 0.7)), 1, 7))
    bathrooms = _clamp(round((bedrooms * 0.55 + rng.gauss(0.3, 0.45)) * 2) / 2, 1.0, 5.5)
    oldest = 1900 if location == "urban" else 1930
    year_built = int(rng.triangular(oldest, 2024, 1998))
    condition = int(_clamp(round(2.6 + (year_built - 1960) / 45 + rng.gauss(0, 0.8)), 1, 5))
    return sqft, bedrooms, bathrooms, year_built, condition


def _price(
    rng: random.Random, location: str, sqft: int, year_built: int, condition: int, days: int
) -> int:
    """A sale price that grows with size, location, age, condition and the sale year."""
    _, _, per_sqft = LOCATIONS[location]
    age_factor = 1 + 0.0025 * (year_built - 1980)
    condition_factor = 0.78 + 0.09 * condition
    market = ANNUAL_APPRECIATION ** (days / 365.25)
    noise = rng.lognormvariate(0, 0.12)
    return int(round(sqft * per_sqft * age_factor * condition_factor * market * noise, -2))


_SALE_DATES = [FIRST_SALE + dt.timedelta(days=day) for day in range(SALE_DAYS)]


def _row(
    rng: random.Random, index: int, locations: list[str], cum_weights: list[float]
) -> tuple[Any, ...]:
    location = locations[bisect.bisect(cum_weights, rng.random() * cum_weights[-1])]
    sqft, bedrooms, bathrooms, year_built, condition = _house(rng, location)
    days = rng.randrange(SALE_DAYS)
    price = _price(rng, location, sqft, year_built, condition, days)
    property_id = f"GR-{index + 1:08d}"
    return (
        property_id,
        location,
        sqft,
        bedrooms,
        bathrooms,
        year_built,
        condition,
        _SALE_DATES[days],
        price,
    )


def generate_batches(
    rows: int = DEFAULT_SEED_ROWS, seed: int = 42, chunk_rows: int = CHUNK_ROWS
) -> Iterator[Any]:
    """Yield ``rows`` sales as pyarrow RecordBatches of at most ``chunk_rows`` rows."""
    if rows < 0 or chunk_rows < 1:
        raise ValueError("rows must be >= 0 and chunk_rows >= 1")
    rng = random.Random(seed)
    locations = list(LOCATIONS)
    cum_weights = list(itertools.accumulate(LOCATIONS[name][0] for name in locations))
    for start in range(0, rows, chunk_rows):
        stop = min(rows, start + chunk_rows)
        chunk = [_row(rng, i, locations, cum_weights) for i in range(start, stop)]
        columns = zip(*chunk, strict=True)
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(list(values), type=field.type)
                for values, field in zip(columns, ARROW_SCHEMA, strict=True)
            ],
            schema=ARROW_SCHEMA,
        )


def generate_table(rows: int = DEFAULT_SEED_ROWS, seed: int = 42) -> Any:
    """All ``rows`` sales as one pyarrow Table (for tests and small data sets)."""
    return pa.Table.from_batches(list(generate_batches(rows, seed)), schema=ARROW_SCHEMA)


def table_rows(conn: Any) -> int | None:
    """Rows in the GloboRealty table, or None if it does not exist yet."""
    from snowflake.connector.errors import ProgrammingError

    cursor = conn.cursor()
    try:
        cursor.execute(f"SELECT COUNT(*) FROM {QUALIFIED_TABLE}")
        (count,) = cursor.fetchone()
        return int(count)
    except ProgrammingError:
        return None
    finally:
        cursor.close()


def seed(conn: Any, rows: int = DEFAULT_SEED_ROWS, seed: int = 42) -> int:
    """(Re)create ``GLOBOREALTY.REAL_ESTATE.RAW`` on ``conn`` holding ``rows`` generated sales.

    ``conn`` is an open ``snowflake.connector`` connection. Returns the number of rows loaded.
    """
    cursor = conn.cursor()
    try:
        _create_table(cursor)
        with tempfile.TemporaryDirectory(prefix="localsnow-seed-") as tmp:
            for number, batch in enumerate(generate_batches(rows, seed)):
                _load_batch(cursor, batch, Path(tmp) / f"seed-{number:05d}.parquet")
        cursor.execute(f"SELECT COUNT(*) FROM {QUALIFIED_TABLE}")
        (count,) = cursor.fetchone()
        return int(count)
    finally:
        cursor.close()


def _create_table(cursor: Any) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in COLUMNS)
    cursor.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.{SCHEMA}")
    cursor.execute(f"CREATE OR REPLACE TABLE {QUALIFIED_TABLE} ({columns})")
    cursor.execute(f"CREATE STAGE IF NOT EXISTS {DATABASE}.{SCHEMA}.SEED_STAGE")


def _load_batch(cursor: Any, batch: Any, path: Path) -> None:
    """Upload one batch as a Parquet file and append it to the table (the file is purged)."""
    pq.write_table(pa.Table.from_batches([batch]), path)
    stage = f"@{DATABASE}.{SCHEMA}.SEED_STAGE"
    cursor.execute(f"PUT 'file://{path.as_posix()}' {stage} AUTO_COMPRESS=FALSE OVERWRITE=TRUE")
    cursor.execute(
        f"COPY INTO {QUALIFIED_TABLE} FROM {stage}/{path.name} "
        "FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_SENSITIVE "
        "PURGE = TRUE FORCE = TRUE"
    )
    path.unlink()


def connect(host: str, port: int, user: str = DEMO_USERNAME, password: str = DEMO_PASSWORD) -> Any:
    """Open a connector session to a local (plain http) server."""
    import snowflake.connector

    return snowflake.connector.connect(
        user=user,
        password=password,
        account="localsnow",
        host=host,
        port=port,
        protocol="http",
        login_timeout=10,
        network_timeout=600,
        session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
    )


def _local_server_port() -> int:
    """The port of the server in the default state folder (it may not be 8765 if that was busy)."""
    from reconciler_testing.localsnow import server

    running = server.status(DEFAULT_STATE_DIR)
    return running.port if running else server.preferred_port(DEFAULT_STATE_DIR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Seed {QUALIFIED_TABLE} on a local server.")
    parser.add_argument("--rows", type=int, default=DEFAULT_SEED_ROWS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument(
        "--port", type=int, default=None, help="default: the port the local server runs on"
    )
    args = parser.parse_args(argv)
    if args.port is None:
        args.port = _local_server_port()
    conn = connect(args.host, args.port)
    try:
        loaded = seed(conn, rows=args.rows, seed=args.seed)
    finally:
        conn.close()
    print(f"loaded {loaded} rows into {QUALIFIED_TABLE} at {args.host}:{args.port}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
