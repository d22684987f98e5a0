"""Building blocks of the attack scenarios (issue 16's holes): what an attacker changes, and how
a test tells what the attack achieved.

An attack test does what the attacker does on the simulated GitHub, then calls `refuse` with
whether the safe outcome held and, if not, what the attacker achieved. `refuse` raises
`AttackSucceeded`. In phase 1 the tests were strict xfails expecting exactly that exception
(the holes were open); the flow closed them and the markers are gone: a reopened hole fails its
test with what the attacker achieved.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reconciler.providers.local.store import Record, Store
from tests.workflows.conftest import GitHub, Repo
from tests.workflows.scenarios import Change


class AttackSucceeded(AssertionError):
    """The attack achieved what it must not."""


def refuse(safe: bool, achieved: str) -> None:
    if not safe:
        raise AttackSucceeded(f"the attack worked: {achieved}")


def resources(repo: Repo, env: str) -> dict[str, Record]:
    """The connections and datastores of ``env``'s workspace, by address."""
    store = Store(repo.workspace(env), read_only=True)
    try:
        return {
            f"{kind}.{r.name}": r
            for kind in ("connection", "datastore")
            for r in store.list_objects(kind)
            if not r.system
        }
    finally:
        store.close()


def replaced(before: dict[str, Record], after: dict[str, Record]) -> list[str]:
    """Addresses deleted and created again between two looks."""
    return sorted(
        a for a, r in before.items() if a in after and after[a].created_at != r.created_at
    )


def tag(repo: Repo, env: str, address: str, name: str) -> str:
    return str(resources(repo, env)[address].body.get("tags", {}).get(name, ""))


def applied_marker(github: GitHub, env: str) -> str:
    """The commit of the newest `applied-<env>` artifact of an apply run on main: where the
    next apply run starts (reconciler.gitops.window's rule)."""
    github.sim.load()
    runs = {r["id"]: r for r in github.sim.state["runs"]}
    found = sorted(
        (a for a in github.sim.state["artifacts"] if a["name"] == f"applied-{env}"),
        key=lambda a: -a["order"],
    )
    for artifact in found:
        run = runs[artifact["workflow_run"]["id"]]
        if run["path"] == ".github/workflows/reconciler.yml" and run["head_branch"] == "main":
            return str(run["head_sha"])
    return ""


def live_markdown(body: str) -> str:
    """What GitHub renders as markdown (mentions notify, images load): outside code blocks
    and code spans."""
    body = re.sub(r"(?ms)^(`{3,}|~{3,}).*?^\1[ \t]*$", "", body)
    return re.sub(r"`[^`\n]*`", "", body)


def both(*changes: Change) -> Change:
    def change(repo: Repo) -> None:
        for one in changes:
            one(repo)

    return change


def script_edit(old: str, new: str, script: str) -> Change:
    """The pull request changes a file its own run runs (a workflow file; in phase 1, a CI
    script)."""

    def change(repo: Repo) -> None:
        repo.edit(old, new, script)

    return change


# --- an attacker's server ------------------------------------------------------------------


class Inbox:
    """What an attacker's host received (request bodies)."""

    def __init__(self) -> None:
        self.received: list[str] = []

    def text(self) -> str:
        return "\n".join(self.received)


@contextmanager
def attacker_host() -> Iterator[tuple[int, Inbox]]:
    """An HTTP server on 127.0.0.1 that answers every Snowflake login with a refusal and
    keeps what it was sent: the host a changed connection target points at."""
    inbox = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                import gzip

                body = gzip.decompress(body)
            except OSError:
                pass
            inbox.received.append(self.path + " " + body.decode("utf-8", "replace"))
            answer: dict[str, Any] = {
                "success": False,
                "code": "390100",
                "message": "Incorrect username or password was specified.",
                "data": None,
            }
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], inbox
    finally:
        server.shutdown()
        server.server_close()


def attacker_target(port: int) -> str:
    return (
        f"jdbc:snowflake://127.0.0.1:{port}/?db=GLOBOREALTY&schema=REAL_ESTATE"
        "&warehouse=COMPUTE_WH&protocol=http"
    )


def inbox_file(github: GitHub) -> Path:
    """Where the attacker's code sends what it steals (a file: the attacker's server)."""
    return github.sim.home / "attacker-inbox"
