"""Ctrl-C during apply: no new step starts, running ones finish and are reported, the exit code
says something was applied; a second Ctrl-C stops at once and the next apply converges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import LOCAL, PLATFORM, RunCli, local_env, write_project
from tests.snowflake_fixture import LocalSnowflake

TWO_IMPORTS = """\
connections:
  snowflake_globorealty:
    type: snowflake
    target: TARGET
    credentials: {type: username_password, username: USER, password: '${env:SNOWFLAKE_PASSWORD}'}
imports:
  first_houses:
    source: {type: database, connection: snowflake_globorealty, query: "QUERY"}
    path: azureml://datastores/workspaceblobstore/paths/first_houses
  second_houses:
    source: {type: database, connection: snowflake_globorealty, query: "QUERY"}
    path: azureml://datastores/workspaceblobstore/paths/second_houses
"""
# a query slow enough to be interrupted while it runs (a cross join of the 10,000 rows)
QUERY = "SELECT a.* FROM GLOBOREALTY.REAL_ESTATE.RAW a, GLOBOREALTY.REAL_ESTATE.RAW b LIMIT 400000"


def project(tmp_path: Path, snowflake: LocalSnowflake, query: str = QUERY) -> Path:
    text = (
        TWO_IMPORTS.replace("TARGET", snowflake.jdbc_target)
        .replace("USER", snowflake.username)
        .replace("QUERY", query)
    )
    return write_project(
        tmp_path,
        {
            "platform.yaml": text,
            "environments/local.yaml": LOCAL,
            "environments/local.env": local_env(password=snowflake.password),
        },
    )


@pytest.fixture
def project_without_imports(tmp_path: Path) -> Path:
    base = PLATFORM[: PLATFORM.index("imports:")]
    return write_project(
        tmp_path,
        {
            "platform.yaml": base,
            "environments/local.yaml": LOCAL,
            "environments/local.env": local_env(),
        },
    )


LEASE = "3"  # seconds until an abandoned import reads as interrupted


def start_apply(folder: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNOWFLAKE_")}
    env.update(NO_COLOR="1", PYTHONUNBUFFERED="1", RECONCILER_JOB_LEASE_SECONDS=LEASE)
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve", "--parallelism", "1"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Applies started by a test, killed if a test fails half-way."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_for_running_job(folder: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        store = LocalWorkspace(folder / ".reconcile/local").store
        running = [j for j in store.list_jobs() if j.status == "Running"]
        store.close()
        if running:
            return
        time.sleep(0.05)
    raise AssertionError("the import never started")


def wait_for_line(proc: subprocess.Popen[str], needle: str) -> list[str]:
    assert proc.stdout is not None
    seen: list[str] = []
    while True:
        line = proc.stdout.readline()
        assert line, "".join(seen) + (proc.stderr.read() if proc.stderr else "")
        seen.append(line)
        if needle in line:
            return seen


def test_ctrl_c_finishes_the_running_import_and_says_what_was_not_started(
    tmp_path: Path,
    local_snowflake: LocalSnowflake,
    invoke: RunCli,
    processes: list[subprocess.Popen[str]],
) -> None:
    folder = project(tmp_path, local_snowflake)
    proc = start_apply(folder)
    processes.append(proc)
    before = wait_for_line(proc, "import.first_houses: materialize")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    text = "".join(before) + out

    assert proc.returncode == 3, text + err
    assert "Interrupted: no new step will start" in text
    assert "✓ import.first_houses applied" in text
    assert "Apply interrupted: 2 applied, 0 failed, 0 skipped, 1 not started." in text
    assert "not started: import.second_houses" in text
    assert "Aborted" not in text + err
    rest = invoke("plan", "--format", "json", cwd=folder)
    assert '"address": "import.second_houses"' in rest.stdout
    assert invoke("apply", "--auto-approve", cwd=folder).code == 0


def test_a_second_ctrl_c_stops_at_once_and_the_next_apply_converges(
    tmp_path: Path,
    local_snowflake: LocalSnowflake,
    invoke: RunCli,
    processes: list[subprocess.Popen[str]],
) -> None:
    folder = project(tmp_path, local_snowflake)
    proc = start_apply(folder)
    processes.append(proc)
    wait_for_line(proc, "import.first_houses: materialize")
    wait_for_running_job(folder)  # the import has started for real
    proc.send_signal(signal.SIGINT)
    wait_for_line(proc, "Interrupted: no new step will start")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130

    # An import abandoned half-way still holds its lease: apply --wait waits until it reads as
    # interrupted and reports it (exit 3); one that finished just before the second Ctrl-C is
    # simply done. Either way the next apply converges.
    lease = {"RECONCILER_JOB_LEASE_SECONDS": LEASE}
    waited = invoke("apply", "--auto-approve", "--wait", cwd=folder, env=lease)
    assert waited.code in (0, 3), waited.output
    if waited.code == 3:
        assert "import.first_houses: job" in waited.stdout and "interrupted" in waited.stdout
    assert invoke("apply", "--auto-approve", cwd=folder, env=lease).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=folder, env=lease).code == 0
    assert not any((folder / ".reconcile/local/staging").iterdir())  # its leftovers cleared


def test_a_ctrl_c_after_the_last_step_keeps_the_applys_exit_code(
    project_without_imports: Path, invoke: RunCli
) -> None:
    """The steps are over when the summary is written; a Ctrl-C then changes nothing, so the
    apply that completed still exits 0 (it used to exit 130 after "Apply complete")."""
    folder = project_without_imports
    os.mkfifo(folder / "summary.md")  # the apply blocks writing it until someone reads
    main = threading.get_native_id()
    read: list[str] = []

    def interrupt_then_read() -> None:
        wchan = Path(f"/proc/self/task/{main}/wchan")
        deadline = time.monotonic() + 60
        while wchan.read_text() != "wait_for_partner" and time.monotonic() < deadline:
            time.sleep(0.01)  # until the main thread waits to write the summary
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
        read.append((folder / "summary.md").read_text())

    helper = threading.Thread(target=interrupt_then_read)
    helper.start()
    result = invoke("apply", "--auto-approve", "--summary-file", "summary.md", cwd=folder)
    helper.join(60)

    assert result.code == 0, result.output
    assert "Apply complete: 2 applied" in result.stdout
    assert "the steps are over and their outcome stands" in result.stderr
    assert "Apply complete" in read[0]
