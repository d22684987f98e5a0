"""Benchmark the Snowflake import runner against the local server: throughput and peak memory.

The import runner must stream: its memory may grow with the batch size, never with the table.
This script starts a local Snowflake server in a temporary state directory, seeds
``GLOBOREALTY.REAL_ESTATE.RAW`` with 10k, 100k and 1M rows in turn, and runs
``DatabaseImportRunner`` for each size in a fresh subprocess, so the child's peak RSS
(``ru_maxrss``) is the import's alone. It prints a Markdown table.

    python bench/import_bench.py [--sizes 10000,100000,1000000] [--batch-rows 50000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reconciler.imports.base import ImportRequest
from reconciler.imports.database import DatabaseImportRunner
from reconciler_testing.localsnow import DEMO_PASSWORD, DEMO_USERNAME, QUALIFIED_TABLE, jdbc_target
from reconciler_testing.localsnow import server as local_server
from reconciler_testing.localsnow.generate import connect, seed

RSS_LIMIT_MB = 500


def run_child(port: int, batch_rows: int, out_dir: Path) -> dict[str, Any]:
    """Run one import in this process and report what it did (the subprocess side)."""
    request = ImportRequest(
        asset_name="raw_house_data",
        version="bench",
        source_type="database",
        connection_name="globorealty_snowflake",
        connection_type="snowflake",
        connection_target=jdbc_target(port=port),
        credentials={"username": DEMO_USERNAME, "password": DEMO_PASSWORD},
        query=f"SELECT * FROM {QUALIFIED_TABLE}",
        batch_rows=batch_rows,
    )
    started = time.perf_counter()
    result = DatabaseImportRunner().run(request, out_dir)
    seconds = time.perf_counter() - started
    size = sum((out_dir / name).stat().st_size for name in result.files)
    return {
        "rows": result.rows,
        "seconds": seconds,
        "files": len(result.files),
        "bytes": size,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def measure(port: int, batch_rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="import-bench-out-") as out:
        command = [sys.executable, __file__, "--child", "--port", str(port)]
        command += ["--batch-rows", str(batch_rows), "--out", out]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def server_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench(sizes: list[int], batch_rows: int) -> list[str]:
    lines = [
        "| rows | seed (s) | import (s) | rows/s | runner peak RSS (MB) | Parquet (MB) | files |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="import-bench-state-") as state:
        info = local_server.start(state, port=0, seed_rows=0)
        try:
            for rows in sizes:
                started = time.perf_counter()
                conn = connect(info.host, info.port)
                try:
                    seed(conn, rows=rows)
                finally:
                    conn.close()
                seeded = time.perf_counter() - started
                r = measure(info.port, batch_rows)
                rss = r["max_rss_kb"] / 1024
                flag = "" if rss < RSS_LIMIT_MB else " (over limit!)"
                lines.append(
                    f"| {r['rows']:,} | {seeded:.1f} | {r['seconds']:.2f} | "
                    f"{r['rows'] / r['seconds']:,.0f} | {rss:.0f}{flag} | "
                    f"{r['bytes'] / 1e6:.1f} | {r['files']} |"
                )
                print(lines[-1], file=sys.stderr)
            server_rss = server_peak_rss_mb(info.pid)
        finally:
            local_server.stop(state)
    lines.append("")
    lines.append(f"batch_rows={batch_rows:,}; local server peak RSS {server_rss:.0f} MB")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.port, args.batch_rows, args.out)))
        return 0
    sizes = [int(size) for size in args.sizes.split(",")]
    print("\n".join(bench(sizes, args.batch_rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
