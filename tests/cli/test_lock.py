"""One apply at a time on the embedded workspace: a second apply is refused (or waits) and is
told who holds the lock since when; a killed holder frees it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from reconciler.providers.local.lock import file_lock
from tests.conftest import RunCli


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
