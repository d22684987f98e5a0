"""Benchmark: how long `reconcile plan` spends reading an Azure ML workspace, through Azure
ML's management API (azure-ai-ml's pipeline) against the emulator with 50 ms per request, and
how that grows with the workspace's job history.

The workspace holds 1,000 declared resources (350 connections, 350 datastores, 300 imports,
each import with the version and the completed job that made it, labelled as the provider
labels it, as on a converged Azure workspace) and, in turn, 0 to 20,000 unrelated pipeline jobs
in its history. The emulator runs in its own process (a server is not on the client's cores).
Reported, for each of ``--runs`` runs per history size: the plan's reading time (the planner's
`read_live`), the client's CPU, the requests and the sequential round trips the emulator saw,
and that run's latency bound: the longest chain of pages any one list it read needs, times the
latency. Then what a whole plan asks for, and a naive loop that GETs each declared resource in
turn. Targets (issue 19): at most 60 requests and a reading at most 1.3x the bound in every
run, flat as the history grows (issue 9: at least 20x faster than the naive loop).

Then, per history size, what a plan that changes data adds to find its consumers
(`WorkspaceReader.list_consumers`: every schedule and the jobs of the last 30 days, at most 200):
the history's jobs are all recent here (the last 20 days), the worst case for the window, so
only the count bounds the read. Target (issue 22): requests and time flat as the history grows,
at most ceil(200 / page size) pages of jobs.

Run: `python bench/emulator_bench.py` (or `make bench`); `--history 0,20000 --no-naive` for a
quick look.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.config import desired_state
from reconciler.core.desired import DesiredState
from reconciler.core.essences import Kind
from reconciler.core.tags import latest_record
from reconciler.core.vocabulary import (
    DEFINITION_PROPERTY,
    FINGERPRINT_PROPERTY,
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    MATERIALIZATION_ASSET_PROPERTY,
    OWNER_TAG,
    VERSION_PROPERTY,
)
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import build_plan
from reconciler.engine.reading import read_live
from reconciler.providers.local.provider import LocalWorkspace
from reconciler.providers.local.store import DATA_CONTAINER

CONNECTIONS, DATASTORES, IMPORTS = 350, 350, 300
LATENCY_MS = 50
PAGE_SIZE = 30
HISTORY = (0, 5_000, 10_000, 20_000)
MAX_REQUESTS, MAX_RATIO = 60, 1.3  # issue 19's targets, for every run
SUB, RG, WS = "sub-bench", "rg-bench", "ws-bench"


def platform_yaml() -> str:
    lines = ["connections:"]
    for i in range(CONNECTIONS):
        lines += [
            f"  conn_{i:05d}:",
            "    type: snowflake",
            f"    target: jdbc:snowflake://acct{i % 7}.snowflakecomputing.com/"
            f"?db=DB{i}&warehouse=WH",
            "    credentials:",
            "      type: username_password",
            f"      username: user_{i}",
            f"      password: ${{env:PASSWORD_{i % 5}}}",
            "    tags: {team: data, tier: bronze}",
        ]
    lines.append("datastores:")
    for i in range(DATASTORES):
        lines += [
            f"  store_{i:05d}:",
            "    type: azure_blob",
            f"    account_name: account{i % 11}",
            f"    container_name: container{i}",
            "    credentials:",
            f"      account_key: ${{env:KEY_{i % 5}}}",
        ]
    lines.append("imports:")
    for i in range(IMPORTS):
        lines += [
            f"  asset_{i:05d}:",
            "    source:",
            "      type: database",
            f"      connection: conn_{i % CONNECTIONS:05d}",
            f"      query: SELECT * FROM DB.SCHEMA.TABLE_{i}",
            f"    path: azureml://datastores/store_{i % DATASTORES:05d}/paths/asset_{i}",
        ]
    return "\n".join(lines) + "\n"


class _Quiet:
    def step_started(self, step: object) -> None: ...
    def step_progress(self, step: object, rows: int) -> None: ...
    def step_finished(self, step: object, result: object) -> None: ...


def converge(root: Path, desired: DesiredState) -> None:
    """Connections and datastores applied; every import's version 1 registered as the service
    registers it (no properties) and labelled as the provider labels it (the version, and its
    container with the same tags and a record of its versions), and the completed job that
    made it, carrying reconciler's properties."""
    workspace = LocalWorkspace(root)
    plan = build_plan(desired, workspace)
    steps = tuple(c for c in plan.resource_changes if c.type is not Kind.IMPORT)
    apply_plan(plan.model_copy(update={"resource_changes": steps}), desired, workspace, _Quiet())
    versions, jobs, containers = [], [], []
    stamp = "2024-01-01T00:00:00.000Z"
    for item in desired.of_kind(Kind.IMPORT):
        spec = item.imported
        labels = {MANAGED_BY_TAG: MANAGED_BY_VALUE, FINGERPRINT_PROPERTY: spec.fingerprint}
        body = {"path": f"{spec.path}/1", "type": spec.type, "description": None}
        versions.append((item.name, json.dumps({**body, "tags": labels, "properties": {}})))
        record = latest_record("1", "2", ["1"]).tag()
        container = {"is_archived": False, "description": None, "tags": {**labels, **record}}
        containers.append((DATA_CONTAINER, item.name, json.dumps(container), stamp, stamp))
        definition = spec.definition.to_dict()
        properties = {
            FINGERPRINT_PROPERTY: spec.fingerprint,
            DEFINITION_PROPERTY: json.dumps(definition, sort_keys=True),
            MATERIALIZATION_ASSET_PROPERTY: item.name,
            VERSION_PROPERTY: "1",
        }
        rest = {  # what the Azure provider submits (its job tags carry the owner)
            "properties": {
                "jobType": "Pipeline",
                "displayName": f"data_import_{item.name}",
                "experimentName": f"data_import_{item.name}",
                "properties": properties,
                "tags": {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: desired.owner},
                "settings": {"force_rerun": True, "_source": "CLASS"},
                "jobs": {},
            }
        }
        job = {**definition, "properties": properties, "rest": rest}
        jobs.append((f"import_{item.name}_1", item.name, json.dumps(job)))
    with workspace.store.transaction() as db:
        db.executemany(
            "INSERT INTO data_versions VALUES (?, '1', ?, ?, NULL)",
            [(name, body, stamp) for name, body in versions],
        )
        db.executemany("INSERT INTO objects VALUES (?, ?, ?, '{}', 0, ?, ?)", containers)
        db.executemany(
            "INSERT INTO jobs (id, asset, version, body, status, created_at, started_at, "
            "ended_at, rows) VALUES (?, ?, '1', ?, 'Completed', ?, ?, ?, 0)",
            [(job_id, asset, body, stamp, stamp, stamp) for job_id, asset, body in jobs],
        )
    workspace.close()


def add_history(root: Path, start: int, stop: int) -> None:
    """Unrelated finished pipeline jobs (training runs), written straight to the store, one a
    minute over the last days (all inside a consumer window of 30 days)."""
    body = json.dumps(
        {
            "rest": {
                "properties": {
                    "jobType": "Pipeline",
                    "displayName": "train",
                    "experimentName": "training",
                    "properties": {"azureml.runsource": "azureml.PipelineRun"},
                    "tags": {"team": "science"},
                    "settings": {},
                    "jobs": {},
                }
            }
        }
    )
    now = datetime.now(UTC)
    rows = [
        (f"train_{i:06d}", body, _stamp(now - timedelta(minutes=i + 60)))
        for i in range(start, stop)
    ]
    workspace = LocalWorkspace(root)
    with workspace.store.transaction() as db:
        db.executemany(
            "INSERT INTO jobs (id, asset, version, body, status, created_at) "
            "VALUES (?, '', '', ?, 'Completed', ?)",
            rows,
        )
    workspace.close()


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Served:
    """The emulator, running in its own process."""

    process: subprocess.Popen[str]
    env: dict[str, str]

    @property
    def base(self) -> str:
        return self.env["AZUREML_DEV_URL_MFE"]

    def admin(self, method: str, what: str) -> Any:
        context = ssl.create_default_context(cafile=self.env["REQUESTS_CA_BUNDLE"])
        request = urllib.request.Request(f"{self.base}/_emulator/{what}", method=method)
        with urllib.request.urlopen(request, context=context) as answer:
            raw = answer.read()
        return json.loads(raw) if raw else None


def serve(root: Path) -> Served:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler_testing.emulator",
            "--dir",
            str(root),
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--workspace",
            WS,
            "--latency-ms",
            str(LATENCY_MS),
            "--page-size",
            str(PAGE_SIZE),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    env: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        env.update(dict(re.findall(r"^export (\w+)=(\S+)$", line.strip())))
        if "Ctrl-C" in line:
            break
    return Served(process, {k: v.strip("'") for k, v in env.items()})


def latency_bound(counts: dict[str, int]) -> tuple[int, float]:
    """The longest page chain any one list needs, and that many round trips of latency."""
    chain = max(math.ceil(n / PAGE_SIZE) or 1 for n in counts.values())
    return chain, chain * LATENCY_MS / 1000


def listed(live: Any, workspace: Any) -> dict[str, int]:
    """How long each list a plan reads was, in this run."""
    return {
        "connections": sum(r.kind is Kind.CONNECTION for r in live.resources),
        "datastores": sum(r.kind is Kind.DATASTORE for r in live.resources),
        "schedules": sum(r.kind is Kind.SCHEDULE for r in live.resources),
        "import jobs": sum(len(a.jobs) for a in live.assets),
        "data assets": len(workspace.rest.containers()),
    }


def floor(served: Served, pages: int) -> float:
    """The same run's floor: the plainest client (one kept-alive connection, no pipeline, no
    threads) following the connections list's chain of ``pages`` pages, one after another. It
    meets what any client meets on this machine now (the latency, the emulator's answers, the
    scheduling of threads on a loaded machine), so a reading's ratio to it is the client's own
    overhead."""
    parts = urllib.parse.urlsplit(served.base)
    context = ssl.create_default_context(cafile=served.env["REQUESTS_CA_BUNDLE"])
    connection = http.client.HTTPSConnection(parts.hostname or "", parts.port, context=context)
    path: str | None = (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices"
        f"/workspaces/{WS}/connections?api-version=2024-04-01-preview&includeAll=false"
    )
    started, followed = time.perf_counter(), 0
    try:
        while path and followed < pages:
            connection.request("GET", path, headers={"Authorization": "Bearer floor"})
            body = json.loads(connection.getresponse().read())
            link = body.get("nextLink")
            path = (
                urllib.parse.urlsplit(link)._replace(scheme="", netloc="").geturl()
                if link
                else None
            )
            followed += 1
    finally:
        connection.close()
    return time.perf_counter() - started


@dataclass
class Run:
    """One measured reading: its time, the client's CPU, the emulator's counts, its bound (the
    longest chain x the latency) and the floor measured right after it."""

    history: int
    seconds: float
    cpu: float
    stats: dict[str, Any]
    chain: int
    bound: float
    floor: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.bound

    @property
    def to_floor(self) -> float:
        return self.seconds / self.floor


def measure_reads(
    served: Served, desired: DesiredState, workspace: Any, runs: int, history: int
) -> list[Run]:
    """Each of ``runs`` readings on its own, with the bound of the lists it read."""
    imports = desired.of_kind(Kind.IMPORT)
    names = sorted(r.name for r in imports)
    pinned = [r.name for r in imports if r.imported.version]
    found = []
    for _ in range(runs):
        served.admin("DELETE", "stats")
        started, cpu = time.perf_counter(), time.process_time()
        live = read_live(workspace, names, desired.owner, pinned=pinned)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        stats = served.admin("GET", "stats")
        chain, bound = latency_bound(listed(live, workspace))
        found.append(Run(history, seconds, cpu, stats, chain, bound, floor(served, chain)))
    return found


def whole_plan_requests(served: Served, desired: DesiredState, workspace: Any) -> int:
    """What a whole `build_plan` asks for: the reading and nothing more (no import changes)."""
    served.admin("DELETE", "stats")
    assert not build_plan(desired, workspace).has_changes, "should be converged"
    requests: int = served.admin("GET", "stats")["requests"]
    return requests


def measure_consumers(served: Served, workspace: Any, runs: int) -> dict[str, Any]:
    """What a plan with a data change adds: the schedules and recent jobs, best of ``runs``."""
    best: dict[str, Any] = {}
    for _ in range(runs):
        served.admin("DELETE", "stats")
        started, cpu = time.perf_counter(), time.process_time()
        found = workspace.list_consumers(datetime.now(UTC) - timedelta(days=30), 200)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        stats = served.admin("GET", "stats")
        if not best or seconds < best["seconds"]:
            best = {"seconds": seconds, "cpu": cpu, "stats": stats, "jobs": len(found.jobs)}
    return best


def naive(served: Served, desired: DesiredState, workspace: Any) -> tuple[float, int]:
    ml = workspace.client
    served.admin("DELETE", "stats")
    started = time.perf_counter()
    for item in desired.resources:
        if item.kind is Kind.CONNECTION:
            ml.connections.get(item.name)
        elif item.kind is Kind.DATASTORE:
            ml.datastores.get(item.name)
        elif item.kind is Kind.IMPORT:
            ml.data.get(item.name, version="1")
    return time.perf_counter() - started, served.admin("GET", "stats")["requests"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", default=",".join(str(n) for n in HISTORY))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-naive", action="store_true")
    args = parser.parse_args()
    history = [int(n) for n in args.history.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        (project / "environments").mkdir(parents=True)
        (project / "platform.yaml").write_text(platform_yaml())
        (project / "environments/azure.yaml").write_text(
            "workspace:\n  provider: azureml\n"
            f"  subscription_id: {SUB}\n  resource_group: {RG}\n  workspace_name: {WS}\n"
            "settings:\n  secret_key: ${env:RECONCILER_HMAC_KEY}\n"
        )
        os.environ["RECONCILER_HMAC_KEY"] = "bench-hmac-key-" + "0" * 32
        os.environ.update({f"PASSWORD_{i}": f"bench-password-{i}" for i in range(5)})
        os.environ.update({f"KEY_{i}": f"bench-account-key-{i}" for i in range(5)})
        root = Path(tmp) / "workspace"
        desired = desired_state(project, "azure")
        converge(root, desired)
        served = serve(root)
        try:
            os.environ.update(served.env)
            from reconciler.providers.factory import open_workspace
            from reconciler_testing.emulator import FakeCredential

            workspace = open_workspace(desired.workspace, credential=FakeCredential())
            rows: list[Run] = []
            plans: dict[int, int] = {}
            consumer_rows: list[tuple[int, dict[str, Any]]] = []
            made = 0
            for size in history:
                add_history(root, made, size)
                made = size
                plans[size] = whole_plan_requests(served, desired, workspace)
                rows += measure_reads(served, desired, workspace, args.runs, size)
                consumer_rows.append((size, measure_consumers(served, workspace, args.runs)))
            naive_row = None if args.no_naive else naive(served, desired, workspace)
        finally:
            served.process.terminate()
            served.process.wait(30)

    total = CONNECTIONS + DATASTORES + IMPORTS
    print(f"{total:,} resources ({IMPORTS} imports), {LATENCY_MS} ms per request, ", end="")
    print(f"pages of {PAGE_SIZE}, {args.runs} runs per history size\n")
    print(
        "| unrelated jobs in history | run | reading s | client CPU s | latency bound s (pages) "
        "| reading / bound | floor s | reading / floor | requests | sequential round trips |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for number, run in enumerate(rows):
        stats = run.stats
        print(
            f"| {run.history:,} | {number % args.runs + 1} | {run.seconds:.2f} | {run.cpu:.2f} | "
            f"{run.bound:.2f} ({run.chain}) | {run.ratio:.2f}x | {run.floor:.2f} | "
            f"{run.to_floor:.2f}x | {stats['requests']} | {stats['round_trips']} |"
        )
    worst = max(r.ratio for r in rows)
    worst_floor = max(r.to_floor for r in rows)
    most = max(r.stats["requests"] for r in rows)
    print(
        f"\nin every one of {len(rows)} runs: at most {most} requests (target {MAX_REQUESTS}), "
        f"reading at most {worst:.2f}x the latency bound and {worst_floor:.2f}x the same run's "
        f"floor (target {MAX_RATIO}x); load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    print(
        "a whole plan asks for: "
        + ", ".join(f"{n} requests ({h:,} jobs in history)" for h, n in plans.items())
    )
    pages = math.ceil(200 / PAGE_SIZE)
    print(
        f"\nconsumers (every schedule; jobs of the last 30 days, at most 200: at most {pages} "
        "pages of jobs):\n"
    )
    print("| jobs in history | reading s | client CPU s | jobs read | requests | round trips |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size, found in consumer_rows:
        stats = found["stats"]
        print(
            f"| {size:,} | {found['seconds']:.2f} | {found['cpu']:.2f} | {found['jobs']} | "
            f"{stats['requests']} | {stats['round_trips']} |"
        )
    if naive_row is not None:
        seconds, requests = naive_row
        best = min(r.seconds for r in rows)
        print(
            f"\nnaive GET per resource, one after another: {seconds:.1f} s, {requests} requests "
            f"({seconds / best:.0f}x the plan's reading time)"
        )
    print("\nrequests by route (last run):")
    for route, count in rows[-1].stats["routes"].items():
        print(f"  {count:5d}  {route}")


if __name__ == "__main__":
    main()
