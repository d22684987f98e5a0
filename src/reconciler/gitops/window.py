"""What an apply run applies, and what it may never do: go back.

The environment's marker is the newest ``applied-<env>`` artifact of a run that GitHub says is
a push or a dispatch of this workflow on the default branch, calling our apply workflow: the
commit whose whole state that run applied. Every apply job refuses a commit that is not at or
after the marker (a re-run of an old run, an old dispatch approved days later), so nothing is
ever rolled back by replaying the past. The window is every commit since the marker, in order,
each with the plan reviewed for the pull request it merged (`records`).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.core.errors import ReconcileError
from reconciler.core.plan import Plan
from reconciler.gitops import names
from reconciler.gitops.github import GitHubError, api, workflow_path
from reconciler.gitops.records import (
    APPLY_WORKFLOW,
    ReviewRecord,
    bound_plan,
    default_branch,
    records,
    trusted_run,
)


@dataclass(frozen=True)
class Marker:
    sha: str
    run_id: int


@dataclass
class Merged:
    """One commit of the window and the plan reviewed for it, if any."""

    sha: str
    pr: int | None = None
    record: ReviewRecord | None = None
    plan: Plan | None = None
    problem: str = ""  # why there is no reviewed plan to apply
    status: str = ""  # what this run did with it


@dataclass
class Window:
    environment: str
    sha: str
    marker: Marker | None
    merged: list[Merged] = field(default_factory=list)

    @property
    def unreviewed(self) -> list[Merged]:
        return [m for m in self.merged if m.plan is None]

    @property
    def pulls(self) -> list[int]:
        return sorted({m.pr for m in self.merged if m.pr is not None})


def git(*args: str, cwd: Path) -> str:
    proc = subprocess.run(["git", *args], capture_output=True, text=True, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise ReconcileError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def is_ancestor(older: str, newer: str, cwd: Path) -> bool:
    """``older`` is ``newer`` or comes before it."""
    proc = subprocess.run(
        ["git", "merge-base", "--is-ancestor", older, newer], cwd=cwd, capture_output=True
    )
    return proc.returncode == 0


def find_marker(environment: str, working_directory: str, tool_repository: str) -> Marker | None:
    name = names.artifact("applied", environment, working_directory)
    listing = api("actions/artifacts", name=name, per_page="100") or {}
    for artifact in listing.get("artifacts", []):
        run_id = int((artifact.get("workflow_run") or {}).get("id", 0))
        if artifact.get("expired") or not run_id:
            continue
        run = trusted_run(
            run_id,
            events=("push", "workflow_dispatch"),
            path=workflow_path(),
            tool_repository=tool_repository,
            workflow=APPLY_WORKFLOW,
        )
        if run is not None:
            return Marker(str(run["head_sha"]), run_id)
    return None


def behind(environment: str, marker: Marker | None, sha: str, cwd: Path) -> str | None:
    """Why commit ``sha`` may not be applied to ``environment`` (None: it may)."""
    if marker is None or is_ancestor(marker.sha, sha, cwd):
        return None
    return (
        f"commit `{sha[:12]}` is behind `{environment}`'s applied commit `{marker.sha[:12]}` "
        "(a re-run of an old run, or an old dispatch?): nothing was applied. To apply the "
        f"default branch, run the apply workflow by hand for `{environment}`."
    )


def build_window(
    environment: str,
    sha: str,
    cwd: Path,
    *,
    marker: Marker | None,
    working_directory: str,
    review_workflow: str,
    tool_repository: str,
    dest: Path,
) -> Window:
    """The commits since the marker, each with its reviewed plan, in order. With no marker
    (the environment's first apply, or its marker expired) nothing says what is applied: the
    last `UNKNOWN_START` commits are listed, none with a plan (the default branch's plan
    made now is applied, behind the gate)."""
    window = Window(environment, sha, marker)
    if marker is not None and is_ancestor(marker.sha, sha, cwd):
        spec = ["--first-parent", "--reverse", f"{marker.sha}..{sha}"]
        found = list(records(environment, working_directory, review_workflow, tool_repository))
    else:
        spec = ["--first-parent", "--reverse", f"--max-count={UNKNOWN_START}", sha]
        found = []
    for commit in git("rev-list", *spec, cwd=cwd).split():
        merged = reviewed_for(commit, found, working_directory, dest, plans=marker is not None)
        window.merged.append(merged)
    return window


UNKNOWN_START = 50  # commits listed when no marker says what an environment last applied


def reviewed_for(
    commit: str, found: list[ReviewRecord], working_directory: str, dest: Path, *, plans: bool
) -> Merged:
    """The plan recorded for the pull request that ``commit`` merged (``plans``: look for
    one)."""
    merged = Merged(commit)
    pulls = api(f"commits/{commit}/pulls") or []
    pull = next(
        (
            p
            for p in pulls
            if p.get("merged_at")
            and p.get("merge_commit_sha") == commit
            and p["base"]["ref"] == default_branch()
        ),
        None,
    )
    if pull is None:
        merged.problem = (
            f"commit `{commit[:12]}` is not the merge of a pull request (a direct push?)"
        )
        return merged
    merged.pr = int(pull["number"])
    if not plans:
        merged.problem = "no applied marker yet: what this environment last applied is unknown"
        return merged
    head = str(pull["head"]["sha"])
    record = next((r for r in found if r.pr == merged.pr and r.head_sha == head), None)
    if record is None:
        fork = (pull["head"].get("repo") or {}).get("full_name") != pull["base"]["repo"][
            "full_name"
        ]
        merged.problem = (
            f"pull request #{merged.pr} comes from a fork, so it could not be planned"
            if fork
            else f"no plan was recorded for the last commit `{head[:12]}` of pull request "
            f"#{merged.pr} (not reviewed, or its review expired)"
        )
        return merged
    merged.record = record
    try:
        merged.plan = bound_plan(record, working_directory, dest / f"reviewed-{merged.pr}")
    except (ReconcileError, GitHubError) as exc:
        merged.problem = exc.message
    return merged
