"""The Snowflake import runner against a real local server: files on success, clear failures."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reconciler.core.errors import ImportFailed
from reconciler.imports.base import ImportRequest
from reconciler.imports.database import MLTABLE_TEXT, DatabaseImportRunner
from reconciler_testing.localsnow import jdbc_target
from reconciler_testing.localsnow.generate import generate_table
from tests.snowflake_fixture import LocalSnowflake

QUERY = "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW"
WRONG_PASSWORD = "Wr0ng-pw-4f9d-never-print-me"


def request(
    snow: LocalSnowflake,
    query: str = QUERY,
    *,
    password: str | None = None,
    target: str | None = None,
    **overrides: Any,
) -> ImportRequest:
    fields: dict[str, Any] = {
        "asset_name": "raw_house_data",
        "version": "1",
        "source_type": "database",
        "connection_name": "snowflake_globorealty",
        "connection_type": "snowflake",
        "connection_target": target or snow.jdbc_target,
        "credentials": {"username": snow.username, "password": password or snow.password},
        "query": query,
    }
    return ImportRequest(**{**fields, **overrides})


def failure(snow: LocalSnowflake, tmp_path: Path, **kwargs: Any) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        DatabaseImportRunner().run(request(snow, **kwargs), tmp_path)
    return caught.value


def test_import_writes_parquet_parts_and_an_mltable(
    local_snowflake: LocalSnowflake, tmp_path: Path
) -> None:
    seen: list[int] = []
    result = DatabaseImportRunner().run(request(local_snowflake), tmp_path, seen.append)

    assert result.rows == 10_000
    assert result.files == ("part-00000.parquet", "MLTable")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MLTable", "part-00000.parquet"]
    assert (tmp_path / "MLTable").read_text() == MLTABLE_TEXT
    assert seen == [10_000]
    assert dict(result.schema)["SALE_PRICE"] == "int64"
    assert dict(result.schema)["SALE_DATE"] == "date32[day]"


def test_imported_rows_are_the_seeded_rows(local_snowflake: LocalSnowflake, tmp_path: Path) -> None:
    DatabaseImportRunner().run(request(local_snowflake, f"{QUERY} ORDER BY PROPERTY_ID"), tmp_path)

    imported = pq.read_table(tmp_path / "part-00000.parquet")
    expected = generate_table(10_000, seed=42)
    assert imported.column_names == expected.column_names
    assert imported.to_pylist() == expected.to_pylist()


def test_small_batches_report_progress_and_split_into_parts(
    local_snowflake: LocalSnowflake, tmp_path: Path
) -> None:
    seen: list[int] = []
    runner = DatabaseImportRunner(part_rows=4_000)
    result = runner.run(request(local_snowflake, batch_rows=1_500), tmp_path, seen.append)

    assert seen == [*range(1_500, 10_000, 1_500), 10_000]
    assert result.files == (
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
        "MLTable",
    )
    parts = [pq.ParquetFile(tmp_path / name) for name in result.files[:-1]]
    assert sum(part.metadata.num_rows for part in parts) == 10_000
    assert (
        max(rg.num_rows for p in parts for rg in map(p.metadata.row_group, range(p.num_row_groups)))
        <= 1_500
    )


def test_uri_folder_import_has_no_mltable(local_snowflake: LocalSnowflake, tmp_path: Path) -> None:
    result = DatabaseImportRunner().run(request(local_snowflake, asset_type="uri_folder"), tmp_path)
    assert result.files == ("part-00000.parquet",)
    assert not (tmp_path / "MLTable").exists()


def test_wrong_password_fails_authentication_without_showing_it(
    local_snowflake: LocalSnowflake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    error = failure(local_snowflake, tmp_path, password=WRONG_PASSWORD)

    assert "raw_house_data" in error.message
    assert "authentication failed" in error.message
    for text in (str(error), repr(error), error.hint or "", caplog.text):
        assert WRONG_PASSWORD not in text
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_fails_quickly(local_snowflake: LocalSnowflake, tmp_path: Path) -> None:
    started = time.monotonic()
    error = failure(local_snowflake, tmp_path, target=jdbc_target(port=1))

    assert time.monotonic() - started < 10
    assert "raw_house_data" in error.message
    assert "could not reach Snowflake" in error.message


def test_sql_error_names_the_import_and_the_database_message(
    local_snowflake: LocalSnowflake, tmp_path: Path
) -> None:
    error = failure(local_snowflake, tmp_path, query="SELECT * FROM GLOBOREALTY.REAL_ESTATE.NOPE")

    assert error.message.startswith("import 'raw_house_data': the query failed:")
    assert "NOPE" in error.message


def test_query_returning_no_rows_fails(local_snowflake: LocalSnowflake, tmp_path: Path) -> None:
    error = failure(local_snowflake, tmp_path, query=f"{QUERY} WHERE SALE_PRICE < 0")

    assert error.message == "import 'raw_house_data': the query returned no rows"


@pytest.mark.parametrize("query", [f"{QUERY};", f"{QUERY} -- every sale"])
def test_check_accepts_a_good_query_and_counts_its_rows(
    local_snowflake: LocalSnowflake, query: str
) -> None:
    size = DatabaseImportRunner().check(request(local_snowflake, query))
    assert size is not None and size.rows == local_snowflake.rows


def test_the_password_stays_out_of_debug_logs(
    local_snowflake: LocalSnowflake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    DatabaseImportRunner().run(request(local_snowflake), tmp_path)

    assert "login" in caplog.text.lower()  # the connector did log its login at DEBUG
    assert local_snowflake.password not in caplog.text


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"query": "SELECT NO_SUCH_COLUMN FROM GLOBOREALTY.REAL_ESTATE.RAW"}, "query failed"),
        # valid only inside a wrapper: the check describes the query exactly as run sends it
        ({"query": "SELECT 1) UNION ALL (SELECT 2"}, "query failed"),
        ({"password": WRONG_PASSWORD}, "authentication failed"),
        ({"connection_type": "azure_sql_db"}, "azure_sql_db connections are not supported"),
        ({"source_type": "file_system", "query": None, "path": "s3://x"}, "not supported"),
        ({"query": "  "}, "needs a query"),
        ({"target": "jdbc:snowflake://acme.snowflakecomputing.com/?warehous=W"}, "warehous"),
    ],
)
def test_check_fails_like_run_would(
    local_snowflake: LocalSnowflake, overrides: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ImportFailed, match=complaint) as caught:
        DatabaseImportRunner().check(request(local_snowflake, **overrides))
    assert "raw_house_data" in caught.value.message
    assert WRONG_PASSWORD not in str(caught.value)


class _FakeCursor:
    def __init__(self, table: Any) -> None:
        self._table = table

    def execute(self, query: str) -> None:
        pass

    def fetch_arrow_batches(self) -> Any:
        yield self._table


class _FakeConnection:
    def __init__(self, table: Any) -> None:
        self._table = table

    def cursor(self) -> _FakeCursor:
        return _FakeCursor(self._table)

    def close(self) -> None:
        pass


def test_a_column_parquet_cannot_hold_is_named(
    local_snowflake: LocalSnowflake, tmp_path: Path
) -> None:
    odd = pa.table(
        {"ID": [1, 2], "WAIT": pa.array([(1, 2, 3), (4, 5, 6)], pa.month_day_nano_interval())}
    )
    runner = DatabaseImportRunner(connect=lambda **_: _FakeConnection(odd))
    with pytest.raises(ImportFailed) as caught:
        runner.run(request(local_snowflake), tmp_path)

    assert "column 'WAIT'" in caught.value.message
    assert "Parquet cannot hold" in caught.value.message
    assert list(tmp_path.iterdir()) == []
