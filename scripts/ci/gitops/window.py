"""What an apply run has to apply: every pull request merged since the environment last
converged, each with the plan reviewed on it.

The environment's convergence marker is the newest artifact named ``applied-<env>`` that an
apply run on the default branch uploaded (``workflow_run.head_sha``: the commit whose full
state that run applied). Anyone can upload an artifact of that name from a pull request, so a
marker counts only when its run is the apply workflow, on ``main``, from a push or a dispatch.

GitHub keeps at most one pending run per concurrency group and cancels the older pending one;
because each run applies everything merged since the marker, a cancelled run's pull requests
are applied, and named, by the run that replaced it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops.common import GitHubError, gh, gh_json, repo

APPLY_WORKFLOW = ".github/workflows/apply.yml"
# What a pull request must touch to need a plan (changed-paths.sh and apply.yml's paths).
PLANNED_PATHS = (
    "platform.yaml",
    "environments/**",
    "src/**",
    "pyproject.toml",
    "requirements.lock",
    "action.yml",
    "scripts/ci/**",
    ".github/workflows/plan.yml",
)


@dataclass(frozen=True)
class Marker:
    sha: str
    run_id: int


@dataclass
class Merged:
    """One relevant commit on main and the plan reviewed for it (if any)."""

    sha: str
    pr: int | None = None
    plan_file: Path | None = None
    plan_run: int | None = None
    plan_run_url: str = ""
    problem: str = ""  # why there is no reviewed plan
    status: str = ""  # to apply | applied | no reviewed plan


@dataclass
class Window:
    environment: str
    sha: str
    marker: Marker | None
    merged: list[Merged] = field(default_factory=list)
    superseded: bool = False  # a later commit was already applied

    @property
    def unreviewed(self) -> list[Merged]:
        return [m for m in self.merged if m.plan_file is None]

    @property
    def pulls(self) -> list[int]:
        return sorted({m.pr for m in self.merged if m.pr is not None})


def git(*args: str) -> str:
    proc = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise GitHubError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def is_ancestor(older: str, newer: str) -> bool:
    return (
        subprocess.run(
            ["git", "merge-base", "--is-ancestor", older, newer], capture_output=True, check=False
        ).returncode
        == 0
    )


def find_marker(environment: str) -> Marker | None:
    listing = gh_json(
        "api",
        "-X",
        "GET",
        f"repos/{repo()}/actions/artifacts",
        "-f",
        f"name=applied-{environment}",
        "-f",
        "per_page=100",
    )
    for artifact in (listing or {}).get("artifacts", []):
        run = artifact.get("workflow_run") or {}
        if artifact.get("expired") or run.get("head_branch") != "main":
            continue
        details = gh_json("api", f"repos/{repo()}/actions/runs/{run['id']}")
        if (
            details.get("path") != APPLY_WORKFLOW
            or details.get("event") not in ("push", "workflow_dispatch")
            or details.get("head_branch") != "main"
        ):
            continue
        return Marker(str(run["head_sha"]), int(run["id"]))
    return None


def relevant(sha: str) -> bool:
    parents = git("rev-list", "--parents", "-n", "1", sha).split()[1:]
    if not parents:
        return True
    pathspecs = [f":(glob){p}" for p in PLANNED_PATHS]
    return bool(git("diff", "--name-only", parents[0], sha, "--", *pathspecs))


def build_window(environment: str, sha: str, before: str, workdir: Path) -> Window:
    marker = find_marker(environment)
    window = Window(environment, sha, marker)
    if marker is not None and is_ancestor(sha, marker.sha):
        window.superseded = True
        return window
    start = marker.sha if marker is not None and is_ancestor(marker.sha, sha) else before
    if not start or set(start) == {"0"} or not is_ancestor(start, sha):
        start = ""
    spec = f"{start}..{sha}" if start else f"{sha}^1..{sha}" if _has_parent(sha) else sha
    commits = git("rev-list", "--first-parent", "--reverse", spec).split()
    for commit in commits:
        if relevant(commit):
            window.merged.append(reviewed_for(commit, environment, workdir))
    return window


def _has_parent(sha: str) -> bool:
    return len(git("rev-list", "--parents", "-n", "1", sha).split()) > 1


def reviewed_for(
    commit: str,
    environment: str,
    workdir: Path,
    *,
    workflow: str = "plan.yml",
    artifact: str = "",
) -> Merged:
    """The plan reviewed for ``commit``: the ``plan-<env>`` artifact (or ``artifact``) of the
    latest successful ``workflow`` run on the last commit of the pull request it merged."""
    artifact = artifact or f"plan-{environment}"
    merged = Merged(commit)
    pulls = gh_json("api", f"repos/{repo()}/commits/{commit}/pulls") or []
    pr = next(
        (p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == commit), None
    )
    if pr is None:
        merged.problem = (
            f"commit `{commit[:12]}` is not the merge of a pull request (a direct push?)"
        )
        return merged
    merged.pr = int(pr["number"])
    head = str(pr["head"]["sha"])
    runs = gh_json(
        "api",
        "-X",
        "GET",
        f"repos/{repo()}/actions/workflows/{workflow}/runs",
        "-f",
        f"head_sha={head}",
        "-f",
        "event=pull_request",
        "-f",
        "status=success",
        "-f",
        "per_page=100",
    )
    candidates = [
        r
        for r in (runs or {}).get("workflow_runs", [])
        if r.get("head_sha") == head
        and r.get("conclusion") == "success"
        and (r.get("head_repository") or {}).get("full_name") == repo()
    ]
    if not candidates:
        fork = (pr["head"].get("repo") or {}).get("full_name") not in (None, repo())
        merged.problem = (
            f"pull request #{merged.pr} comes from a fork, so it could not be planned"
            if fork
            else f"pull request #{merged.pr} has no successful plan run for its last commit "
            f"`{head[:12]}`"
        )
        return merged
    run = max(candidates, key=lambda r: (str(r.get("created_at", "")), int(r.get("id", 0))))
    dest = workdir / f"reviewed-{merged.pr}-{environment}"
    try:
        gh(
            "run",
            "download",
            str(run["id"]),
            "--repo",
            repo(),
            "--name",
            artifact,
            "--dir",
            str(dest),
        )
    except GitHubError:
        merged.problem = (
            f"the plan artifact of pull request #{merged.pr} (run {run['id']}) "
            "has expired or cannot be downloaded"
        )
        return merged
    plan = dest / f"plan-{environment}.json"
    if not plan.is_file():
        merged.problem = f"pull request #{merged.pr}'s plan for `{environment}` failed"
        return merged
    merged.plan_file, merged.plan_run = plan, int(run["id"])
    merged.plan_run_url = str(run.get("html_url", ""))
    return merged


def changed_addresses(plan: dict[str, Any]) -> set[str]:
    """Addresses the plan changes. A change whose only field changes are secrets it could not
    compare (``unknown``) is not counted: it says nothing about whether the plan was applied."""
    found = set()
    for change in plan.get("resource_changes", []):
        if change.get("action") in ("no-op", "in-progress"):
            continue
        fields = change.get("fields") or []
        if fields and all(f.get("unknown") for f in fields) and change.get("action") == "update":
            continue
        found.add(str(change["address"]))
    return found


def reviewed_addresses(plan: dict[str, Any]) -> set[str]:
    """Addresses a reviewed plan covers: what it changes, and the resources whose secrets it
    showed as compared at apply (apply converges a secret rotated in the store there)."""
    found = changed_addresses(plan)
    for change in plan.get("resource_changes", []):
        if any(f.get("unknown") for f in change.get("fields") or []):
            found.add(str(change["address"]))
    return found
