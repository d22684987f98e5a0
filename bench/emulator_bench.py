"""Benchmark: a 500-resource plan through the Azure provider against the emulator with 50 ms of
injected latency per request, against a naive GET-per-resource loop.

The workspace is populated with the plan benchmark's generator (a third connections, a third
datastores, a third imports with a registered version each), then the emulator serves it. The
plan should make about one round trip per list page (plus per-asset version lookups, eight at a
time), not one per resource. Run: `python bench/emulator_bench.py` (or `make bench`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from plan_bench import prepare
from reconciler.config import desired_state
from reconciler.emulator import Emulator, FakeCredential
from reconciler.planner import build_plan
from reconciler.providers.azureml.provider import AzureWorkspace
from reconciler.resources import Kind

RESOURCES = 500
LATENCY_MS = 50
SUB, RG, WS = "sub-bench", "rg-bench", "ws-bench"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        prepare(root, RESOURCES)
        (root / "environments/azure.yaml").write_text(
            "workspace:\n  provider: azureml\n"
            f"  subscription_id: {SUB}\n  resource_group: {RG}\n  workspace_name: {WS}\n"
        )
        emulator = Emulator(
            root / ".reconcile/local",
            subscription_id=SUB,
            resource_group=RG,
            workspace_name=WS,
            latency_ms=LATENCY_MS,
        ).start()
        try:
            os.environ.update(emulator.env())
            desired = desired_state(root, "azure")
            workspace = AzureWorkspace(SUB, RG, WS, credential=FakeCredential())
            emulator.reset_stats()
            start = time.perf_counter()
            plan = build_plan(desired, workspace)
            plan_seconds = time.perf_counter() - start
            plan_stats = emulator.stats()
            plan_requests = plan_stats["requests"]
            assert not plan.has_changes, "the workspace should already match"

            emulator.reset_stats()
            start = time.perf_counter()
            ml = workspace.client
            for item in desired.resources:
                if item.kind is Kind.CONNECTION:
                    ml.connections.get(item.name)
                elif item.kind is Kind.DATASTORE:
                    ml.datastores.get(item.name)
                elif item.kind is Kind.IMPORT:
                    ml.data.get(item.name, version="1")
            naive_seconds = time.perf_counter() - start
            naive_requests = emulator.stats()["requests"]
        finally:
            emulator.stop()
    print(f"{RESOURCES} resources, {LATENCY_MS} ms injected latency per request\n")
    print("| reads | requests | wall s |")
    print("|---|---:|---:|")
    label = "reconcile plan (lists + parallel asset lookups)"
    print(f"| {label} | {plan_requests} | {plan_seconds:.2f} |")
    print(f"| naive GET per resource, sequential | {naive_requests} | {naive_seconds:.2f} |")
    print("\nplan requests by route:")
    for route, count in plan_stats["routes"].items():
        print(f"  {count:5d}  {route}")


if __name__ == "__main__":
    main()
