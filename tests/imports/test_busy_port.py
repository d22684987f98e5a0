"""The quick start never trips on a busy port: the local Snowflake moves to a free port and the
shipped local environment follows it, with no file to edit and no traceback.

The demo flow runs on copies of the repository's own ``platform.yaml`` and
``environments/local.{yaml,env}``, with port 8765 held by something else: the server starts
elsewhere, ``plan``/``apply``/``plan`` converge on it, and ``plan`` still reports no changes
after the server has stopped (the README's promise after ``make demo``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler_testing import localproc
from reconciler_testing.localsnow import DEFAULT_PORT
from reconciler_testing.localsnow import server as local_server
from tests.conftest import RunCli

REPOSITORY = Path(__file__).resolve().parents[2]
SHIPPED = ("platform.yaml", "environments/local.yaml", "environments/local.env")
STATE = ".reconcile/snowflake"


@contextlib.contextmanager
def occupied(port: int, wait: float = 30.0) -> Iterator[None]:
    """Hold ``port`` on 127.0.0.1. Another test worker may hold it for a moment (the other test
    here that needs it busy) and then let go mid-test, so wait to own it; only something that
    holds it all along (a developer's own local Snowflake) is taken as holding it for us."""
    deadline = time.monotonic() + wait
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        while True:
            try:
                holder.bind(("127.0.0.1", port))
                holder.listen()
                break
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        yield


@pytest.fixture
def demo_project(tmp_path: Path) -> Iterator[Path]:
    for relative in SHIPPED:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPOSITORY / relative, tmp_path / relative)
    yield tmp_path
    local_server.stop(tmp_path / STATE)


def test_the_demo_moves_to_a_free_port_when_8765_is_taken_and_the_plan_follows(
    demo_project: Path, invoke: RunCli
) -> None:
    state = demo_project / STATE
    with occupied(DEFAULT_PORT):
        info = local_server.start(state, seed_rows=500, exit_with=os.getpid())
    assert info.port != DEFAULT_PORT
    assert f"LOCALSNOW_PORT={info.port}\n" in (state / local_server.ENV_FILE).read_text()

    planned = invoke("plan", "--env", "local", cwd=demo_project)
    assert planned.code == 0, planned.output
    assert f"127.0.0.1:{info.port}/" in planned.stdout

    applied = invoke("apply", "--env", "local", "--auto-approve", cwd=demo_project)
    assert applied.code == 0, applied.output
    assert "Apply complete: 3 applied, 0 failed, 0 skipped." in applied.stdout
    status = invoke("status", "--env", "local", cwd=demo_project)
    assert "Completed" in status.stdout and "500" in status.stdout

    assert local_server.stop(state) is True
    after_stop = invoke("plan", "--env", "local", "--detailed-exitcode", cwd=demo_project)
    assert after_stop.code == 0, after_stop.output
    assert "No changes." in after_stop.stdout

    # started again (8765 free or not), it keeps the port the connection was made with
    again = local_server.start(state, seed_rows=0, exit_with=os.getpid())
    assert again.port == info.port
    replan = invoke("plan", "--env", "local", "--detailed-exitcode", cwd=demo_project)
    assert replan.code == 0, replan.output


def test_without_a_server_env_the_local_environment_uses_8765(
    demo_project: Path, invoke: RunCli
) -> None:
    planned = invoke("plan", "--env", "local", cwd=demo_project)

    assert planned.code == 0, planned.output
    assert "127.0.0.1:8765/" in planned.stdout


def start_cli(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "reconciler_testing.localsnow.server", "start"]
    command += ["--state-dir", str(state), "--seed-rows", "0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_start_command_says_which_port_it_took(tmp_path: Path) -> None:
    try:
        with occupied(DEFAULT_PORT):
            done = start_cli(tmp_path)
        port = local_server.preferred_port(tmp_path)
    finally:
        local_server.stop(tmp_path)

    assert done.returncode == 0, done.stderr
    assert port != DEFAULT_PORT
    assert f"port {DEFAULT_PORT} is in use; listening on {port} instead" in done.stdout
    assert f"LOCALSNOW_PORT={port}" in done.stdout


def test_an_explicit_busy_port_is_an_error_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        done = start_cli(tmp_path, "--port", str(busy))

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: port {busy} on 127.0.0.1 is already in use",
        "  hint: stop what listens there, or leave out --port to let the server pick a port",
    ]
    assert local_server.status(tmp_path) is None
    assert "Traceback" not in (tmp_path / localproc.LOG_FILE).read_text()
