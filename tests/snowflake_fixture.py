"""pytest plugin: a real local Snowflake server (fakesnow) for the whole test session.

Register with ``pytest_plugins = ["tests.snowflake_fixture"]``. The ``local_snowflake`` fixture
starts the server once per session in a temporary state directory on a free port, seeds
``GLOBOREALTY.REAL_ESTATE.RAW`` with 10,000 rows (seed 42) and stops it at teardown. Result
chunks are cut small so that even these 10,000 rows travel as several chunks, the way large
results do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler_testing.localsnow import DEMO_PASSWORD, DEMO_USERNAME, QUALIFIED_TABLE
from reconciler_testing.localsnow import server as local_server

SEED_ROWS = 10_000
CHUNK_ROWS = 2_500


@dataclass(frozen=True)
class LocalSnowflake:
    host: str
    port: int
    jdbc_target: str
    username: str
    password: str = field(repr=False)
    state_dir: Path
    pid: int
    rows: int = SEED_ROWS
    table: str = QUALIFIED_TABLE


@pytest.fixture(scope="session")
def local_snowflake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSnowflake]:
    state_dir = tmp_path_factory.mktemp("local-snowflake")
    info = local_server.start(
        state_dir, port=0, seed_rows=SEED_ROWS, chunk_rows=CHUNK_ROWS, exit_with=os.getpid()
    )
    try:
        yield LocalSnowflake(
            host=info.host,
            port=info.port,
            jdbc_target=info.jdbc_target,
            username=DEMO_USERNAME,
            password=DEMO_PASSWORD,
            state_dir=state_dir,
            pid=info.pid,
        )
    finally:
        local_server.stop(state_dir)
