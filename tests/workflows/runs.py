"""The simulated GitHub's values: environments, workflow runs and their jobs (a called reusable
workflow's jobs belong to a `Frame`), and the small parts of workflow syntax the engine reads
(triggers, needs, matrices, path globs)."""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.workflows.harness import JobResult

if TYPE_CHECKING:
    from tests.workflows.calls import Frame

BOT = "github-actions[bot]"  # who a GITHUB_TOKEN writes as, whichever workflow holds it


@dataclass
class Environment:
    name: str
    reviewers: bool = False  # required reviewers: jobs wait for `Sim.approve`
    branches: list[str] | None = None  # deployment branch policy; None: any branch
    secrets: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    # who may approve (None: any reviewer), and whether the run's triggering actor may not
    prevent_self_review: bool = False
    reviewer_logins: list[str] | None = None


@dataclass(eq=False)
class Job:
    run: WorkflowRun
    job_id: str
    key: str  # job_id, plus the matrix values for a matrix leg
    definition: dict[str, Any]
    matrix: dict[str, Any]
    name: str = ""
    state: str = "new"  # new, pending, waiting, ready, completed
    result: str = ""  # success, failure, cancelled, skipped
    environment: str | None = None
    group: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    job: JobResult | None = None
    permissions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    frame: Frame | None = None  # the called workflow this job belongs to (None: top level)
    deferred: bool = False  # its matrix is an expression: expanded when its needs are done
    oidc: dict[str, str] = field(default_factory=dict)  # the claims of its OIDC token, if any
    refused: list[str] = field(default_factory=list)  # Azure writes its identity was refused

    @property
    def document(self) -> dict[str, Any]:
        """The workflow file that defines this job (a called workflow's, in a frame)."""
        return self.frame.document if self.frame is not None else self.run.document

    @property
    def summary(self) -> str:
        return self.job.summary if self.job else ""

    @property
    def log(self) -> str:
        return self.job.log if self.job else ""


@dataclass
class WorkflowRun:
    id: int
    workflow: str  # file name, e.g. apply.yml
    name: str  # the workflow's name:
    document: dict[str, Any]
    event_name: str
    event: dict[str, Any]
    sha: str
    ref: str
    inputs: dict[str, Any]
    fork: bool = False
    jobs: list[Job] = field(default_factory=list)
    state: str = "queued"  # queued, pending, in_progress, completed
    cancelled: bool = False
    group: str | None = None
    attempt: int = 1
    actor: str = "octocat"
    triggering_actor: str = "octocat"  # who started this attempt (a re-run: who re-ran it)
    workflow_sha: str = ""  # the commit the workflow file was read from
    error: str = ""  # a startup failure: the workflow file is invalid, no job ran
    frames: list[Frame] = field(default_factory=list)

    @property
    def conclusion(self) -> str:
        if self.state != "completed":
            return ""
        if self.error:
            return "startup_failure"
        results = [j.result for j in self.jobs]
        if "failure" in results:
            return "failure"
        if self.cancelled or "cancelled" in results:
            return "cancelled"
        return "success"

    def job(self, key: str) -> Job:
        for job in self.jobs:
            if job.key == key or job.name == key:
                return job
        raise KeyError(
            f"run {self.id} ({self.workflow}) has no job {key!r}: {[j.key for j in self.jobs]}"
        )

    @property
    def head_branch(self) -> str:
        return self.ref.removeprefix("refs/heads/")

    def head_sha_for_api(self) -> str:
        """The API's ``head_sha``: a pull request's run reports the pull request's head."""
        if self.event_name == "pull_request":
            return str(self.event["pull_request"]["head"]["sha"])
        return self.sha

    def api_head_branch(self) -> str:
        if self.event_name == "pull_request":
            return str(self.event["pull_request"]["head"]["ref"])
        return self.head_branch


def triggers_of(document: dict[Any, Any]) -> dict[str, Any]:
    on = document.get("on", document.get(True))  # YAML 1.1 reads `on:` as True
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {name: {} for name in on}
    return {k: (v or {}) for k, v in (on or {}).items()}


def needs_of(definition: dict[str, Any]) -> list[str]:
    needs = definition.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def dynamic_matrix(definition: dict[str, Any]) -> bool:
    """``strategy.matrix`` holds an expression (``${{ fromJSON(...) }}``): GitHub expands it
    only when the job's needs are done, from their outputs or the inputs."""
    return "${{" in str((definition.get("strategy") or {}).get("matrix") or "")


def expand_matrix(
    definition: dict[str, Any], resolve: Callable[[Any], Any] | None = None
) -> list[dict[str, Any]]:
    matrix = ((definition.get("strategy") or {}).get("matrix")) or {}
    if resolve is not None:
        matrix = resolve(matrix)
    if not isinstance(matrix, dict):
        raise ValueError(f"strategy.matrix must be a mapping, got {matrix!r}")
    include = matrix.get("include") or []
    axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    if not axes:  # GitHub: with no axes, the include entries are the combinations
        return list(include) or [{}]
    combos = [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]
    return combos + list(include)


def glob_match(pattern: str, text: str) -> bool:
    if pattern.endswith("/**"):
        return text.startswith(pattern[:-3] + "/") or fnmatch.fnmatch(text, pattern)
    return fnmatch.fnmatchcase(text, pattern.replace("**", "*"))


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")
