"""A `reconcile` that starts in milliseconds, for the workflow tests: the real CLI, imported once.

The workflows run `reconcile` hundreds of times in a test session, and each run spends most of
its half second importing. Here one server process imports reconciler's CLI once; the
`reconcile` on the simulated runners' PATH (``client.py`` beside the socket) hands the server
its argv, working directory, environment and standard streams, and the server forks a child
that runs ``reconciler.cli.main(argv)`` exactly as the console script would, on those streams,
then reports the exit code. Nothing of reconciler is replaced: each command runs in a fresh
fork of an interpreter that has only imported it.

Usage: ``python -m tests.workflows.preload serve SOCKET`` (the fixture starts it).
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import signal
import socket
import struct
import sys
from pathlib import Path

CLIENT = """\
import array, json, os, socket, struct, sys
path = os.environ.get("RECONCILE_PRELOAD_SOCKET", "")
if not path or not os.path.exists(path):
    os.execv(REAL, [REAL, *sys.argv[1:]])
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
conn.connect(path)
message = json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)})
data = message.encode()
conn.sendmsg([struct.pack("!I", len(data)) + data],
             [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
reply = b""
while len(reply) < 4:
    chunk = conn.recv(4 - len(reply))
    if not chunk:
        sys.stderr.write("reconcile (preloaded): the worker died\\n")
        sys.exit(1)
    reply += chunk
sys.exit(struct.unpack("!i", reply)[0])
"""


# What `plan` and `apply` on the embedded workspace import (lazily, so listed here).
PRELOAD = (
    "reconciler.cli",
    "reconciler.cli.app",
    "reconciler.engine.planner",
    "reconciler.engine.apply",
    "reconciler.engine.review",
    "reconciler.engine.checks",
    "reconciler.config.build",
    "reconciler.providers.factory",
    "reconciler.providers.local.provider",
    "reconciler.render.markdown",
    "reconciler.render.terminal",
    "reconciler.render.progress",
    "reconciler.imports.database",
    "sqlglot",
    "rich.console",
)


def write_client(folder: Path, real: Path) -> Path:
    """The `reconcile` executable that talks to the server (or runs ``real`` without one)."""
    folder.mkdir(parents=True, exist_ok=True)
    client = folder / "reconcile"
    client.write_text(f"#!{sys.executable} -S\nREAL = {str(real)!r}\n{CLIENT}", encoding="utf-8")
    client.chmod(0o755)
    return client


def _receive(conn: socket.socket) -> tuple[dict[str, object], list[int]]:
    fds = array.array("i")
    data, ancillary, _, _ = conn.recvmsg(1 << 20, socket.CMSG_LEN(3 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    (size,) = struct.unpack("!I", data[:4])
    body = data[4:]
    while len(body) < size:
        body += conn.recv(size - len(body))
    return json.loads(body), list(fds)


def _run(conn: socket.socket, request: dict[str, object], fds: list[int]) -> None:
    """In the forked child: become the command, run it, report its exit code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds:
        os.close(fd)
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
    argv = [str(a) for a in list(request["argv"])]  # type: ignore[call-overload]
    sys.argv = ["reconcile", *argv]
    code = 1
    try:
        from reconciler.cli import main

        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        try:
            conn.sendall(struct.pack("!i", code))
        finally:
            os._exit(code)


def serve(path: str) -> None:
    import importlib

    for module in PRELOAD:  # the point: import them once, before any fork
        with contextlib.suppress(ImportError):
            importlib.import_module(module)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    print("ready", flush=True)
    parent = os.getppid()
    server.settimeout(5)
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the test session is gone
                return
            continue
        conn.settimeout(None)
        request, fds = _receive(conn)
        if os.fork() == 0:
            server.close()
            _run(conn, request, fds)
        for fd in fds:
            os.close(fd)
        conn.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2])
