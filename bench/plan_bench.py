"""Benchmark: `reconcile --help` and whole `reconcile plan` processes at 100/1,000/5,000 resources.

For each size it writes a desired state (one third connections, one third datastores, one third
imports), converges an embedded workspace to it (imports registered as completed versions, so no
data moves), then runs `reconcile plan --env local` as a separate process several times and
reports the best CPU time (user+sys of the child) and wall time. Run: `python bench/plan_bench.py`
(or `make bench`). Targets (issue #2): --help within 10x a bare `python -c pass`; the 1,000-
resource plan under 1 s CPU; 5,000 under 5 s.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.config import desired_state as load_desired
from reconciler.core.essences import Kind
from reconciler.core.vocabulary import DEFINITION_PROPERTY, FINGERPRINT_PROPERTY, MANAGED_BY_TAG
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import build_plan
from reconciler.providers.local.provider import LocalWorkspace

SIZES = (100, 1_000, 5_000)
RUNS = 3


def desired_state(total: int) -> str:
    third = total // 3
    lines = ["default_environment: local", "connections:"]
    for i in range(third):
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
    for i in range(third):
        lines += [
            f"  store_{i:05d}:",
            "    type: azure_blob",
            f"    account_name: account{i % 11}",
            f"    container_name: container{i}",
            "    credentials:",
            f"      account_key: ${{env:KEY_{i % 5}}}",
        ]
    lines.append("imports:")
    for i in range(total - 2 * third):
        lines += [
            f"  asset_{i:05d}:",
            "    source:",
            "      type: database",
            f"      connection: conn_{i % max(third, 1):05d}",
            f"      query: SELECT * FROM DB.SCHEMA.TABLE_{i}",
            f"    path: azureml://datastores/store_{i % max(third, 1):05d}/paths/asset_{i}",
        ]
    return "\n".join(lines) + "\n"


def prepare(root: Path, total: int) -> None:
    (root / "environments").mkdir(parents=True)
    (root / "platform.yaml").write_text(desired_state(total))
    (root / "environments/local.yaml").write_text("workspace: {provider: local}\n")
    env = {f"PASSWORD_{i}": f"bench-password-{i}" for i in range(5)} | {
        f"KEY_{i}": f"bench-account-key-{i}" for i in range(5)
    }
    os.environ.update(env)
    desired = load_desired(root)
    workspace = LocalWorkspace(root / ".reconcile/local")

    class Quiet:
        def step_started(self, step: object) -> None: ...
        def step_progress(self, step: object, rows: int) -> None: ...
        def step_finished(self, step: object, result: object) -> None: ...

    plan = build_plan(desired, workspace)
    steps = tuple(c for c in plan.resource_changes if c.type is not Kind.IMPORT)
    apply_plan(plan.model_copy(update={"resource_changes": steps}), desired, workspace, Quiet())
    for item in desired.of_kind(Kind.IMPORT):
        spec = item.imported
        workspace.store.create_version(
            item.name,
            "1",
            {
                "path": spec.path + "/1",
                "type": spec.type,
                "description": None,
                "tags": {MANAGED_BY_TAG: "reconciler"},
                "properties": {
                    FINGERPRINT_PROPERTY: spec.fingerprint,
                    DEFINITION_PROPERTY: json.dumps(spec.definition.to_dict(), sort_keys=True),
                },
            },
        )
    workspace.close()


def measure(args: list[str], cwd: Path) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) of RUNS runs of a child process."""
    best_cpu, best_wall = float("inf"), float("inf")
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 2):
            raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
    return best_cpu, best_wall


def main() -> None:
    reconcile = [sys.executable, "-m", "reconciler"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bare = measure([sys.executable, "-c", "pass"], Path(tmp))
        help_ = measure([*reconcile, "--help"], Path(tmp))
        rows.append(("python -c pass", "-", bare))
        rows.append(("reconcile --help", "-", help_))
        for total in SIZES:
            root = Path(tmp) / f"size{total}"
            prepare(root, total)
            cpu_wall = measure([*reconcile, "plan", "--env", "local", "--detailed-exitcode"], root)
            check = subprocess.run(
                [*reconcile, "plan", "--env", "local", "--detailed-exitcode"],
                cwd=root,
                capture_output=True,
                text=True,
            )
            assert check.returncode == 0, check.stdout + check.stderr
            rows.append(("reconcile plan (no changes)", f"{total:,}", cpu_wall))
    print("| command | resources | CPU s (best of 3) | wall s |")
    print("|---|---:|---:|---:|")
    for name, size, (cpu, wall) in rows:
        print(f"| {name} | {size} | {cpu:.3f} | {wall:.3f} |")
    print(
        f"\n--help / bare python: {help_[1] / bare[1]:.1f}x wall, "
        f"{help_[0] / max(bare[0], 1e-9):.1f}x CPU"
    )


if __name__ == "__main__":
    main()
