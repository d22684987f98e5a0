"""Benchmark the local Snowflake server's memory over repeated imports of a large table.

The local server must not grow with the number of imports it has answered: a developer who
re-runs a 1M-row import all day should see the server's memory level off, not climb until the
machine swaps. This script starts a server in a temporary state directory (free port), seeds
``GLOBOREALTY.REAL_ESTATE.RAW`` with ``--rows`` rows, then runs the real import runner
(``DatabaseImportRunner``: connect, query, download every chunk, write Parquet) ``--imports``
times, and reads the server's resident memory (``VmRSS``) after each import and its peak
(``VmHWM``) at the end. It prints a Markdown table.

``--abandon`` replaces each import by a client that runs the query, reads the first chunk and
dies without logging out (``os._exit``): the worst case, where the server cannot tell that a
result is done with and only its chunk budget bounds what it holds.

    python bench/localsnow_bench.py [--rows 1000000] [--imports 10] [--abandon]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.imports.base import ImportRequest
from reconciler.imports.database import DatabaseImportRunner
from reconciler_testing.localsnow import DEMO_PASSWORD, DEMO_USERNAME, QUALIFIED_TABLE, jdbc_target
from reconciler_testing.localsnow import server as local_server
from reconciler_testing.localsnow.generate import connect, seed


def server_memory_mb(pid: int) -> dict[str, float]:
    """The server's current (VmRSS) and peak (VmHWM) resident memory, in MB."""
    memory = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            memory[key] = int(value.split()[0]) / 1024
    return memory


def one_import(port: int, out_dir: Path) -> int:
    request = ImportRequest(
        asset_name="raw_house_data",
        version="bench",
        source_type="database",
        connection_name="globorealty_snowflake",
        connection_type="snowflake",
        connection_target=jdbc_target(port=port),
        credentials={"username": DEMO_USERNAME, "password": DEMO_PASSWORD},
        query=f"SELECT * FROM {QUALIFIED_TABLE}",
    )
    out_dir.mkdir()
    try:
        return DatabaseImportRunner().run(request, out_dir).rows
    finally:
        shutil.rmtree(out_dir)


def abandoned_import(port: int) -> int:
    """Run the query in a child that reads one chunk and dies without logging out."""
    command = [sys.executable, __file__, "--child-abandon", "--port", str(port)]
    subprocess.run(command, check=True, timeout=600)
    return -1


def child_abandon(port: int) -> None:
    conn = connect("127.0.0.1", port)
    cursor = conn.cursor()
    cursor.execute(f"SELECT * FROM {QUALIFIED_TABLE}")
    next(iter(cursor.fetch_arrow_batches()))
    os._exit(0)  # no close(), no logout: as if killed


def bench(rows: int, imports: int, abandon: bool = False) -> list[str]:
    lines = ["| after | seconds | server RSS (MB) |", "|---|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="localsnow-bench-") as tmp:
        state = Path(tmp) / "state"
        info = local_server.start(state, port=0, seed_rows=0)
        try:
            started = time.perf_counter()
            conn = connect(info.host, info.port)
            try:
                seed(conn, rows=rows)
            finally:
                conn.close()
            seeded = server_memory_mb(info.pid)
            lines.append(f"| seeding {rows:,} rows | | {seeded['VmRSS']:.0f} |")
            print(lines[-1], f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
            rss = []
            for number in range(1, imports + 1):
                started = time.perf_counter()
                if abandon:
                    got = abandoned_import(info.port)
                else:
                    got = one_import(info.port, Path(tmp) / f"import-{number}")
                seconds = time.perf_counter() - started
                if got != rows and not abandon:
                    raise SystemExit(f"import {number} read {got:,} rows, expected {rows:,}")
                rss.append(server_memory_mb(info.pid)["VmRSS"])
                label = "abandoned query" if abandon else "import"
                lines.append(f"| {label} {number} | {seconds:.2f} | {rss[-1]:.0f} |")
                print(lines[-1], file=sys.stderr)
            peak = server_memory_mb(info.pid)["VmHWM"]
        finally:
            local_server.stop(state)
    growth = (rss[-1] - rss[0]) / max(imports - 1, 1)
    lines.append("")
    what = "abandoned queries" if abandon else "imports"
    lines.append(
        f"{imports} {what} of {rows:,} rows: server RSS {rss[0]:.0f} MB after the first, "
        f"{rss[-1]:.0f} MB after the last ({growth:+.0f} MB per run on average); peak {peak:.0f} MB"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--imports", type=int, default=10)
    parser.add_argument("--abandon", action="store_true", help="clients die without logging out")
    parser.add_argument("--child-abandon", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_abandon:
        child_abandon(args.port)
    print("\n".join(bench(args.rows, args.imports, args.abandon)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
