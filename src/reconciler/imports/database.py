"""Run a database import: a Snowflake query streamed into Parquet part files plus an MLTable.

This is the `ImportRunner` behind ``source_type: database`` imports when reconciler runs them
itself (embedded workspace, emulator). It mirrors what an Azure ML import job produces: Parquet
files and an ``MLTable`` file describing them, in the staging folder the provider hands over.

Memory stays bounded by the result chunk and ``batch_rows`` size, not the table size: rows come
from ``cursor.fetch_arrow_batches()`` (Snowflake's chunked Arrow results) and are appended to a
``ParquetWriter`` batch by batch, rotating to a new part file every ``part_rows`` rows.

Every failure becomes `ImportFailed` naming the import and the cause (unreachable server, login
rejected, SQL error, no rows, a column Parquet cannot hold). Credentials are only passed to the
connector; any text taken from a connector error is scrubbed of them before it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reconciler.core.errors import ImportFailed
from reconciler.imports.base import ImportRequest, ImportResult, ProgressCallback, SourceSize
from reconciler.imports.jdbc import InvalidJdbcUrl, parse_snowflake_jdbc

MLTABLE_FILE = "MLTable"
MLTABLE_TEXT = """\
$schema: https://azuremlschemas.azureedge.net/latest/MLTable.schema.json
type: mltable
paths:
  - pattern: ./*.parquet
transformations:
  - read_parquet:
      include_path_column: false
"""
# Snowflake error codes for a rejected login (bad user/password, locked or disabled user)
AUTH_ERROR_CODES = {390100, 390101, 390102, 390103, 390144, 394304, 394400}

Connect = Callable[..., Any]
IMPORT_TIMEOUT = 6 * 3600  # seconds a query may run in an import
CHECK_TIMEOUT = 120  # seconds a source check (probe and count) may take


class DatabaseImportRunner:
    """Imports the result of a Snowflake query; other database kinds are not supported yet.

    ``login_timeout`` bounds how long an unreachable server or a failing login takes to report
    (the connector retries until then). ``query_timeout`` bounds a query (Snowflake's
    ``STATEMENT_TIMEOUT_IN_SECONDS`` and the connector's ``network_timeout``, which also stops
    a connector that would retry a failing server forever): six hours for an import, which may
    legitimately run long; ``check_timeout`` bounds a source check, which should not.
    """

    def __init__(
        self,
        *,
        login_timeout: int = 5,
        query_timeout: int | None = IMPORT_TIMEOUT,
        check_timeout: int = CHECK_TIMEOUT,
        part_rows: int = 1_000_000,
        connect: Connect | None = None,
    ) -> None:
        self._login_timeout = login_timeout
        self._query_timeout = query_timeout
        self._check_timeout = check_timeout
        self._part_rows = part_rows
        self._connect = connect

    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult:
        query = _require_snowflake_query(request)
        guard = _SchemaGuard(request)
        with self._session(request) as cursor:
            _execute(cursor, query, request)
            tables = (guard.conform(t) for t in _result_tables(cursor, request))
            with _PartWriter(staging_dir, self._part_rows) as writer:
                for table in _rebatch(tables, request.batch_rows):
                    writer.write(table)
                    if progress is not None:
                        progress(writer.rows)
        if writer.rows == 0:
            raise ImportFailed(
                f"import {request.asset_name!r}: the query returned no rows",
                hint="an import must produce data; check the query's filters",
            )
        files = writer.files
        if request.asset_type == "mltable":
            (staging_dir / MLTABLE_FILE).write_text(MLTABLE_TEXT)
            files = (*files, MLTABLE_FILE)
        return ImportResult(rows=writer.rows, files=files, schema=_describe(guard.schema))

    def check(self, request: ImportRequest) -> SourceSize | None:
        """The query compiles, exactly as `run` sends it (Snowflake describes its result
        without running it), and how many rows it gives (a count, when that answers within the
        check's timeout). Wrapping it in ``SELECT * FROM (…) LIMIT 0`` instead would check
        another statement: ``SELECT 1) UNION ALL (SELECT 2`` is valid inside the wrapper."""
        query = _require_snowflake_query(request)
        # newlines keep a trailing "-- comment" in the query from swallowing the parenthesis
        inner = f"(\n{query.strip().rstrip(';')}\n)"
        with self._session(request, self._check_timeout) as cursor:
            _execute(cursor, query, request, describe_only=True)
            try:
                cursor.execute(f"SELECT COUNT(*) FROM {inner}")
                row = cursor.fetchone()
            except Exception:  # a count that fails or times out leaves the size unknown
                return SourceSize()
        count = row[0] if row else None
        return SourceSize(rows=int(count) if isinstance(count, int | float) else None)

    @contextmanager
    def _session(self, request: ImportRequest, timeout: int | None = None) -> Iterator[Any]:
        """A cursor on a fresh connection; connector errors come out as ImportFailed."""
        import snowflake.connector

        connect = self._connect or snowflake.connector.connect
        kwargs = self._connect_kwargs(request, timeout or self._query_timeout)
        try:
            conn = connect(**kwargs)
        except snowflake.connector.errors.Error as exc:
            raise _login_failure(exc, request, kwargs) from request.cause(exc)
        try:
            yield conn.cursor()
        finally:
            conn.close()

    def _connect_kwargs(self, request: ImportRequest, timeout: int | None) -> dict[str, Any]:
        try:
            target = parse_snowflake_jdbc(request.connection_target)
        except InvalidJdbcUrl as exc:
            raise ImportFailed(
                f"import {request.asset_name!r}: connection {request.connection_name!r} has an "
                f"invalid target: {exc}",
                hint="expected jdbc:snowflake://<account>.snowflakecomputing.com/?db=...",
            ) from None
        credentials = request.credentials
        return {
            **target,
            "user": credentials.get("username", ""),
            "password": credentials.get("password", ""),
            "login_timeout": self._login_timeout,
            "network_timeout": timeout,
            "application": "reconciler",
            "session_parameters": {
                "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False,
                **({"STATEMENT_TIMEOUT_IN_SECONDS": timeout} if timeout else {}),
            },
        }


def _require_snowflake_query(request: ImportRequest) -> str:
    name = request.asset_name
    if request.source_type != "database":
        raise ImportFailed(
            f"import {name!r}: {request.source_type} sources are not supported by the local "
            "database import runner yet"
        )
    if request.connection_type != "snowflake":
        raise ImportFailed(
            f"import {name!r}: {request.connection_type} connections are not supported by the "
            "local import runner yet (only snowflake)",
            hint="run this import in an Azure ML workspace, or use a Snowflake connection",
        )
    if not request.query or not request.query.strip():
        raise ImportFailed(f"import {name!r}: a database import needs a query")
    return request.query


def _execute(
    cursor: Any, query: str, request: ImportRequest, *, describe_only: bool = False
) -> None:
    from snowflake.connector.errors import Error, ProgrammingError

    try:
        if describe_only:
            cursor.describe(query)
        else:
            cursor.execute(query)
    except ProgrammingError as exc:
        message = request.redact(str(exc.msg or exc))
        raise ImportFailed(
            f"import {request.asset_name!r}: the query failed: {message}",
            hint="check the query against the source database",
        ) from request.cause(exc)
    except Error as exc:
        raise _unreachable(exc, request) from request.cause(exc)


def _result_tables(cursor: Any, request: ImportRequest) -> Iterator[Any]:
    """The result as the connector delivers it: pyarrow Tables, one per result chunk."""
    from snowflake.connector.errors import Error, NotSupportedError

    try:
        yield from cursor.fetch_arrow_batches()
    except NotSupportedError:
        raise ImportFailed(
            f"import {request.asset_name!r}: the query did not return a result set"
            " (is it a SELECT?)"
        ) from None
    except Error as exc:
        raise _unreachable(exc, request) from request.cause(exc)


def _rebatch(tables: Iterator[Any], rows: int) -> Iterator[Any]:
    """Re-cut a stream of Tables into Tables of exactly ``rows`` rows (the last may be short)."""
    pending: list[Any] = []
    count = 0
    for table in tables:
        while table.num_rows:
            take = min(rows - count, table.num_rows)
            pending.append(table.slice(0, take))
            count += take
            table = table.slice(take)
            if count == rows:
                yield pa.concat_tables(pending).combine_chunks()
                pending, count = [], 0
    if count:
        yield pa.concat_tables(pending).combine_chunks()


class _SchemaGuard:
    """Keeps every Table on one Parquet-friendly schema, fixed by the first Table."""

    def __init__(self, request: ImportRequest) -> None:
        self._request = request
        self.schema: Any = None

    def conform(self, table: Any) -> Any:
        plain = _plain_schema(table.schema)
        if self.schema is None:
            _require_parquet_types(plain, self._request)
            self.schema = plain
        try:
            return table.cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise ImportFailed(
                f"import {self._request.asset_name!r}: a column changed type between result "
                f"chunks ({exc})"
            ) from None


def _plain_schema(schema: Any) -> Any:
    """Drop the connector's field metadata; whole-number decimals become int64.

    Snowflake sends NUMBER(p,0) as integers and the connector yields int64; fakesnow sends
    decimals. Mapping both to int64 makes local and cloud imports write the same files.
    """
    fields = []
    for field in schema:
        kind = field.type
        if pa.types.is_decimal(kind) and kind.scale == 0 and kind.precision <= 18:
            kind = pa.int64()
        fields.append(pa.field(field.name, kind, field.nullable))
    return pa.schema(fields)


class _PartWriter:
    """Appends Tables to ``part-NNNNN.parquet`` files of about ``part_rows`` rows each."""

    def __init__(self, folder: Path, part_rows: int) -> None:
        self._folder = folder
        self._part_rows = part_rows
        self._writer: Any = None
        self._part_count = 0
        self.rows = 0
        self.files: tuple[str, ...] = ()

    def __enter__(self) -> _PartWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self._close_part()

    def write(self, table: Any) -> None:
        if self._writer is None or self._part_count >= self._part_rows:
            self._open_part(table.schema)
        self._writer.write_table(table, row_group_size=table.num_rows)
        self._part_count += table.num_rows
        self.rows += table.num_rows

    def _open_part(self, schema: Any) -> None:
        self._close_part()
        name = f"part-{len(self.files):05d}.parquet"
        self._writer = pq.ParquetWriter(self._folder / name, schema)
        self.files = (*self.files, name)
        self._part_count = 0

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _require_parquet_types(schema: Any, request: ImportRequest) -> None:
    """Fail before writing anything if a column has a type Parquet cannot hold."""
    for field in schema:
        try:
            pq.ParquetWriter(pa.BufferOutputStream(), pa.schema([field])).close()
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
            raise ImportFailed(
                f"import {request.asset_name!r}: column {field.name!r} has type {field.type}, "
                "which Parquet cannot hold",
                hint=f"convert it in the query, e.g. TO_VARCHAR({field.name})",
            ) from None


def _describe(schema: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(field.name), str(field.type)) for field in schema or ())


def _login_failure(
    exc: Exception, request: ImportRequest, kwargs: Mapping[str, Any]
) -> ImportFailed:
    if getattr(exc, "errno", None) in AUTH_ERROR_CODES:
        return ImportFailed(
            f"import {request.asset_name!r}: authentication failed for connection "
            f"{request.connection_name!r}: Snowflake rejected user {kwargs['user']!r} "
            "(incorrect username or password)",
            hint="check the username and password the connection's credentials resolve to",
        )
    return _unreachable(exc, request)


def _unreachable(exc: Exception, request: ImportRequest) -> ImportFailed:
    return ImportFailed(
        f"import {request.asset_name!r}: could not reach Snowflake through connection "
        f"{request.connection_name!r}: {request.redact(str(exc))}",
        hint="check that the server in the connection target is up and reachable",
    )
