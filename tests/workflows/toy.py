"""Small repositories on a simulated GitHub of their own, for the engine's tests: no reconciler,
workflows written inline."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.workflows.engine import Sim, World
from tests.workflows.harness import REPO_ROOT


def make_sim(tmp_path: Path, repository: str = "o/r", world: World | None = None) -> Sim:
    """``repository``: one commit (a.txt) on main, and a fake gh."""
    folder = tmp_path / repository.replace("/", "-")
    repo = folder / "repo"
    repo.mkdir(parents=True)
    (repo / "a.txt").write_text("a\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(
        f'#!/bin/sh\nexec {sys.executable} {REPO_ROOT / "tests/workflows/fake_gh.py"} "$@"\n'
    )
    (bin_dir / "gh").chmod(0o755)
    simulated = Sim(repo, folder / "github", repository, bin_dir, world)
    simulated.ignored = set()
    return simulated


def write(sim: Sim, path: str, text: str, message: str = "") -> str:
    """Commit ``path`` on the current branch (without a push event); the new commit."""
    file = sim.repo / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(textwrap.dedent(text))
    sim.git("add", "-A")
    sim.git("commit", "-qm", message or f"write {path}")
    return sim.git("rev-parse", "HEAD")


def workflow(sim: Sim, name: str, text: str) -> str:
    """Commit the workflow file to main (without a push event)."""
    return write(sim, f".github/workflows/{name}", text, f"workflow {name}")


def commit(sim: Sim, text: str) -> tuple[str, str]:
    before = sim.git("rev-parse", "main")
    (sim.repo / "a.txt").write_text(text)
    sim.git("commit", "-qam", text)
    return before, sim.git("rev-parse", "main")


def branch(sim: Sim, name: str, files: dict[str, str], base: str = "main") -> str:
    """A branch from ``base`` with ``files`` written (committed); back on main after."""
    sim.git("checkout", "-q", "-B", name, base)
    head = ""
    for path, text in files.items():
        head = write(sim, path, text)
    sim.git("checkout", "-q", "main")
    return head or sim.git("rev-parse", name)
