"""Process bookkeeping for the local servers (`reconciler_testing.localsnow`,
`reconciler_testing.locals3`): a server runs detached, leaves its pid and port in files of its
state folder, and is stopped by pid, but only when that pid is still the server (pids are
reused)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

PID_FILE = "server.pid"
PORT_FILE = "server.port"  # the port the server bound, written by the server once it listens
LOG_FILE = "server.log"


def spawn(state: Path, command: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start ``command`` detached (its own session, output to the state folder's log) and
    record its pid; the port file is cleared for the server to write."""
    state.mkdir(parents=True, exist_ok=True)
    (state / PORT_FILE).unlink(missing_ok=True)
    with open(state / LOG_FILE, "ab") as log:
        child = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            start_new_session=True,
        )
    (state / PID_FILE).write_text(f"{child.pid}\n")
    return child


def stop(state: Path, module: str, timeout: float) -> bool:
    """Stop the ``python -m module`` server recorded in ``state`` and clear its files; returns
    whether one was running."""
    pid = read_int(state / PID_FILE)
    running = pid is not None and runs_module(pid, module)
    if pid is not None and running:
        terminate(pid, timeout)
    for name in (PID_FILE, PORT_FILE):
        (state / name).unlink(missing_ok=True)
    return running


def read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        # reap it if it is our own child, else a zombie would look alive
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return False
    return pid_exists(pid)


def runs_module(pid: int, module: str) -> bool:
    """Whether ``pid`` is a live ``python -m module`` (not a recycled pid of something else)."""
    if not alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the pid file
    return module.encode() in cmdline


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.05)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def healthy(url: str) -> bool:
    """Whether ``url`` answers 200 within two seconds."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
