"""Start, stop and inspect the local S3 server (moto) as a background process.

The tests, a demo and anyone trying a ``file_system`` import without AWS need "an S3 bucket with
the GloboRealty listing files in it" that outlives one command. This module runs moto's server
(every AWS API moto emulates, S3 among them, over HTTP) in a detached child process and keeps
its state in one directory (default ``.reconcile/s3/``), the way
`reconciler_testing.localsnow.server` runs the local Snowflake:

* ``server.pid`` / ``server.port`` - which process serves on which port (the child writes the
  port once the socket is bound *and* the demo logins work, so port 0 means "any free port"
  without races);
* ``server.log`` - the child's output.

moto keeps buckets in memory: a restarted server is empty and ``start`` seeds it again.

Signing is checked as S3 does: the child creates two IAM users through moto's own IAM API, pins
their access keys to the demo values in `reconciler_testing.locals3` and then turns moto's
authentication on, so a wrong secret key gets ``SignatureDoesNotMatch``, an unknown key
``InvalidAccessKeyId`` and the no-access key ``AccessDenied``, exactly as from AWS.

``start`` is idempotent (a running server is reused) and seeds the bucket if it is missing;
``stop`` is fine when nothing runs. CLI::

    python -m reconciler_testing.locals3.server start|stop|status [--port N] [--state-dir D]
        [--listings N]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
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
    pid_exists,
    read_int,
    runs_module,
    terminate,
)
from reconciler_testing.locals3 import (
    BUCKET,
    DEFAULT_HOST,
    DEFAULT_LISTINGS,
    DEFAULT_PORT,
    DEFAULT_STATE_DIR,
    DEMO_ACCESS_KEY_ID,
    DEMO_SECRET_ACCESS_KEY,
    NO_ACCESS_KEY_ID,
    NO_ACCESS_SECRET_ACCESS_KEY,
    PREFIX,
    s3_target,
)

HEALTH_PATH = "/_reconciler/health"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
MODULE = "reconciler_testing.locals3.server"
# (IAM user, access key id, secret access key, allowed S3 actions)
LOGINS = (
    ("globorealty-loader", DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, ("s3:*",)),
    ("globorealty-nobody", NO_ACCESS_KEY_ID, NO_ACCESS_SECRET_ACCESS_KEY, ()),
)


class LocalServerError(ReconcileError):
    """The local S3 server could not be started or reached."""


@dataclass(frozen=True)
class ServerInfo:
    host: str
    port: int
    pid: int

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def target(self, bucket: str = BUCKET) -> str:
        """The connection target of ``bucket`` on this server."""
        return s3_target(self.host, self.port, bucket)


def status(state_dir: Path | str = DEFAULT_STATE_DIR) -> ServerInfo | None:
    """The running server recorded in ``state_dir``, or None if none answers."""
    state = Path(state_dir)
    pid = read_int(state / PID_FILE)
    port = read_int(state / PORT_FILE)
    if pid is None or port is None or not runs_module(pid, MODULE):
        return None
    info = ServerInfo(DEFAULT_HOST, port, pid)
    return info if _healthy(info) else None


def start(
    state_dir: Path | str = DEFAULT_STATE_DIR,
    port: int = DEFAULT_PORT,
    listings: int = DEFAULT_LISTINGS,
    *,
    exit_with: int | None = None,
) -> ServerInfo:
    """Start the server (or reuse the running one) and seed the bucket if it is missing.

    ``exit_with`` is a process id the server watches: it stops when that process is gone (test
    fixtures pass their own, so a killed test run leaves no server behind). ``port=0`` picks a
    free port; ``listings=0`` skips seeding. A running server is reused as it is.
    """
    state = Path(state_dir)
    info = status(state)
    if info is None:
        stop(state)  # clear stale files from a crashed run
        info = _spawn(state, port, exit_with)
    if listings > 0:
        _seed_if_missing(info, listings)
    return info


def stop(state_dir: Path | str = DEFAULT_STATE_DIR) -> bool:
    """Stop the server recorded in ``state_dir``; returns whether one was running."""
    return localproc.stop(Path(state_dir), MODULE, STOP_TIMEOUT)


def _spawn(state: Path, port: int, exit_with: int | None) -> ServerInfo:
    # moto reads these at import: the child decides itself when authentication starts
    env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
    command = [sys.executable, "-m", MODULE, "serve", "--state-dir", str(state)]
    command += ["--port", str(port)]
    if exit_with is not None:
        command += ["--exit-with", str(exit_with)]
    child = localproc.spawn(state, command, env)
    return _wait_until_up(state, child)


def _wait_until_up(state: Path, child: subprocess.Popen[bytes]) -> ServerInfo:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            (state / PID_FILE).unlink(missing_ok=True)
            raise LocalServerError(
                f"the local S3 server exited during start-up:\n{_log_tail(state)}",
                hint="is the port already in use? try --port 0 for any free port",
            )
        port = read_int(state / PORT_FILE)
        if port is not None and _healthy(ServerInfo(DEFAULT_HOST, port, child.pid)):
            return ServerInfo(DEFAULT_HOST, port, child.pid)
        time.sleep(0.05)
    terminate(child.pid, STOP_TIMEOUT)
    raise LocalServerError(f"the local S3 server did not answer within {START_TIMEOUT:.0f}s")


def _seed_if_missing(info: ServerInfo, listings: int) -> None:
    from reconciler_testing.locals3.generate import bucket_exists, client, demo_objects, put_objects

    s3 = client(info.endpoint)
    if not bucket_exists(s3, BUCKET):
        put_objects(s3, BUCKET, demo_objects(listings))


# --- process bookkeeping (reconciler_testing.localproc) ------------------------------------


def _healthy(info: ServerInfo) -> bool:
    return healthy(info.endpoint + HEALTH_PATH)


def _log_tail(state: Path, lines: int = 15) -> str:
    try:
        return "\n".join((state / LOG_FILE).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- the child ---------------------------------------------------------------------------------


def serve(
    state_dir: Path, port: int, host: str = DEFAULT_HOST, exit_with: int | None = None
) -> None:
    """Run the server in this process until SIGTERM/SIGINT (the child side of `start`)."""
    import logging

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    app = _with_health(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="moto", daemon=True
    )
    serving.start()
    stopping = threading.Event()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: stopping.set())
    try:
        endpoint = f"http://{host}:{server.server_port}"
        _enable_logins(endpoint)
        _publish_port(server.server_port, state_dir / PORT_FILE)
        while not stopping.wait(0.2):
            if exit_with is not None and not pid_exists(exit_with):
                break
    finally:
        server.shutdown()


def _with_health(app: Callable[..., Any]) -> Callable[..., Any]:
    """moto's WSGI app plus a health path that `start` polls (S3 paths all need a login)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return app(environ, start_response)  # type: ignore[no-any-return]

    return wrapped


def _enable_logins(endpoint: str) -> None:
    """Create the demo IAM users with their pinned keys, then make moto check every request."""
    import boto3

    _reset_auth(endpoint, "inf")  # set-up requests go unchecked
    iam = boto3.session.Session().client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    for user, key_id, secret, actions in LOGINS:
        iam.create_user(UserName=user)
        if actions:
            statement = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
            policy = {"Version": "2012-10-17", "Statement": [statement]}
            iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(policy))
        iam.create_access_key(UserName=user)
        _pin_access_key(user, key_id, secret)
    _reset_auth(endpoint, "0")  # from now on: signatures and policies are checked


def _pin_access_key(user: str, key_id: str, secret: str) -> None:
    """Give the user's generated access key the demo values (moto draws random ones; its IAM
    API has no way to choose them, so this edits moto's in-memory IAM model directly)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    (key,) = iam_backends[DEFAULT_ACCOUNT_ID]["global"].get_user(user).access_keys
    key.access_key_id = key_id
    key.secret_access_key = secret


def _reset_auth(endpoint: str, initial_no_auth_action_count: str) -> None:
    request = urllib.request.Request(
        endpoint + "/moto-api/reset-auth",
        data=initial_no_auth_action_count.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _publish_port(port: int, port_file: Path) -> None:
    scratch = port_file.with_suffix(".tmp")
    scratch.write_text(f"{port}\n")
    scratch.replace(port_file)


# --- command line ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Local S3 server for the GloboRealty demo.")
    parser.add_argument("command", choices=["start", "stop", "status", "serve"])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--state-dir", type=Path, default=Path(DEFAULT_STATE_DIR))
    parser.add_argument("--listings", type=int, default=DEFAULT_LISTINGS)
    parser.add_argument("--exit-with", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def _describe(info: ServerInfo) -> str:
    """Where it runs, and its demo keys as lines to paste into a shell (they guard only
    synthetic files)."""
    return (
        f"local S3 server (pid {info.pid}) at {info.host}:{info.port}, files under {PREFIX}/\n"
        f"# connection target: {info.target()}\n"
        f"export S3_ACCESS_KEY_ID={shlex.quote(DEMO_ACCESS_KEY_ID)}\n"
        f"export S3_SECRET_ACCESS_KEY={shlex.quote(DEMO_SECRET_ACCESS_KEY)}"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        serve(args.state_dir, args.port, exit_with=args.exit_with)
        return 0
    if args.command == "stop":
        print("stopped" if stop(args.state_dir) else "not running")
        return 0
    running = status(args.state_dir)
    if args.command == "status":
        print(_describe(running) if running else "not running")
        return 0 if running else 1
    try:
        info = start(args.state_dir, args.port, args.listings)
    except ReconcileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(("already running: " if running else "started ") + _describe(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
