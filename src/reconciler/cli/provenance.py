"""What is making a change: recorded on every resource and data version reconciler writes.

In GitHub Actions: the commit, repository, pull request (``RECONCILER_PULL_REQUEST``, set by
the apply workflow) and the workflow run's URL, and who started it. Elsewhere: the commit when
the project is in git (``+dirty`` with uncommitted changes) and ``user@host``. Values are short
strings, fit for Azure ML tags; reading git never fails a command.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path


def current(project_dir: Path, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if environ.get("GITHUB_ACTIONS") == "true":
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        repository = environ.get("GITHUB_REPOSITORY", "")
        found = {
            "commit": environ.get("GITHUB_SHA", ""),
            "repository": repository,
            "pull-request": environ.get("RECONCILER_PULL_REQUEST", ""),
            "run": f"{server}/{repository}/actions/runs/{environ.get('GITHUB_RUN_ID', '')}"
            if environ.get("GITHUB_RUN_ID")
            else "",
            "by": environ.get("GITHUB_ACTOR", ""),
            "at": at,
        }
    else:
        found = {"commit": _git_commit(project_dir), "by": _who(), "at": at}
    return {key: value[:256] for key, value in found.items() if value}


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _git_commit(project_dir: Path) -> str:
    try:
        head = _git(project_dir, "rev-parse", "HEAD")
        dirty = _git(project_dir, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{head}+dirty" if head and dirty else head


def _git(project_dir: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(project_dir), *args],
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else ""
