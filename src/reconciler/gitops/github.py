"""GitHub, as a job of the flow sees it: the `gh` command for the API and artifacts, the
runner's files (outputs, job summary, the event), workflow commands kept off while text we do
not control is printed. Standard library only."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reconciler.core.errors import ReconcileError

BOT = "github-actions[bot]"  # whom a GITHUB_TOKEN writes as, whichever workflow holds it
SUMMARY_LIMIT = 900_000  # a job summary holds 1 MiB per step


class GitHubError(ReconcileError):
    """A GitHub API call failed (the message says which, and what gh answered)."""


def gh(*args: str) -> str:
    proc = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise GitHubError(f"`gh {' '.join(args[:3])} …`: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def gh_json(*args: str) -> Any:
    return json.loads(gh(*args) or "null")


def api(path: str, **fields: str) -> Any:
    """``GET repos/<this repository>/<path>`` with query fields."""
    args = ["api", "-X", "GET", f"repos/{repository()}/{path}"]
    for key, value in fields.items():
        args += ["-f", f"{key}={value}"]
    return gh_json(*args)


def send(method: str, path: str, body: Mapping[str, Any]) -> Any:
    """A JSON request body (multi-line text survives) through ``gh api --input``."""
    scratch = out_dir() / f"request-{secrets.token_hex(4)}.json"
    scratch.write_text(json.dumps(body), encoding="utf-8")
    try:
        return gh_json("api", "-X", method, f"repos/{repository()}/{path}", "--input", str(scratch))
    finally:
        scratch.unlink(missing_ok=True)


def download(run_id: int | str, name: str, dest: Path) -> Path:
    """Artifact ``name`` of run ``run_id`` into ``dest`` (a new folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    gh("run", "download", str(run_id), "--repo", repository(), "--name", name, "--dir", str(dest))
    return dest


def repository() -> str:
    return os.environ["GITHUB_REPOSITORY"]


def server() -> str:
    return os.environ.get("GITHUB_SERVER_URL", "https://github.com")


def run_link(run_id: int | str | None = None) -> str:
    run = run_id if run_id is not None else os.environ.get("GITHUB_RUN_ID", "")
    return f"{server()}/{repository()}/actions/runs/{run}"


def artifact_link(run_id: int | str, artifact_id: int | str) -> str:
    return f"{run_link(run_id)}/artifacts/{artifact_id}"


def sha() -> str:
    return os.environ["GITHUB_SHA"]


def event_name() -> str:
    return os.environ.get("GITHUB_EVENT_NAME", "")


def event() -> dict[str, Any]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def workflow_path() -> str:
    """The path of the workflow this run runs (the caller's, for a reusable workflow):
    ``.github/workflows/reconciler.yml`` from ``GITHUB_WORKFLOW_REF``."""
    ref = os.environ.get("GITHUB_WORKFLOW_REF", "")
    path = ref.split("@", 1)[0]
    parts = path.split("/", 2)
    return parts[2] if len(parts) == 3 else ""


def out_dir() -> Path:
    """Where a job's files go (outside the checkout)."""
    folder = Path(
        os.environ.get("RECONCILE_OUT_DIR")
        or Path(os.environ.get("RUNNER_TEMP") or ".") / "reconciler"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def set_outputs(**values: str) -> None:
    """Step outputs (one line each); ``a_b`` is written as ``a-b``."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as output:
        for name, value in values.items():
            if "\n" in value:
                raise ValueError(f"output {name} must be one line")
            output.write(f"{name.replace('_', '-')}={value}\n")


def append_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path and text:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text.rstrip("\n") + "\n\n")


@contextmanager
def commands_off() -> Iterator[None]:
    """Lines printed inside are not workflow commands (they may quote platform.yaml)."""
    token = "reconciler-" + secrets.token_hex(8)
    print(f"::stop-commands::{token}", flush=True)
    try:
        yield
    finally:
        sys.stdout.flush()
        print(f"::{token}::", flush=True)


def log_untrusted(title: str, text: str) -> None:
    """``text`` in a collapsed group of the log, workflow commands off."""
    if not text.strip():
        return
    print(f"::group::{title}", flush=True)
    with commands_off():
        print(text.rstrip("\n"), flush=True)
    print("::endgroup::", flush=True)
