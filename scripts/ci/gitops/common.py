"""Helpers every part of the CI logic shares: text, size limits, GitHub's files and API.

Standard library only: it runs on a bare runner's Python.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# GitHub refuses comments over 65,536 characters; keep the body well under.
COMMENT_LIMIT = 65_000
# Job summaries may hold 1 MiB per step.
SUMMARY_LIMIT = 900_000
STDERR_LIMIT = 20_000
ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_APPLY_FAILED, EXIT_DIFFERS = 0, 1, 2, 3, 4


def read_text(path: str | None) -> str:
    if not path:
        return ""
    file = Path(path)
    return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else ""


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def code_block(text: str, language: str = "text") -> str:
    fence = fence_for(text)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n"


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f"\n… ({len(text) - limit:,} more characters in the log)\n"


def append_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path and text:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text.rstrip("\n") + "\n\n")


def set_outputs(**values: str) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as output:
        for name, value in values.items():
            if "\n" in value:
                raise ValueError(f"output {name} must be one line")
            output.write(f"{name.replace('_', '-')}={value}\n")


def run_url() -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    run_id = os.environ.get("GITHUB_RUN_ID", "")
    return f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else ""


def event() -> dict[str, Any]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


# --- fitting markdown under a size limit ----------------------------------------------------


def fit(body: str, tail: str, limit: int, note: str) -> str:
    """``body + tail`` if it fits in ``limit`` characters; otherwise ``body`` cut at a line,
    with any open code fence and ``<details>`` closed, then ``note`` and ``tail``."""
    if len(body) + len(tail) <= limit:
        return body + tail
    budget = limit - len(tail) - len(note) - 200
    kept: list[str] = []
    size, fence, details = 0, "", 0
    for line in body.splitlines(keepends=True):
        if size + len(line) > budget:
            break
        kept.append(line)
        size += len(line)
        stripped = line.strip()
        if fence:
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                fence = ""
            continue
        opening = re.match(r"(`{3,}|~{3,})", stripped)
        if opening:
            fence = opening.group(1)
        else:
            details += stripped.count("<details") - stripped.count("</details>")
    closers = f"\n{fence}\n" if fence else ""
    closers += "\n</details>\n" * max(details, 0)
    return "".join(kept).rstrip("\n") + "\n" + closers + "\n" + note + tail


class GitHubError(Exception):
    """A GitHub API call failed (message: what gh said)."""


def gh(*args: str) -> str:
    proc = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise GitHubError(f"`gh {' '.join(args[:3])} …`: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def gh_json(*args: str) -> Any:
    return json.loads(gh(*args) or "null")


def gh_send(method: str, path: str, body: dict[str, Any], scratch: Path) -> Any:
    """A JSON request body (multi-line text survives) through ``gh api --input``."""
    scratch.parent.mkdir(parents=True, exist_ok=True)
    scratch.write_text(json.dumps(body), encoding="utf-8")
    return gh_json("api", "-X", method, path, "--input", str(scratch))


def repo() -> str:
    return os.environ["GITHUB_REPOSITORY"]


def out_dir() -> Path:
    folder = Path(
        os.environ.get("RECONCILE_OUT_DIR") or Path(os.environ["RUNNER_TEMP"]) / "reconciler"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


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
    if not text.strip():
        return
    print(f"::group::{title}", flush=True)
    with commands_off():
        print(text.rstrip("\n"), flush=True)
    print("::endgroup::", flush=True)


def check_env_name(name: str) -> str:
    if not ENV_NAME.match(name):
        raise SystemExit(f"::error::invalid environment name {name!r}")
    return name


def artifact_url(run_id: str | int, artifact_id: str | int) -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    return f"{server}/{repo()}/actions/runs/{run_id}/artifacts/{artifact_id}"


def run_link(run_id: str | int) -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    return f"{server}/{repo()}/actions/runs/{run_id}"
