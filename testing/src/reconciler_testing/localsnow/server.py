"""Start, stop and inspect the local Snowflake server as a background process.

The Makefile, the test fixtures, the benchmark and the local provider all need "a Snowflake
with the GloboRealty table in it" that outlives one command. This module runs the app from
`reconciler_testing.localsnow.app` under uvicorn in a detached child process and keeps its state
in one directory (default ``.reconcile/snowflake/``):

* ``server.pid`` / ``server.port`` - which process serves on which port (written by the child
  once its socket is bound, so port 0 means "any free port" without races);
* ``server.env`` - ``LOCALSNOW_PORT=<port>``, the port it runs (or last ran) on, for
  ``environments/local.yaml``'s connection target (it lists this file as an optional
  ``env_file``). It is kept after ``stop``: the connection that ``apply`` made with this port
  must still match the desired state, so ``plan`` keeps reporting no changes;
* ``server.log`` - the child's output;
* ``data/`` - the DuckDB files, so tables survive a restart; ``bucket/`` - stage uploads.

``start`` is idempotent (a running server is reused) and seeds the table if it is missing or
empty; ``stop`` is fine when nothing runs. Without ``--port`` it listens on the port it last ran
on (else 8765) and, when something else holds that port, on any free one: the port follows the
server through ``server.env``, so nobody edits a file because a port is busy. ``--port N`` means
exactly N (0: any free port), and a busy N is an error. CLI::

    python -m reconciler_testing.localsnow.server start|stop|status [--port N] [--state-dir D]
        [--seed-rows N]
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.core.errors import ReconcileError
from reconciler_testing import localproc
from reconciler_testing.localproc import (
    LOG_FILE,
    PID_FILE,
    PORT_FILE,
    healthy,
    read_int,
    runs_module,
    terminate,
)
from reconciler_testing.localsnow import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SEED_ROWS,
    DEFAULT_STATE_DIR,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    QUALIFIED_TABLE,
    jdbc_target,
)

ENV_FILE = "server.env"
PORT_VARIABLE = "LOCALSNOW_PORT"
PORT_IN_USE_EXIT = 98  # the child's exit code when its port is taken (Linux's EADDRINUSE)
USERNAME_ENV = "LOCALSNOW_USERNAME"
PASSWORD_ENV = "LOCALSNOW_PASSWORD"  # passed by environment, never on the command line
START_TIMEOUT = 30.0
CHUNK_ROWS = 50_000  # rows per result chunk; the connector downloads chunks as it iterates
STOP_TIMEOUT = 10.0


class LocalServerError(ReconcileError):
    """The local Snowflake server could not be started or reached."""


class PortInUse(LocalServerError):
    """Something else listens on the port the server was asked to use."""

    def __init__(self, port: int) -> None:
        super().__init__(
            f"port {port} on {DEFAULT_HOST} is already in use",
            hint="stop what listens there, or leave out --port to let the server pick a port",
        )
        self.port = port


@dataclass(frozen=True)
class ServerInfo:
    host: str
    port: int
    pid: int

    @property
    def jdbc_target(self) -> str:
        return jdbc_target(self.host, self.port)


def status(state_dir: Path | str = DEFAULT_STATE_DIR) -> ServerInfo | None:
    """The running server recorded in ``state_dir``, or None if none answers."""
    state = Path(state_dir)
    pid = read_int(state / PID_FILE)
    port = read_int(state / PORT_FILE)
    if pid is None or port is None or not runs_module(pid, "reconciler_testing.localsnow.server"):
        return None
    info = ServerInfo(DEFAULT_HOST, port, pid)
    return info if _healthy(info) else None


def start(
    state_dir: Path | str = DEFAULT_STATE_DIR,
    port: int | None = None,
    seed_rows: int = DEFAULT_SEED_ROWS,
    *,
    username: str = DEMO_USERNAME,
    password: str = DEMO_PASSWORD,
    chunk_rows: int = CHUNK_ROWS,
    exit_with: int | None = None,
) -> ServerInfo:
    """Start the server (or reuse the running one) and seed the table if it is missing or empty.

    ``port=None`` listens on `preferred_port` or, if something else holds it, on any free port;
    ``port=N`` on exactly N (`PortInUse` if taken), ``port=0`` on any free port. The port is
    published in ``server.env``. A running server is reused as it is, whatever port or settings
    were asked for.

    ``exit_with`` is a process id the server watches: it stops when that process is gone (test
    fixtures pass their own, so a killed test run leaves no server behind). ``seed_rows=0``
    skips seeding. ``chunk_rows`` is how many rows a result chunk holds (tests lower it to
    exercise chunked results on small tables).
    """
    state = Path(state_dir)
    info = status(state)
    if info is None:
        stop(state)  # clear stale files from a crashed run
        spawn = functools.partial(
            _spawn,
            state,
            username=username,
            password=password,
            chunk_rows=chunk_rows,
            exit_with=exit_with,
        )
        try:
            info = spawn(preferred_port(state) if port is None else port)
        except PortInUse:
            if port is not None:
                raise
            info = spawn(0)
    _publish_port(state, info.port)
    if seed_rows > 0:
        _seed_if_empty(info, seed_rows, username, password)
    return info


def preferred_port(state_dir: Path | str = DEFAULT_STATE_DIR) -> int:
    """The port the server last ran on (so a connection made then still matches), else 8765."""
    try:
        text = (Path(state_dir) / ENV_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return DEFAULT_PORT
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.strip() == PORT_VARIABLE and value.strip().isdigit():
            port = int(value.strip())
            return port if 0 < port < 65536 else DEFAULT_PORT
    return DEFAULT_PORT


def _publish_port(state: Path, port: int) -> None:
    """Write ``server.env`` (atomically) for environments/local.yaml to read."""
    text = (
        "# Written by `python -m reconciler_testing.localsnow.server start`: the port the local\n"
        "# Snowflake runs (or last ran) on. environments/local.yaml reads it as an optional\n"
        "# env_file. It outlives `stop`, so the connection made with this port still matches\n"
        "# the desired state.\n"
        f"{PORT_VARIABLE}={port}\n"
    )
    path = state / ENV_FILE
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return
    scratch = path.with_suffix(".tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(path)


def stop(state_dir: Path | str = DEFAULT_STATE_DIR) -> bool:
    """Stop the server recorded in ``state_dir``; returns whether one was running."""
    return localproc.stop(Path(state_dir), "reconciler_testing.localsnow.server", STOP_TIMEOUT)


def _spawn(
    state: Path,
    port: int,
    *,
    username: str,
    password: str,
    chunk_rows: int,
    exit_with: int | None = None,
) -> ServerInfo:
    env = {**os.environ, USERNAME_ENV: username, PASSWORD_ENV: password}
    command = [sys.executable, "-m", "reconciler_testing.localsnow.server", "serve"]
    command += ["--state-dir", str(state), "--port", str(port), "--chunk-rows", str(chunk_rows)]
    if exit_with is not None:
        command += ["--exit-with", str(exit_with)]
    child = localproc.spawn(state, command, env)
    return _wait_until_up(state, child, port)


def _wait_until_up(state: Path, child: subprocess.Popen[bytes], port: int) -> ServerInfo:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            (state / PID_FILE).unlink(missing_ok=True)
            if child.returncode == PORT_IN_USE_EXIT:
                raise PortInUse(port)
            raise LocalServerError(
                f"the local Snowflake server exited during start-up (exit code "
                f"{child.returncode}): {_last_log_line(state)}",
                hint=f"its log is {state / LOG_FILE}",
            )
        bound = read_int(state / PORT_FILE)
        if bound is not None and _healthy(ServerInfo(DEFAULT_HOST, bound, child.pid)):
            return ServerInfo(DEFAULT_HOST, bound, child.pid)
        time.sleep(0.1)
    terminate(child.pid, STOP_TIMEOUT)
    raise LocalServerError(f"the local Snowflake server did not answer within {START_TIMEOUT:.0f}s")


def _seed_if_empty(info: ServerInfo, rows: int, username: str, password: str) -> None:
    from snowflake.connector.errors import Error

    from reconciler_testing.localsnow.generate import connect, seed, table_rows

    try:
        conn = connect(info.host, info.port, username, password)
        try:
            if not table_rows(conn):
                seed(conn, rows=rows)
        finally:
            conn.close()
    except Error as exc:
        raise LocalServerError(
            f"the local Snowflake server at {info.host}:{info.port} could not be seeded: "
            f"{exc.msg or exc}"
        ) from exc


def _healthy(info: ServerInfo) -> bool:
    from reconciler_testing.localsnow.app import HEALTH_PATH

    return healthy(f"http://{info.host}:{info.port}{HEALTH_PATH}")


def _last_log_line(state: Path) -> str:
    """The last line the child logged: the error itself, never its traceback."""
    try:
        lines = (state / LOG_FILE).read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    return next((line.strip() for line in reversed(lines) if line.strip()), "(nothing logged)")


def serve(
    state_dir: Path,
    port: int,
    chunk_rows: int = CHUNK_ROWS,
    host: str = DEFAULT_HOST,
    exit_with: int | None = None,
) -> None:
    """Run the server in this process until SIGTERM/SIGINT (the child side of `start`)."""
    import uvicorn

    from reconciler_testing.localsnow.app import (
        build_app,
        checkpoint_storage,
        use_persistent_storage,
    )

    # fakesnow warns on every query that DuckDB copies the result once more; not actionable
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    use_persistent_storage(state_dir / "data", state_dir / "bucket")
    username = os.environ.get(USERNAME_ENV, DEMO_USERNAME)
    app = build_app(username, os.environ.get(PASSWORD_ENV, DEMO_PASSWORD), chunk_rows)
    try:
        sock = _bind(host, port, state_dir / PORT_FILE)
    except OSError as exc:
        # said in one line (the parent shows the log's last line), and no traceback
        print(f"cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(PORT_IN_USE_EXIT if exc.errno == errno.EADDRINUSE else 1) from None
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    # uvicorn re-raises the stop signal after shutting down; with the default handler that
    # would kill us before the checkpoint below, so make the re-raised signal a no-op
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    if exit_with is not None:
        _watch(exit_with, server)
    try:
        server.run(sockets=[sock])
    finally:
        checkpoint_storage()


def _watch(pid: int, server: Any) -> None:
    """Ask uvicorn to shut down (cleanly, with the checkpoint) once ``pid`` has gone."""
    import threading

    def watch() -> None:
        while not server.should_exit:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                server.should_exit = True
                return
            except PermissionError:
                pass
            time.sleep(1.0)

    threading.Thread(target=watch, name="exit-with", daemon=True).start()


def _bind(host: str, port: int, port_file: Path) -> socket.socket:
    """Bind the listening socket and publish its port (atomically) for `start` to read."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    scratch = port_file.with_suffix(".tmp")
    scratch.write_text(f"{sock.getsockname()[1]}\n")
    scratch.replace(port_file)
    return sock


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Local Snowflake server for the GloboRealty demo.")
    parser.add_argument("command", choices=["start", "stop", "status", "serve"])
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="exactly this port (0: any free one); default: the port it last ran on, else "
        f"{DEFAULT_PORT}, or any free port if that is taken",
    )
    parser.add_argument("--state-dir", type=Path, default=Path(DEFAULT_STATE_DIR))
    parser.add_argument("--seed-rows", type=int, default=DEFAULT_SEED_ROWS)
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, help=argparse.SUPPRESS)
    parser.add_argument("--exit-with", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def _describe(info: ServerInfo, state: Path) -> str:
    """Where it runs, and its demo login as lines to paste into a shell (the values of
    environments/local.env: they guard only synthetic data)."""
    return (
        f"local Snowflake server (pid {info.pid}) at {info.host}:{info.port}, table "
        f"{QUALIFIED_TABLE}\n"
        f"# connection target: {info.jdbc_target}\n"
        f"# the port is also in {state / ENV_FILE}, which environments/local.yaml reads\n"
        f"export {PORT_VARIABLE}={info.port}\n"
        f"export SNOWFLAKE_USER={shlex.quote(DEMO_USERNAME)}\n"
        f"export SNOWFLAKE_PASSWORD={shlex.quote(DEMO_PASSWORD)}"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        serve(
            args.state_dir,
            DEFAULT_PORT if args.port is None else args.port,
            args.chunk_rows,
            exit_with=args.exit_with,
        )
        return 0
    if args.command == "stop":
        print("stopped" if stop(args.state_dir) else "not running")
        return 0
    running = status(args.state_dir)
    if args.command == "status":
        print(_describe(running, args.state_dir) if running else "not running")
        return 0 if running else 1
    wanted = preferred_port(args.state_dir) if args.port is None else args.port
    try:
        info = start(args.state_dir, args.port, args.seed_rows)
    except ReconcileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # the state folder cannot be written, say
        print(f"error: {exc.strerror or exc}: {exc.filename or args.state_dir}", file=sys.stderr)
        return 1
    if running is None and wanted and info.port != wanted:
        print(f"port {wanted} is in use; listening on {info.port} instead")
    print(("already running: " if running else "started ") + _describe(info, args.state_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
