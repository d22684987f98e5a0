"""The red team's process scenarios on the embedded workspace, as real processes: applies that
race for the lock, and an apply killed (SIGKILL) mid-way. Each must end with one writer at a
time, nothing lost or duplicated, and a re-run that converges (a no-change plan).

The other scenarios of issue 21 live beside the code they prove and run in `make test` too: a
lock lost mid-apply (tests/cli/test_lock.py: the lock file replaced; tests/providers/
test_azure_lock.py: an apply frozen past its Azure lease while another takes it, on Azurite),
Ctrl-C (tests/cli/test_interrupt.py), and transient faults on the Azure path
(tests/providers/test_azure_path.py, 20% of requests failing).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from reconciler.core.essences import Kind
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import DEMO_KEY, RunCli

STORES = 24


def _stores_project(project: Path, count: int = STORES) -> Path:
    """The project with ``count`` datastores and nothing that needs a network."""
    (project / "platform.yaml").write_text(
        "default_environment: local\ndatastores:\n"
        + "".join(
            f"  store_{i:02d}:\n    type: azure_blob\n    account_name: globorealtydata\n"
            f"    container_name: c{i}\n"
            "    credentials:\n      account_key: ${env:STORAGE_ACCOUNT_KEY}\n"
            for i in range(count)
        )
    )
    return project


def _reconcile(project: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNOWFLAKE_")}
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=project,
        env={**env, "NO_COLOR": "1", "COLUMNS": "120"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ours(project: Path) -> list[str]:
    """The datastores this project made, by name, as the workspace lists them."""
    workspace = LocalWorkspace(project / ".reconcile/local")
    try:
        names = [r.name for r in workspace.list_resources(Kind.DATASTORE)]
    finally:
        workspace.close()
    return sorted(n for n in names if n.startswith("store_"))


def test_applies_racing_for_the_lock_write_one_at_a_time_and_converge(
    project: Path, invoke: RunCli
) -> None:
    _stores_project(project)
    racers = [
        _reconcile(project, "apply", "--auto-approve", "--lock-timeout", "0") for _ in range(4)
    ]
    outcomes = [(*racer.communicate(timeout=120), racer.returncode) for racer in racers]

    for stdout, stderr, code in outcomes:
        assert "Traceback" not in stdout + stderr
        refused = "another apply holds this workspace's lock" in stderr
        assert code == 0 or (code == 1 and refused), stdout + stderr
        assert DEMO_KEY not in stdout + stderr
    winners = [stdout for stdout, _, code in outcomes if code == 0]
    assert winners  # someone applied
    created = sum(line.count(" applied (") for out in winners for line in out.splitlines())
    assert created == STORES  # each datastore created once, by one of them: none twice
    assert _ours(project) == [f"store_{i:02d}" for i in range(STORES)]
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0


def test_an_apply_killed_mid_way_loses_nothing_and_a_rerun_converges(
    project: Path, invoke: RunCli
) -> None:
    _stores_project(project)
    victim = _reconcile(project, "apply", "--auto-approve", "--parallelism", "1")
    assert victim.stdout is not None
    applied = 0
    for line in victim.stdout:
        applied += " applied (" in line
        if applied == 3:
            victim.send_signal(signal.SIGKILL)
            break
    victim.wait(60)
    victim.communicate()
    assert victim.returncode == -signal.SIGKILL
    written = _ours(project)
    assert 3 <= len(written) < STORES  # killed part-way: what it wrote is there, whole

    rerun = invoke("apply", "--auto-approve", cwd=project)  # the lock died with its holder

    assert rerun.code == 0, rerun.output
    assert rerun.stdout.count(" applied (") == STORES - len(written)  # only what was missing
    assert _ours(project) == [f"store_{i:02d}" for i in range(STORES)]
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
