"""The local Snowflake server: idempotent start/stop, persistence, logins, chunked results."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector

from reconciler_testing import localproc
from reconciler_testing.localsnow import QUALIFIED_TABLE
from reconciler_testing.localsnow import server as local_server
from reconciler_testing.localsnow.app import HEALTH_PATH
from reconciler_testing.localsnow.generate import connect, table_rows
from tests.snowflake_fixture import CHUNK_ROWS, LocalSnowflake


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=120, check=False
    )


def count_rows(host: str, port: int) -> int | None:
    conn = connect(host, port)
    try:
        return table_rows(conn)
    finally:
        conn.close()


def test_status_and_a_second_start_find_the_running_server(
    local_snowflake: LocalSnowflake,
) -> None:
    running = local_server.status(local_snowflake.state_dir)
    again = local_server.start(local_snowflake.state_dir, port=0)

    assert running is not None
    assert (running.port, running.pid) == (local_snowflake.port, local_snowflake.pid)
    assert again == running
    assert running.jdbc_target == local_snowflake.jdbc_target


def test_cli_status_prints_where_it_runs_and_its_demo_login_to_paste(
    local_snowflake: LocalSnowflake,
) -> None:
    done = cli(
        "reconciler_testing.localsnow.server",
        "status",
        "--state-dir",
        str(local_snowflake.state_dir),
    )

    assert done.returncode == 0
    assert f"127.0.0.1:{local_snowflake.port}" in done.stdout
    assert f"# connection target: {local_snowflake.jdbc_target}\n" in done.stdout
    exports = [line for line in done.stdout.splitlines() if line.startswith("export ")]
    assert exports == [  # what environments/local.yaml and local.env name, as a shell takes it
        f"export LOCALSNOW_PORT={local_snowflake.port}",
        f"export SNOWFLAKE_USER={local_snowflake.username}",
        f"export SNOWFLAKE_PASSWORD={local_snowflake.password}",  # the demo password
    ]


def test_wrong_password_is_rejected_like_snowflake_does(local_snowflake: LocalSnowflake) -> None:
    with pytest.raises(snowflake.connector.errors.DatabaseError) as caught:
        connect(local_snowflake.host, local_snowflake.port, password="not-the-password")

    assert caught.value.errno == 390100
    assert "Incorrect username or password" in str(caught.value)


def test_wrong_user_is_rejected(local_snowflake: LocalSnowflake) -> None:
    with pytest.raises(snowflake.connector.errors.DatabaseError):
        connect(local_snowflake.host, local_snowflake.port, user="intruder")


def test_large_results_arrive_in_chunks(local_snowflake: LocalSnowflake) -> None:
    conn = connect(local_snowflake.host, local_snowflake.port)
    try:
        cursor = conn.cursor()
        cursor.execute(f"SELECT * FROM {QUALIFIED_TABLE}")
        sizes = [table.num_rows for table in cursor.fetch_arrow_batches()]
    finally:
        conn.close()

    assert sum(sizes) == local_snowflake.rows
    assert len(sizes) >= local_snowflake.rows // CHUNK_ROWS
    assert max(sizes) <= CHUNK_ROWS


def held(server: LocalSnowflake) -> dict[str, Any]:
    """What the server holds for its clients, as its health endpoint reports it."""
    url = f"http://{server.host}:{server.port}{HEALTH_PATH}"
    with urllib.request.urlopen(url, timeout=5) as response:
        report: dict[str, Any] = json.load(response)
    return {"sessions": report["sessions"], "results": report["chunks"]["results"]}


def test_a_result_chunk_can_be_downloaded_again(local_snowflake: LocalSnowflake) -> None:
    # the connector downloads a chunk again when a download fails halfway; a second GET of the
    # same chunk URL must get the same rows, not a 404
    conn = connect(local_snowflake.host, local_snowflake.port)
    try:
        cursor = conn.cursor()
        cursor.execute(f"SELECT * FROM {QUALIFIED_TABLE} ORDER BY PROPERTY_ID")
        batches = cursor.get_result_batches() or []
        first = [batch.to_arrow() for batch in batches]
        again = [batch.to_arrow() for batch in batches]
    finally:
        conn.close()

    assert len(batches) >= local_snowflake.rows // CHUNK_ROWS
    assert sum(table.num_rows for table in again) == local_snowflake.rows
    assert all(a.equals(b) for a, b in zip(first, again, strict=True))


def test_a_result_is_held_until_its_connection_closes(local_snowflake: LocalSnowflake) -> None:
    before = held(local_snowflake)
    conn = connect(local_snowflake.host, local_snowflake.port)
    try:
        cursor = conn.cursor()
        cursor.execute(f"SELECT * FROM {QUALIFIED_TABLE}")
        while_open = held(local_snowflake)
        rows = sum(table.num_rows for table in cursor.fetch_arrow_batches())
        after_reading = held(local_snowflake)
    finally:
        conn.close()

    assert rows == local_snowflake.rows
    assert while_open == {"sessions": before["sessions"] + 1, "results": before["results"] + 1}
    assert after_reading == while_open  # still there for a retry
    assert held(local_snowflake) == before  # logged out: the chunks are let go


def test_stop_and_status_are_fine_when_nothing_runs(tmp_path: Path) -> None:
    assert local_server.status(tmp_path) is None
    assert local_server.stop(tmp_path) is False

    status = cli("reconciler_testing.localsnow.server", "status", "--state-dir", str(tmp_path))
    stop = cli("reconciler_testing.localsnow.server", "stop", "--state-dir", str(tmp_path))
    assert (status.returncode, status.stdout.strip()) == (1, "not running")
    assert (stop.returncode, stop.stdout.strip()) == (0, "not running")


def test_data_survives_a_restart_and_is_only_seeded_when_empty(tmp_path: Path) -> None:
    first = local_server.start(tmp_path, port=0, seed_rows=300)
    try:
        assert count_rows(first.host, first.port) == 300
    finally:
        assert local_server.stop(tmp_path) is True
    assert local_server.status(tmp_path) is None
    assert not (tmp_path / localproc.PID_FILE).exists()

    second = local_server.start(tmp_path, port=0, seed_rows=50)
    try:
        assert second.pid != first.pid
        assert count_rows(second.host, second.port) == 300
        reseed = cli(
            "reconciler_testing.localsnow.generate", "--rows", "123", "--port", str(second.port)
        )
        assert reseed.returncode == 0, reseed.stderr
        assert count_rows(second.host, second.port) == 123
    finally:
        local_server.stop(tmp_path)


def test_a_port_in_use_is_reported(local_snowflake: LocalSnowflake, tmp_path: Path) -> None:
    with pytest.raises(local_server.PortInUse, match=f"port {local_snowflake.port} on 127.0.0.1"):
        local_server.start(tmp_path, port=local_snowflake.port, seed_rows=0)
    assert local_server.status(tmp_path) is None
