"""Benchmark: how long each hostile input takes to be refused (issue 12: every input answered
within seconds).

Every case of `tests/hostile/suite.py` is built in a temporary folder and run twice: as the real
command in a new process (what a user or a CI job sees: interpreter start, imports and the
work; peak RSS from that child alone) and in this process (the work alone). Then the largest
inputs the limits still accept (5,000 resources, 100 queries of 32 KiB, aliases just under their
budget, a file just under 4 MiB) are validated the same way. Prints one row per case and the max
and median of each column; asserts nothing about time, but exits 1 when a hostile case did not
exit 1 or a large input did not validate, so that a broken case is never timed as a result.

    .venv/bin/python bench/hostile_bench.py                  # every case
    .venv/bin/python bench/hostile_bench.py --filter yaml    # cases whose id or group has 'yaml'
    .venv/bin/python bench/hostile_bench.py --src /tmp/before/src --timeout 60
                                                             # another source tree, for before/after

With ``--src`` the command runs from that tree (PYTHONPATH), in-process timing is skipped, and a
case still running after ``--timeout`` seconds is stopped and reported as such. Every child runs
with a 6 GiB address-space limit, so an input that once needed more fails instead of swapping.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile.cases import Case, build  # noqa: E402
from tests.hostile.runner import run_in_process  # noqa: E402
from tests.hostile.suite import CASES  # noqa: E402

MEMORY_LIMIT = 6 * 2**30


@dataclass
class Timing:
    case: str
    group: str
    exit_code: int | None  # None: stopped at the timeout
    process_s: float
    peak_mb: float
    in_process_ms: float | None
    internal_error: bool


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_process(case: Case, project: Path, src: Path | None, timeout: float) -> Timing:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNOWFLAKE_")}
    env.update({"NO_COLOR": "1", "COLUMNS": "120", **case.env})
    if src is not None:
        env["PYTHONPATH"] = str(src)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *case.args],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=_limit_memory,
        )
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        stopped = not timer.is_alive()
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    return Timing(
        case=case.id,
        group=case.group,
        exit_code=None if stopped else child.returncode,
        process_s=elapsed,
        peak_mb=usage.ru_maxrss / 1024,
        in_process_ms=None,
        internal_error="Internal error" in stderr or "Traceback" in stderr,
    )


def run_case(case: Case, src: Path | None, timeout: float) -> Timing:
    with tempfile.TemporaryDirectory() as folder:
        timing = run_process(case, build(case, Path(folder) / "p"), src, timeout)
    if src is None and timing.exit_code is not None:  # no in-process rerun of a timeout
        with tempfile.TemporaryDirectory() as folder:
            project = build(case, Path(folder) / "p")
            start = time.perf_counter()
            run_in_process(case.args, project, case.env)
            timing.in_process_ms = (time.perf_counter() - start) * 1000
    return timing


def _accepted() -> list[Case]:
    """The largest inputs the limits let through, for the time they take to validate."""
    sys.path.insert(0, str(ROOT / "bench"))
    from tests.conftest import PLATFORM

    from plan_bench import desired_state

    query = "SELECT " + "1 + " * 8_000 + "1"
    many_queries = "".join(
        f"  q{i}:\n    source: {{type: database, connection: snowflake_globorealty, "
        f"query: '{query} + {i}'}}\n    path: azureml://datastores/rawdata/paths/q{i}\n"
        for i in range(100)
    )
    aliases = (
        "    tags: &t {"
        + ", ".join(f"k{i}: v" for i in range(30))
        + "}\n"
        + "".join(
            f"  a{i}:\n    source: {{type: database, connection: snowflake_globorealty, "
            f"query: SELECT {i}}}\n    path: azureml://datastores/rawdata/paths/a{i}\n"
            f"    tags: *t\n"
            for i in range(300)
        )
    )
    comments = PLATFORM + ("# " + "c" * 98 + "\n") * 40_000
    validate = ("validate",)
    return [
        Case(
            "5000-resources",
            "accepted",
            {"platform.yaml": desired_state(5_000), "environments/local.yaml": "{}\n"},
            args=validate,
        ),
        Case(
            "100-queries-of-32k",
            "accepted",
            {"platform.yaml": PLATFORM + many_queries},
            args=validate,
        ),
        Case(
            "aliases-repeating-9300",
            "accepted",
            {"platform.yaml": PLATFORM + aliases},
            args=validate,
        ),
        Case("3.9-mib-of-comments", "accepted", {"platform.yaml": comments}, args=validate),
    ]


def report(timings: list[Timing]) -> str:
    lines = [
        "| case | group | exit | process (s) | peak RSS (MB) | in process (ms) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for t in timings:
        code = "timeout" if t.exit_code is None else str(t.exit_code)
        if t.internal_error:
            code += " (internal error)"
        work = "" if t.in_process_ms is None else f"{t.in_process_ms:,.1f}"
        lines.append(
            f"| {t.case} | {t.group} | {code} | {t.process_s:.2f} | {t.peak_mb:,.0f} | {work} |"
        )
    process = [t.process_s for t in timings]
    peaks = [t.peak_mb for t in timings]
    slowest_process = max(timings, key=lambda t: t.process_s).case
    lines += [
        "",
        f"{len(timings)} cases; process: max {max(process):.2f} s ({slowest_process}), "
        f"median {statistics.median(process):.2f} s; peak RSS: max {max(peaks):,.0f} MB, "
        f"median {statistics.median(peaks):,.0f} MB",
    ]
    measured = [t for t in timings if t.in_process_ms is not None]
    if measured:
        slowest = max(measured, key=lambda t: t.in_process_ms or 0)
        lines.append(
            f"in process: max {slowest.in_process_ms or 0:,.1f} ms ({slowest.case}), median "
            f"{statistics.median(t.in_process_ms or 0 for t in measured):,.1f} ms"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", default="", help="only cases whose id or group has TEXT")
    parser.add_argument("--src", type=Path, default=None, help="run the command from this tree")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case")
    parser.add_argument("--json", type=Path, default=None, help="also write the timings here")
    options = parser.parse_args()
    hostile = [c for c in CASES if options.filter in c.id or options.filter in c.group]
    accepted = [c for c in _accepted() if options.filter in c.id or options.filter in c.group]
    timings: dict[str, list[Timing]] = {"refused": [], "accepted": []}
    for kind, cases in (("refused", hostile), ("accepted", accepted)):
        for case in cases:
            timing = run_case(case, options.src, options.timeout)
            print(f"{case.id}: exit {timing.exit_code}, {timing.process_s:.2f} s", file=sys.stderr)
            timings[kind].append(timing)
    for kind, title in (("refused", "Hostile inputs (exit 1)"), ("accepted", "Largest inputs")):
        if timings[kind]:
            print(f"## {title}\n\n{report(timings[kind])}\n")
    if options.json is not None:
        data = {kind: [asdict(t) for t in found] for kind, found in timings.items()}
        options.json.write_text(json.dumps(data, indent=2) + "\n")
    refused = all(t.exit_code == 1 and not t.internal_error for t in timings["refused"])
    passed = all(t.exit_code == 0 for t in timings["accepted"])
    return 0 if (refused and passed) or options.src is not None else 1


if __name__ == "__main__":
    sys.exit(main())
