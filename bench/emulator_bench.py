"""Benchmark: how long `reconcile plan` spends reading an Azure ML workspace, through the real
azure-ai-ml SDK against the emulator with 50 ms per request, and how that grows with the
workspace's job history.

The workspace holds 1,000 declared resources (350 connections, 350 datastores, 300 imports,
each import with the version and the completed job that made it, as on a converged Azure
workspace) and, in turn, 0 to 20,000 unrelated pipeline jobs in its history. The emulator runs
in its own process (a server is not on the client's cores). Reported, per history size: the
plan's reading time (the planner's `read_live`, best of ``--runs``), the requests and the
sequential round trips the emulator saw, and the latency bound: the longest chain of pages any
one list needs, times the latency. Then a naive loop that GETs each declared resource in turn.
Targets (issue 9): reading time at most 2x the bound and at least 20x faster than the naive
loop, and flat as the history grows.

Run: `python bench/emulator_bench.py` (or `make bench`); `--history 0,20000 --no-naive` for a
quick look.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.config import desired_state
from reconciler.core.desired import DesiredState
from reconciler.core.essences import Kind
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
from reconciler.engine.planner import build_plan, read_live
from reconciler.providers.local.provider import LocalWorkspace

CONNECTIONS, DATASTORES, IMPORTS = 350, 350, 300
LATENCY_MS = 50
PAGE_SIZE = 30
HISTORY = (0, 5_000, 10_000, 20_000)
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
    registers it (no properties) and labelled as the provider labels it, and the completed job
    that made it, carrying reconciler's properties."""
    workspace = LocalWorkspace(root)
    plan = build_plan(desired, workspace)
    steps = tuple(c for c in plan.resource_changes if c.type is not Kind.IMPORT)
    apply_plan(plan.model_copy(update={"resource_changes": steps}), desired, workspace, _Quiet())
    versions, jobs = [], []
    stamp = "2024-01-01T00:00:00.000Z"
    for item in desired.of_kind(Kind.IMPORT):
        spec = item.imported
        labels = {MANAGED_BY_TAG: MANAGED_BY_VALUE, FINGERPRINT_PROPERTY: spec.fingerprint}
        body = {"path": f"{spec.path}/1", "type": spec.type, "description": None}
        versions.append((item.name, json.dumps({**body, "tags": labels, "properties": {}})))
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
        db.executemany(
            "INSERT INTO jobs (id, asset, version, body, status, created_at, started_at, "
            "ended_at, rows) VALUES (?, ?, '1', ?, 'Completed', ?, ?, ?, 0)",
            [(job_id, asset, body, stamp, stamp, stamp) for job_id, asset, body in jobs],
        )
    workspace.close()


def add_history(root: Path, start: int, stop: int) -> None:
    """Unrelated finished pipeline jobs (training runs), written straight to the store."""
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
    rows = [(f"train_{i:06d}", body) for i in range(start, stop)]
    workspace = LocalWorkspace(root)
    with workspace.store.transaction() as db:
        db.executemany(
            "INSERT INTO jobs (id, asset, version, body, status, created_at) "
            "VALUES (?, '', '', ?, 'Completed', '2023-06-01T00:00:00.000Z')",
            rows,
        )
    workspace.close()


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


def measure_reads(
    served: Served, desired: DesiredState, workspace: Any, runs: int
) -> dict[str, Any]:
    names = sorted(r.name for r in desired.of_kind(Kind.IMPORT))
    best: dict[str, Any] = {}
    for _ in range(runs):
        served.admin("DELETE", "stats")
        started, cpu = time.perf_counter(), time.process_time()
        live = read_live(workspace, names, desired.owner)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        stats = served.admin("GET", "stats")
        if not best or seconds < best["seconds"]:
            best = {"seconds": seconds, "cpu": cpu, "stats": stats, "live": live}
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
    parser.add_argument("--runs", type=int, default=3)
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
            assert not build_plan(desired, workspace).has_changes, "should be converged"
            rows = []
            made = 0
            for size in history:
                add_history(root, made, size)
                made = size
                result = measure_reads(served, desired, workspace, args.runs)
                live = result["live"]
                counts = {
                    "connections": sum(r.kind is Kind.CONNECTION for r in live.resources),
                    "datastores": sum(r.kind is Kind.DATASTORE for r in live.resources),
                    "schedules": sum(r.kind is Kind.SCHEDULE for r in live.resources),
                    "import jobs": sum(len(a.jobs) for a in live.assets),
                }
                rows.append((size, result, latency_bound(counts)))
            naive_row = None if args.no_naive else naive(served, desired, workspace)
        finally:
            served.process.terminate()
            served.process.wait(30)

    total = CONNECTIONS + DATASTORES + IMPORTS
    print(f"{total:,} resources ({IMPORTS} imports), {LATENCY_MS} ms per request, ", end="")
    print(f"pages of {PAGE_SIZE}\n")
    print(
        "| unrelated jobs in history | reading s | client CPU s | latency bound s (pages) "
        "| reading / bound | requests | sequential round trips |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, result, (chain, bound) in rows:
        stats = result["stats"]
        print(
            f"| {size:,} | {result['seconds']:.2f} | {result['cpu']:.2f} | {bound:.2f} ({chain}) | "
            f"{result['seconds'] / bound:.1f}x | {stats['requests']} | {stats['round_trips']} |"
        )
    if naive_row is not None:
        seconds, requests = naive_row
        best = min(r[1]["seconds"] for r in rows)
        print(
            f"\nnaive GET per resource, one after another: {seconds:.1f} s, {requests} requests "
            f"({seconds / best:.0f}x the plan's reading time)"
        )
    print("\nrequests by route (last run):")
    for route, count in rows[-1][1]["stats"]["routes"].items():
        print(f"  {count:5d}  {route}")


if __name__ == "__main__":
    main()
