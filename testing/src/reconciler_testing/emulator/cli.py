"""Command line: serve an emulated workspace and print how to point azure-ai-ml at it.

``reconciler-emulator --dir D`` (also ``python -m reconciler_testing.emulator`` and
``reconcile emulator``) starts the emulator, prints ``export NAME=value`` lines for the shell
(the management API's URL, its certificate, and a service principal for its token endpoint) and
serves until Ctrl-C or SIGTERM. Point the local provider at the same folder (``path: D`` in an
environment file) to see one workspace through both.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from reconciler_testing.emulator.recordings import seed_from_recordings
from reconciler_testing.emulator.server import Emulator
from reconciler_testing.emulator.settings import FAULT_KINDS, Settings

DEFAULT_DIR = ".reconcile/emulator"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reconciler-emulator",
        description="Serve an emulated Azure ML workspace (management API, Entra ID's token "
        "endpoint and the Blob calls of reconcile's apply lock) over HTTPS, and print the "
        "variables that point azure-ai-ml, azure-identity and reconcile at it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--dir", type=Path, default=Path(DEFAULT_DIR), help="folder of the workspace's state"
    )
    p.add_argument("--host", default=Settings.host, help="address to listen on")
    p.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    p.add_argument(
        "--subscription", default=Settings.subscription_id, help="subscription id it serves"
    )
    p.add_argument(
        "--resource-group", default=Settings.resource_group, help="resource group it serves"
    )
    p.add_argument("--workspace", default=Settings.workspace_name, help="workspace it serves")
    p.add_argument(
        "--location", default=Settings.location, help="Azure region the workspace reports"
    )
    p.add_argument(
        "--page-size", type=int, default=Settings.page_size, help="items per page of a list"
    )
    p.add_argument(
        "--latency-ms", type=float, default=0.0, help="answer API requests this long after arrival"
    )
    p.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of API requests to fail (0 to 1)"
    )
    p.add_argument(
        "--faults",
        default=",".join(FAULT_KINDS),
        help="fault kinds, a comma list: 429, 503, drop (closed unanswered), lost (processed, "
        "then not answered)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the fault sequence")
    p.add_argument(
        "--lro",
        choices=("sync", "async"),
        default=Settings.lro,
        help="long-running operations (schedules): async, as the service, or sync (answered "
        "at once)",
    )
    p.add_argument(
        "--lro-retry-after",
        type=float,
        default=Settings.lro_retry_after,
        help="seconds between operation polls (0: no Retry-After, as the service: the SDK "
        "then waits 5 s)",
    )
    p.add_argument(
        "--plain-http",
        action="store_true",
        help="serve HTTP (the SDK and azure-identity need HTTPS: for raw HTTP clients only)",
    )
    p.add_argument(
        "--recordings",
        type=Path,
        nargs="*",
        default=[],
        help="recorded responses of the real service (test-proxy JSON files) to seed the "
        "workspace with",
    )
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    out = out or sys.stdout
    try:
        emulator = Emulator(
            args.dir,
            subscription_id=args.subscription,
            resource_group=args.resource_group,
            workspace_name=args.workspace,
            location=args.location,
            host=args.host,
            port=args.port,
            tls=not args.plain_http,
            page_size=args.page_size,
            latency_ms=args.latency_ms,
            fault_rate=args.fault_rate,
            faults=tuple(k for k in args.faults.split(",") if k),
            seed=args.seed,
            lro=args.lro,
            lro_retry_after=args.lro_retry_after,
        )
        if args.recordings:
            seed_from_recordings(args.dir, args.recordings)
        emulator.start()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = _stop_on_signals()  # before the banner: a Ctrl-C right after it is caught too
    try:
        print(banner(emulator), file=out, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:  # outside the main thread's handler (embedded use)
        pass
    finally:
        emulator.stop(job_timeout=STOP_TIMEOUT)
    return 0


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``reconciler-emulator`` console script (``reconcile emulator`` dispatches here)."""
    raise SystemExit(main(argv))


def banner(emulator: Emulator) -> str:
    scope = emulator.scope
    lines = [
        f"# Azure ML emulator serving {emulator.base_url} (state: {emulator.root})",
        f"# workspace: subscription {scope.subscription_id}, resource group "
        f"{scope.resource_group}, name {scope.workspace_name}",
        *(f"export {name}={shlex.quote(value)}" for name, value in emulator.env().items()),
        "# the AZURE_* variables sign DefaultAzureCredential in at the emulator's token endpoint;",
        "# RECONCILER_BLOB_URL is the storage reconcile apply's lock takes its lease in (here too)",
        "export RECONCILER_AZURE_POLL_SECONDS=0.2",
        "# Python: MLClient(DefaultAzureCredential(disable_instance_discovery=True), subscription,",
        "#   resource group, workspace), or FakeCredential() from",
        "#   reconciler_testing.emulator.credential (no token endpoint at all)",
        "# Ctrl-C stops it.",
    ]
    return "\n".join(lines)


STOP_TIMEOUT = 10.0  # seconds running imports get to finish when the emulator stops


def _stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM (in the main thread; elsewhere only by the caller)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop
