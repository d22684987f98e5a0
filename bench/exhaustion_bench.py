"""Benchmark: the exhaustion limits of issue 21, as whole `reconcile` processes.

Four scenarios, each a fresh project in a temporary folder, run as a child process whose wall
time and peak RSS (``ru_maxrss``) are reported; nothing here asserts a duration:

* ``env files``: ``env_file`` listing 200 copies of a 4 MiB env file, then ``reconcile
  validate`` (the red team's 30 s; now refused at the list's length);
* ``apply 10k``: the first ``reconcile apply --auto-approve`` of 5,000 connections and 5,000
  datastores on an empty embedded workspace (target: under 20 s and 300 MB);
* ``plan 5k scheduled``: ``reconcile plan`` of 5,000 imports, each with a cron schedule, on an
  empty embedded workspace (target: under 3 s);
* ``section 5k``: ``reconcile validate`` of 5,000 imports written in full (description, tags,
  a recurrence schedule with its pattern) in one platform.yaml: the documented per-section
  limit, which must fit under the YAML node limit.

    .venv/bin/python bench/exhaustion_bench.py                    # this tree
    .venv/bin/python bench/exhaustion_bench.py --src /tmp/old/src  # another tree (before/after)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MEMORY_LIMIT = 6 * 2**30
SECRETS = {f"PASSWORD_{i}": f"bench-password-{i}" for i in range(5)} | {
    f"KEY_{i}": f"bench-account-key-{i}" for i in range(5)
}
LOCAL = "workspace: {provider: local}\n"


def env_files(root: Path) -> list[str]:
    big = "".join(f"VARIABLE_{i}={'x' * 1000}\n" for i in range(4000))  # just under 4 MiB
    (root / "environments/big.env").write_text(big)
    listed = "".join("  - environments/big.env\n" for _ in range(200))
    (root / "environments/local.yaml").write_text(LOCAL + "env_file:\n" + listed)
    (root / "platform.yaml").write_text("default_environment: local\n")
    return ["validate"]


def _connections(count: int) -> list[str]:
    lines = ["connections:"]
    for i in range(count):
        lines += [
            f"  conn_{i:05d}:",
            "    type: snowflake",
            f"    target: jdbc:snowflake://acct{i % 7}.snowflakecomputing.com/?db=DB{i}",
            "    credentials:",
            "      type: username_password",
            f"      username: user_{i}",
            f"      password: ${{env:PASSWORD_{i % 5}}}",
            "    tags: {team: data}",
        ]
    return lines


def _datastores(count: int) -> list[str]:
    lines = ["datastores:"]
    for i in range(count):
        lines += [
            f"  store_{i:05d}:",
            "    type: azure_blob",
            f"    account_name: account{i % 11}",
            f"    container_name: container{i}",
            "    credentials:",
            f"      account_key: ${{env:KEY_{i % 5}}}",
        ]
    return lines


def apply_10k(root: Path) -> list[str]:
    lines = ["default_environment: local", *_connections(5_000), *_datastores(5_000)]
    (root / "platform.yaml").write_text("\n".join(lines) + "\n")
    (root / "environments/local.yaml").write_text(LOCAL)
    return ["apply", "--auto-approve", "--parallelism", "8"]


def _imports(count: int, schedule: list[str], full: bool) -> list[str]:
    lines = ["imports:"]
    for i in range(count):
        lines += [
            f"  asset_{i:05d}:",
            *([f"    description: House sales, part {i}"] if full else []),
            "    source:",
            "      type: database",
            "      connection: conn_00000",
            f"      query: SELECT * FROM DB.SCHEMA.TABLE_{i}",
            f"    path: azureml://datastores/store_00000/paths/asset_{i}",
            *(["    tags: {team: data, tier: bronze, layer: raw}"] if full else []),
            *schedule,
        ]
    return lines


CRON = [
    "    schedule:",
    "      trigger: {type: cron, expression: '0 3 * * *', time_zone: UTC}",
]
RECURRENCE = [
    "    schedule:",
    "      description: nightly",
    "      trigger:",
    "        type: recurrence",
    "        frequency: week",
    "        interval: 1",
    "        time_zone: W. Europe Standard Time",
    "        start_time: '2025-01-01T00:00:00'",
    "        schedule: {hours: [3, 15], minutes: [0, 30], week_days: [monday, thursday]}",
]


def plan_5k_scheduled(root: Path) -> list[str]:
    lines = [
        "default_environment: local",
        *_connections(1),
        *_datastores(1),
        *_imports(5_000, CRON, full=False),
    ]
    (root / "platform.yaml").write_text("\n".join(lines) + "\n")
    (root / "environments/local.yaml").write_text(LOCAL)
    return ["plan"]


def section_5k(root: Path) -> list[str]:
    lines = [
        "default_environment: local",
        *_connections(1),
        *_datastores(1),
        *_imports(5_000, RECURRENCE, full=True),
    ]
    (root / "platform.yaml").write_text("\n".join(lines) + "\n")
    (root / "environments/local.yaml").write_text(LOCAL)
    return ["validate"]


SCENARIOS: dict[str, Callable[[Path], list[str]]] = {
    "env files": env_files,
    "apply 10k": apply_10k,
    "plan 5k scheduled": plan_5k_scheduled,
    "section 5k": section_5k,
}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(args: list[str], cwd: Path, src: Path | None) -> tuple[int, float, float, float, str]:
    """(exit code, wall seconds, CPU seconds, peak RSS MB, last line of stderr) of one child
    process. CPU time (user + system) is what to compare on a shared machine: wall time grows
    with the load of other processes, CPU time much less."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNOWFLAKE_")}
    env.update(NO_COLOR="1", **SECRETS)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limit_memory,
    )
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    lines = [line for line in errors.splitlines() if line.strip()]
    cpu = usage.ru_utime + usage.ru_stime
    last = (lines or [""])[-1]
    return os.waitstatus_to_exitcode(status), wall, cpu, usage.ru_maxrss / 1024, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", type=Path, help="run reconciler from this source tree")
    parser.add_argument("--only", default="", help="scenarios whose name contains this")
    options = parser.parse_args()
    print("| scenario | exit | wall s | CPU s | peak RSS MB | last line of stderr |")
    print("|---|---:|---:|---:|---:|---|")
    for name, make in SCENARIOS.items():
        if options.only not in name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "environments").mkdir()
            args = make(root)
            code, wall, cpu, peak, last = run(args, root, options.src)
            row = f"| {name} | {code} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {last[:90]} |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
