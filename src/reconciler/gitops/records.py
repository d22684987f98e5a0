"""The review record: which plan file was reviewed for which pull request, and where apply finds
it again.

The review job (default branch's code, a ``workflow_run`` run) writes one record per
environment into its artifact ``reconciler-review``. Apply believes a record only from an
artifact whose run GitHub says is a ``workflow_run`` run of the review workflow on the default
branch that called our review workflow: a pull request's own workflow can write comments and
check runs as the same bot, and upload artifacts named like ours to its own runs, but cannot
make its run any of those. The plan file a record names is then downloaded from that plan run
(the artifact id it recorded) and must have the digest it recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reconciler.core.errors import ReconcileError
from reconciler.core.plan import Plan
from reconciler.gitops import names
from reconciler.gitops.github import GitHubError, api, download, event, out_dir

PLAN_WORKFLOW = "reconciler-plan.yml"
REVIEW_WORKFLOW = "reconciler-review.yml"
APPLY_WORKFLOW = "reconciler-apply-env.yml"


@dataclass(frozen=True)
class ReviewRecord:
    pr: int
    base: str
    head_sha: str
    plan_run_id: int
    plan_run_attempt: int
    artifact_id: int
    sha256: str
    environment: str
    tool_sha: str
    reviewed_at: str
    comment_id: int | None = None  # the plan comment the review job wrote

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ReviewRecord:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a record")
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_branch() -> str:
    return str((event().get("repository") or {}).get("default_branch") or "main")


def calls(run: dict[str, Any], tool_repository: str, workflow: str) -> bool:
    """The run called ``workflow`` of our repository (any ref)."""
    prefix = f"{tool_repository}/.github/workflows/{workflow}@"
    return any(
        str(w.get("path", "")).startswith(prefix) for w in run.get("referenced_workflows") or []
    )


def trusted_run(
    run_id: int, *, events: tuple[str, ...], path: str, tool_repository: str, workflow: str
) -> dict[str, Any] | None:
    """The run, if GitHub says it is one of ``events`` on the default branch, of the workflow
    file ``path``, calling our ``workflow``; None otherwise."""
    run = api(f"actions/runs/{run_id}")
    if (
        isinstance(run, dict)
        and run.get("event") in events
        and run.get("head_branch") == default_branch()
        and run.get("path") == path
        and calls(run, tool_repository, workflow)
    ):
        return run
    return None


def records(
    environment: str, working_directory: str, review_workflow: str, tool_repository: str
) -> Iterator[ReviewRecord]:
    """Trusted records for ``environment``, newest first."""
    listing = api("actions/artifacts", name=names.REVIEW_ARTIFACT, per_page="100") or {}
    file = names.REVIEW_FILE.format(label=names.label(environment, working_directory))
    for artifact in listing.get("artifacts", []):
        run_id = int((artifact.get("workflow_run") or {}).get("id", 0))
        if artifact.get("expired") or not run_id:
            continue
        run = trusted_run(
            run_id,
            events=("workflow_run",),
            path=f".github/workflows/{review_workflow}",
            tool_repository=tool_repository,
            workflow=REVIEW_WORKFLOW,
        )
        if run is None:
            continue
        try:
            folder = download(run_id, names.REVIEW_ARTIFACT, out_dir() / f"records-{run_id}")
            found = ReviewRecord.from_json((folder / file).read_text(encoding="utf-8"))
        except (GitHubError, OSError, ValueError, TypeError):
            continue
        if found.environment == environment:
            yield found


def previous_record(
    pr: int, environment: str, working_directory: str, review_workflow: str, tool_repository: str
) -> ReviewRecord | None:
    return next(
        (
            r
            for r in records(environment, working_directory, review_workflow, tool_repository)
            if r.pr == pr
        ),
        None,
    )


def bound_plan(record: ReviewRecord, working_directory: str, dest: Path) -> Plan:
    """The plan file ``record`` names: that artifact of that run, with that digest."""
    name = names.artifact("reconciler-plan", record.environment, working_directory)
    listing = api(f"actions/runs/{record.plan_run_id}/artifacts", per_page="100") or {}
    found = [
        a
        for a in listing.get("artifacts", [])
        if int(a.get("id", 0)) == record.artifact_id and a.get("name") == name
    ]
    if not found or found[0].get("expired"):
        raise ReconcileError(
            f"the plan reviewed on #{record.pr} (artifact {record.artifact_id} of run "
            f"{record.plan_run_id}) has expired or was replaced"
        )
    try:
        folder = download(record.plan_run_id, name, dest)
    except GitHubError:
        raise ReconcileError(
            f"the plan reviewed on #{record.pr} (run {record.plan_run_id}) cannot be downloaded"
        ) from None
    plan_file = folder / names.PLAN_FILE.format(env=record.environment)
    if not plan_file.is_file() or digest(plan_file) != record.sha256:
        raise ReconcileError(
            f"the plan file of run {record.plan_run_id} is not the one reviewed on "
            f"#{record.pr} (its digest differs)"
        )
    return Plan.read(plan_file)
