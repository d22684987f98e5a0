"""One apply at a time on the embedded workspace: a second apply is refused (or waits) and is
told who holds the lock since when; a killed holder frees it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from reconciler.config import desired_state
from reconciler.core.plan import ResourceChange
from reconciler.engine import operations
from reconciler.providers.factory import open_workspace
from reconciler.providers.local.lock import file_lock
from tests.conftest import Result, RunCli
from tests.views import Quiet


def without_imports(project: Path) -> Path:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("imports:")])
    return project


def test_a_second_apply_is_refused_with_who_holds_the_lock(project: Path, invoke: RunCli) -> None:
    without_imports(project)
    root = project / ".reconcile/local"
    root.mkdir(parents=True)
    with file_lock(root, "reconcile apply by alice@laptop (pid 4242)", 0):
        second = invoke("apply", "--auto-approve", "--summary-file", "s.md", cwd=project)
    assert second.code == 1
    assert "another apply holds this workspace's lock: reconcile apply by alice@laptop" in (
        second.stderr
    )
    assert "since 20" in second.stderr and "--lock-timeout" in second.stderr
    assert "Nothing was applied." in (project / "s.md").read_text()
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 2  # nothing changed


def test_a_waiting_apply_goes_ahead_when_the_lock_is_released(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    root = project / ".reconcile/local"
    root.mkdir(parents=True)
    held = threading.Event()

    def hold_briefly() -> None:
        with file_lock(root, "another apply", 0):
            held.set()
            time.sleep(0.6)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    held.wait(5)
    second = invoke("apply", "--auto-approve", "--lock-timeout", "10", cwd=project)
    holder.join()
    assert second.code == 0, second.output
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0


def test_a_killed_holder_frees_the_lock(project: Path, invoke: RunCli) -> None:
    without_imports(project)
    root = project / ".reconcile/local"
    root.mkdir(parents=True)
    script = (
        "import sys, time; from pathlib import Path\n"
        "from reconciler.providers.local.lock import file_lock\n"
        "with file_lock(Path(sys.argv[1]), 'a doomed apply', 0):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    refused = invoke("apply", "--auto-approve", cwd=project)
    assert refused.code == 1 and "a doomed apply" in refused.stderr
    holder.kill()
    holder.wait()
    assert invoke("apply", "--auto-approve", cwd=project).code == 0


def _stores(writer: str) -> str:
    return "datastores:\n" + "".join(
        f"  store_{i}:\n    type: azure_blob\n    description: written by {writer}\n"
        f"    account_name: globorealtydata\n    container_name: c{i}\n"
        "    credentials:\n      account_key: ${env:STORAGE_ACCOUNT_KEY}\n"
        for i in range(3)
    )


class LockFileReplaced(Quiet):
    """When the second step is about to start, the lock file is deleted (a cleanup, a
    checkout) and another apply runs to the end with another desired state."""

    def __init__(self, project: Path, invoke: RunCli) -> None:
        super().__init__()
        self.project, self.invoke = project, invoke
        self.seen = 0
        self.second: Result | None = None

    def step_started(self, step: ResourceChange) -> None:
        self.seen += 1
        if self.seen == 2:
            (self.project / ".reconcile/local/apply.lock").unlink()
            (self.project / "platform.yaml").write_text(_stores("the second apply"))
            self.second = self.invoke("apply", "--auto-approve", cwd=self.project)


def test_an_apply_whose_lock_file_was_replaced_writes_nothing_more(
    project: Path, invoke: RunCli
) -> None:
    (project / "platform.yaml").write_text(_stores("the first apply"))
    desired = desired_state(project, "local")
    workspace = open_workspace(desired.workspace)
    view = LockFileReplaced(project, invoke)
    request = operations.ApplyRequest(auto_approve=True)

    result = operations.apply_reviewed(desired, workspace, request, view).result

    assert view.second is not None and view.second.code == 0  # it took a new lock file
    assert [r.status for r in result.results] == ["applied", "failed"]  # its write refused
    assert "the apply lock was lost" in result.results[1].message
    assert result.not_started == ["datastore.store_2"]
    assert result.lock_lost is not None and "was deleted or replaced" in result.lock_lost
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0  # the second's state


def test_the_lock_file_is_never_taken_through_a_symlink(project: Path, invoke: RunCli) -> None:
    without_imports(project)
    root = project / ".reconcile/local"
    root.mkdir(parents=True)
    victim = project / "victim.txt"
    victim.write_text("keep me\n")
    (root / "apply.lock").symlink_to(victim)

    refused = invoke("apply", "--auto-approve", cwd=project)

    assert refused.code == 1
    assert "apply.lock is a symbolic link" in refused.stderr
    assert victim.read_text() == "keep me\n"  # not truncated
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 2  # nothing changed
