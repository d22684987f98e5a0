"""A simulated GitHub for the workflow tests: events start workflow runs, runs schedule jobs.

What it models, as GitHub documents it:

- triggers: ``push`` (branches, paths), ``pull_request`` (branches, types), ``merge_group``,
  ``workflow_dispatch`` (inputs with defaults and choices), ``schedule`` and ``workflow_run``
  (started, from the default branch's files, when a watched workflow's run completes);
- jobs: ``needs:`` (and the ``needs`` context: result, outputs), job-level ``if:`` (with the
  implicit ``success()``), ``strategy.matrix`` expansion, job ``outputs:``;
- ``concurrency:`` at workflow and job level: one running and at most one pending per group;
  a newer pending one cancels the older pending one; ``cancel-in-progress`` cancels the
  running one; a job waiting for an environment's approval holds its group;
- environments: deployment branch policies, required reviewers (the job waits until the test
  calls ``approve`` or ``reject``), secrets and variables per environment over the repository's;
- the ``GITHUB_TOKEN``: the job's ``permissions:`` (a fork's pull request gets read-only
  scopes), checked by the fake ``gh`` on every API call; OIDC request variables only for jobs
  with ``id-token: write`` and never for a fork's pull request; no secret for a fork;
- artifacts (per run, listable by name through the API, ``overwrite``), pull requests, issues
  and comments, served to the jobs by the fake ``gh`` from one JSON state file.

Time is modelled in ticks: every job that can start in a tick starts (so runs created
together really compete for their concurrency groups), then they run one by one.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.workflows.harness import (
    REPO_ROOT,
    JobResult,
    Runner,
    _run_steps,
    condition,
    evaluate,
    load_yaml,
    render,
    substitute,
    truthy,
)

PARALLEL_JOBS = 2  # the test machine's cores
WRITE_SCOPES = ("actions", "contents", "deployments", "issues", "pull-requests", "statuses")


@dataclass
class Environment:
    name: str
    reviewers: bool = False
    branches: list[str] | None = None  # deployment branch policy; None: any branch
    secrets: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)


@dataclass
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

    @property
    def conclusion(self) -> str:
        if self.state != "completed":
            return ""
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


class Sim:
    """The simulated GitHub repository ``repository`` around the git repository ``repo``."""

    def __init__(self, repo: Path, home: Path, repository: str, gh_bin: Path) -> None:
        self.repo, self.home, self.repository = repo, home, repository
        home.mkdir(parents=True, exist_ok=True)
        self.gh_bin = gh_bin
        self.environments: dict[str, Environment] = {}
        self.secrets: dict[str, str] = {}
        self.vars: dict[str, str] = {}
        self.runs: list[WorkflowRun] = []
        self.groups: dict[str, Job | WorkflowRun] = {}  # the holder of each group
        self.pending: dict[str, Job | WorkflowRun] = {}
        self._ids = itertools.count(7001)
        self._clock = itertools.count(1)
        self.workflow_dir = REPO_ROOT / ".github" / "workflows"
        self.ignored = {"ci.yml"}  # `make test` of this repository: not simulated
        self.extra_path: list[Path] = []
        self.state: dict[str, Any] = {
            "repository": repository,
            "pulls": [],
            "runs": [],
            "artifacts": [],
            "issues": [],
            "comments": [],
            "tokens": {},
            "files": str(home / "artifacts"),
            "log": str(home / "gh-calls.jsonl"),
            "next_id": 100,
        }
        self.save()

    # --- the API state the fake gh serves --------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.home / "fake-gh-state.json"

    def save(self) -> None:
        self.state_file.write_text(json.dumps(self.state, indent=1), encoding="utf-8")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The state file's lock, which the fake gh takes too (jobs run on threads)."""
        with open(self.home / "fake-gh-state.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def load(self) -> None:
        self.state = json.loads(self.state_file.read_text(encoding="utf-8"))

    def new_id(self) -> int:
        self.state["next_id"] += 1
        return int(self.state["next_id"])

    def add_pull(
        self,
        number: int,
        head_sha: str,
        head_ref: str,
        *,
        fork: bool = False,
        labels: list[str] | None = None,
    ) -> dict[str, Any]:
        owner = "contributor" if fork else self.repository.split("/")[0]
        head_repo = f"{owner}/{self.repository.split('/')[1]}"
        pull = {
            "number": number,
            "state": "open",
            "merged_at": None,
            "merge_commit_sha": None,
            "head": {
                "sha": head_sha,
                "ref": head_ref,
                "repo": {"full_name": head_repo},
                "label": f"{owner}:{head_ref}",
            },
            "base": {"ref": "main", "repo": {"full_name": self.repository}},
            "labels": [{"name": name} for name in labels or []],
            "html_url": f"https://github.com/{self.repository}/pull/{number}",
        }
        self.state["pulls"] = [p for p in self.state["pulls"] if p["number"] != number]
        self.state["pulls"].append(pull)
        self.save()
        return pull

    def pull(self, number: int) -> dict[str, Any]:
        self.load()
        return next(p for p in self.state["pulls"] if p["number"] == number)

    def comments_on(self, number: int) -> list[str]:
        self.load()
        return [c["body"] for c in self.state["comments"] if c["issue"] == number]

    def issues(self, state: str | None = None) -> list[dict[str, Any]]:
        self.load()
        return [i for i in self.state["issues"] if state in (None, i["state"])]

    def register_artifact(self, runner: Runner, name: str) -> int:
        with self.locked():
            return self._register_artifact(runner, name)

    def _register_artifact(self, runner: Runner, name: str) -> int:
        self.load()
        run = self.run_by_id(runner.run_id)
        self.state["artifacts"] = [
            a
            for a in self.state["artifacts"]
            if not (a["name"] == name and a["workflow_run"]["id"] == runner.run_id)
        ]
        artifact_id = self.new_id()
        self.state["artifacts"].append(
            {
                "id": artifact_id,
                "name": name,
                "expired": False,
                "created_at": f"2026-01-05T10:{next(self._clock) % 60:02d}:00Z",
                "order": next(self._clock),
                "workflow_run": {"id": run.id, "head_branch": run.head_branch, "head_sha": run.sha},
            }
        )
        self.save()
        return artifact_id

    def expire_artifacts(self, name_prefix: str) -> None:
        """What retention does: the artifact is listed as expired and cannot be downloaded."""
        self.load()
        for artifact in self.state["artifacts"]:
            if artifact["name"].startswith(name_prefix):
                artifact["expired"] = True
                folder = (
                    self.home
                    / "artifacts"
                    / str(artifact["workflow_run"]["id"])
                    / (artifact["name"])
                )
                shutil.rmtree(folder, ignore_errors=True)
        self.save()

    def _record_run(self, run: WorkflowRun) -> None:
        with self.locked():
            self._record_run_locked(run)

    def _record_run_locked(self, run: WorkflowRun) -> None:
        self.load()
        self.state["runs"] = [r for r in self.state["runs"] if r["id"] != run.id]
        head_repo = self.repository
        if run.fork:
            head_repo = f"contributor/{self.repository.split('/')[1]}"
        pulls = []
        if run.event_name == "pull_request" and not run.fork:
            number = run.event["pull_request"]["number"]
            pulls = [{"number": number, "head": {"sha": run.event["pull_request"]["head"]["sha"]}}]
        self.state["runs"].append(
            {
                "id": run.id,
                "name": run.name,
                "path": f".github/workflows/{run.workflow}",
                "event": run.event_name,
                "head_sha": run.head_sha_for_api(),
                "head_branch": run.api_head_branch(),
                "status": "completed" if run.state == "completed" else run.state,
                "conclusion": run.conclusion or None,
                "created_at": f"2026-01-05T09:{run.id % 60:02d}:00Z",
                "html_url": f"https://github.com/{self.repository}/actions/runs/{run.id}",
                "head_repository": {"full_name": head_repo},
                "pull_requests": pulls,
            }
        )
        self.save()

    # --- events ----------------------------------------------------------------------------

    def workflows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for path in sorted(self.workflow_dir.glob("*.yml")):
            if path.name not in self.ignored:
                yield path.name, load_yaml(path)

    def git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
            cwd=self.repo,
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout.strip()

    def changed_files(self, before: str, after: str) -> list[str]:
        return self.git("diff", "--name-only", before, after).splitlines()

    def push(self, before: str, after: str, ref: str = "refs/heads/main") -> list[WorkflowRun]:
        event = {
            "ref": ref,
            "before": before,
            "after": after,
            "repository": {"full_name": self.repository, "default_branch": "main"},
            "head_commit": {"id": after},
        }
        files = self.changed_files(before, after)
        return self._trigger("push", event, after, ref, files=files)

    def pull_request(self, number: int, action: str = "synchronize") -> list[WorkflowRun]:
        """The pull request's event: runs on a test merge of its head into main."""
        pull = self.pull(number)
        merge = self.test_merge(pull["head"]["sha"])
        event = {
            "action": action,
            "number": number,
            "pull_request": pull,
            "repository": {"full_name": self.repository, "default_branch": "main"},
        }
        files = self.changed_files(self.git("rev-parse", "main"), merge)
        fork = pull["head"]["repo"]["full_name"] != self.repository
        return self._trigger(
            "pull_request",
            event,
            merge,
            f"refs/pull/{number}/merge",
            files=files,
            fork=fork,
            types=action,
        )

    def test_merge(self, head: str) -> str:
        main = self.git("rev-parse", "main")
        tree = self.git("merge-tree", "--write-tree", main, head)
        return self.git("commit-tree", tree, "-p", main, "-p", head, "-m", "test merge")

    def merge_group(self, head_sha: str, base_sha: str, number: int) -> list[WorkflowRun]:
        ref = f"refs/heads/gh-readonly-queue/main/pr-{number}-{base_sha}"
        event = {
            "action": "checks_requested",
            "merge_group": {
                "head_sha": head_sha,
                "head_ref": ref,
                "base_sha": base_sha,
                "base_ref": "refs/heads/main",
            },
            "repository": {"full_name": self.repository, "default_branch": "main"},
        }
        return self._trigger("merge_group", event, head_sha, ref)

    def dispatch(
        self, workflow: str, inputs: dict[str, str] | None = None, ref: str = "refs/heads/main"
    ) -> WorkflowRun:
        document = load_yaml(self.workflow_dir / workflow)
        spec = _on(document).get("workflow_dispatch") or {}
        resolved: dict[str, Any] = {}
        for name, definition in (spec.get("inputs") or {}).items():
            value = (inputs or {}).get(name, definition.get("default", ""))
            if definition.get("type") == "choice" and value not in definition["options"]:
                raise ValueError(f"{value!r} is not one of {definition['options']}")
            if definition.get("required") and value in ("", None):
                raise ValueError(f"input {name} is required")
            resolved[name] = value
        unknown = set(inputs or {}) - set(resolved)
        assert not unknown, f"unknown inputs {unknown}"
        event = {
            "inputs": resolved,
            "ref": ref,
            "repository": {"full_name": self.repository, "default_branch": "main"},
        }
        sha = self.git("rev-parse", ref.removeprefix("refs/heads/"))
        return self._start(workflow, document, "workflow_dispatch", event, sha, ref, resolved)

    def schedule(self, workflow: str) -> WorkflowRun:
        document = load_yaml(self.workflow_dir / workflow)
        cron = _on(document)["schedule"][0]["cron"]
        sha = self.git("rev-parse", "main")
        return self._start(
            workflow, document, "schedule", {"schedule": cron}, sha, "refs/heads/main", {}
        )

    def _trigger(
        self,
        event_name: str,
        event: dict[str, Any],
        sha: str,
        ref: str,
        *,
        files: list[str] | None = None,
        fork: bool = False,
        types: str | None = None,
    ) -> list[WorkflowRun]:
        started = []
        for name, document in self.workflows():
            spec = _on(document)
            if event_name not in spec:
                continue
            config = spec[event_name] or {}
            branch = (event.get("pull_request") or {}).get("base", {}).get("ref") or (
                ref.removeprefix("refs/heads/")
            )
            if "branches" in config and not any(_glob(p, branch) for p in config["branches"]):
                continue
            if types and config.get("types") and types not in config["types"]:
                continue
            if (
                types
                and not config.get("types")
                and types not in ("opened", "synchronize", "reopened")
            ):
                continue
            if (
                "paths" in config
                and files is not None
                and not any(_glob(p, f) for p in config["paths"] for f in files)
            ):
                continue
            started.append(self._start(name, document, event_name, event, sha, ref, {}, fork=fork))
        return started

    def _start(
        self,
        workflow: str,
        document: dict[str, Any],
        event_name: str,
        event: dict[str, Any],
        sha: str,
        ref: str,
        inputs: dict[str, Any],
        *,
        fork: bool = False,
    ) -> WorkflowRun:
        run = WorkflowRun(
            next(self._ids),
            workflow,
            str(document.get("name", workflow)),
            document,
            event_name,
            event,
            sha,
            ref,
            inputs,
            fork=fork,
        )
        for job_id, definition in document["jobs"].items():
            for matrix in _expand(definition):
                key = job_id + "".join(f" ({v})" for v in matrix.values())
                run.jobs.append(Job(run, job_id, key, definition, matrix))
        self.runs.append(run)
        concurrency = document.get("concurrency")
        if concurrency:
            group, cancel = self._concurrency(concurrency, self._context(run, None))
            run.group = group
            self._enter(run, group, cancel)
        else:
            run.state = "in_progress"
        self._record_run(run)
        return run

    # --- scheduling ------------------------------------------------------------------------

    def settle(self, max_ticks: int = 200) -> None:
        """Run every job that can run, tick by tick, until only waiting ones are left."""
        for _ in range(max_ticks):
            if not self._tick():
                return
        raise AssertionError("the simulation did not settle")

    def _tick(self) -> bool:
        progressed = False
        for run in list(self.runs):
            if run.state not in ("in_progress",):
                continue
            for job in run.jobs:
                if job.state == "new" and self._needs_done(job):
                    self._prepare(job)
                    progressed = True
        ready = [j for r in self.runs for j in r.jobs if j.state == "ready"]
        if ready:  # jobs that start in the same tick run at the same time, as on GitHub
            starts = [self._start_job(job) for job in ready]
            with ThreadPoolExecutor(max_workers=PARALLEL_JOBS) as pool:
                list(pool.map(lambda started: self._run_job(*started), starts))
            for job in ready:
                self._finish_job(job)
            progressed = True
        for run in self.runs:
            if run.state == "in_progress" and all(j.state == "completed" for j in run.jobs):
                self._finish_run(run)
                progressed = True
        return progressed

    def _needs_done(self, job: Job) -> bool:
        return all(
            other.state == "completed"
            for need in _needs(job.definition)
            for other in job.run.jobs
            if other.job_id == need
        )

    def _context(self, run: WorkflowRun, job: Job | None) -> dict[str, Any]:
        environment = self.environments.get(job.environment or "") if job else None
        secrets = (
            {} if run.fork else {**self.secrets, **(environment.secrets if environment else {})}
        )
        secrets["GITHUB_TOKEN"] = f"ghs_{run.id}_{job.key if job else ''}"
        variables = {**self.vars, **(environment.vars if environment else {})}
        if run.fork:  # a fork's run gets no configuration variables either
            variables = {}
        needs = {}
        if job is not None:
            for need in _needs(job.definition):
                legs = [j for j in run.jobs if j.job_id == need]
                results = {j.result for j in legs}
                result = next(
                    (r for r in ("failure", "cancelled", "success") if r in results), "skipped"
                )
                outputs: dict[str, str] = {}
                for leg in legs:
                    outputs.update({k: v for k, v in leg.outputs.items() if v})
                needs[need] = {"result": result, "outputs": outputs}
        github = {
            "event_name": run.event_name,
            "event": run.event,
            "sha": run.sha,
            "ref": run.ref,
            "ref_name": run.head_branch,
            "repository": self.repository,
            "repository_owner": self.repository.split("/")[0],
            "run_id": str(run.id),
            "run_attempt": str(run.attempt),
            "workflow": run.name,
            "actor": "octocat",
            "server_url": "https://github.com",
            "api_url": "https://api.github.com",
            "head_ref": (run.event.get("pull_request") or {}).get("head", {}).get("ref", ""),
            "base_ref": (run.event.get("pull_request") or {}).get("base", {}).get("ref", ""),
            "token": secrets["GITHUB_TOKEN"],
        }
        return {
            "github": github,
            "inputs": run.inputs,
            "vars": variables,
            "secrets": secrets,
            "needs": needs,
            "matrix": job.matrix if job else {},
            "strategy": {},
            "runner": {"os": "Linux"},
            "env": {},
        }

    def _status(self, job: Job) -> dict[str, bool]:
        needed = [j for j in job.run.jobs if j.job_id in _needs(job.definition)]
        failed = any(j.result in ("failure",) for j in needed)
        ok = all(j.result == "success" for j in needed)
        return {
            "success": ok and not job.run.cancelled,
            "failure": failed,
            "always": True,
            "cancelled": job.run.cancelled,
        }

    def _prepare(self, job: Job) -> None:
        run = job.run
        context = self._context(run, job)
        status = self._status(job)
        job.name = substitute(str(job.definition.get("name", job.key)), context, status)
        if not condition(job.definition.get("if"), context, status):
            self._complete(job, "skipped")
            return
        environment = job.definition.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        job.environment = substitute(str(environment), context, status) if environment else None
        concurrency = job.definition.get("concurrency")
        if concurrency:
            group, cancel = self._concurrency(concurrency, self._context(run, job))
            job.group = group
            self._enter(job, group, cancel)
        else:
            self._admit(job)

    def _concurrency(self, spec: Any, context: dict[str, Any]) -> tuple[str, bool]:
        ok = {"success": True, "failure": False, "always": True, "cancelled": False}
        if isinstance(spec, str):
            return substitute(spec, context, ok).lower(), False
        group = substitute(str(spec["group"]), context, ok).lower()
        cancel = spec.get("cancel-in-progress", False)
        if isinstance(cancel, str):
            cancel = truthy(
                evaluate(cancel.strip().removeprefix("${{").removesuffix("}}"), context, ok)
            )
        return group, bool(cancel)

    def _enter(self, holder: Job | WorkflowRun, group: str, cancel: bool) -> None:
        current = self.groups.get(group)
        if current is not None and cancel:
            self._cancel(current)
            current = None
        if current is None:
            self.groups[group] = holder
            self._admit(holder)
            return
        older = self.pending.get(group)
        if older is not None:  # GitHub keeps one pending: the newer one takes its place
            self._cancel(older)
        self.pending[group] = holder
        holder.state = "pending"

    def _admit(self, holder: Job | WorkflowRun) -> None:
        if isinstance(holder, WorkflowRun):
            holder.state = "in_progress"
            self._record_run(holder)
            return
        environment = self.environments.get(holder.environment or "")
        if (
            environment
            and environment.branches is not None
            and not any(_glob(b, holder.run.head_branch) for b in environment.branches)
        ):
            holder.job = JobResult([], "", holder.environment)
            holder.job.summary = ""
            self._complete(
                holder,
                "failure",
                message=(
                    f'Branch "{holder.run.head_branch}" is not allowed to deploy to '
                    f"{holder.environment} due to environment protection rules."
                ),
            )
            return
        if environment and environment.reviewers:
            holder.state = "waiting"
            return
        holder.state = "ready"

    def _cancel(self, holder: Job | WorkflowRun) -> None:
        if isinstance(holder, WorkflowRun):
            holder.cancelled = True
            for job in holder.jobs:
                if job.state != "completed":
                    self._complete(job, "cancelled")
            self._finish_run(holder)
        else:
            holder.run.cancelled = True
            self._complete(holder, "cancelled")

    def _release(self, holder: Job | WorkflowRun) -> None:
        group = holder.group
        if group is None:
            return
        if self.pending.get(group) is holder:
            del self.pending[group]
        if self.groups.get(group) is holder:
            del self.groups[group]
            waiting = self.pending.pop(group, None)
            if waiting is not None:
                self.groups[group] = waiting
                self._admit(waiting)

    def _complete(self, job: Job, result: str, message: str = "") -> None:
        job.state, job.result = "completed", result
        if message:
            job.job = job.job or JobResult([], "", job.environment)
            job.job.summary = message
        self._release(job)

    def _finish_run(self, run: WorkflowRun) -> None:
        if run.state == "completed":
            return
        run.state = "completed"
        self._release(run)
        self._record_run(run)
        if run.event_name == "workflow_run":
            return
        for name, document in self.workflows():
            spec = _on(document).get("workflow_run")
            if not spec or run.name not in spec.get("workflows", []):
                continue
            if "branches" in spec and not any(
                _glob(b, run.api_head_branch()) for b in spec["branches"]
            ):
                continue
            self.load()
            payload = next(r for r in self.state["runs"] if r["id"] == run.id)
            event = {
                "action": "completed",
                "workflow_run": payload,
                "repository": {"full_name": self.repository, "default_branch": "main"},
            }
            main = self.git("rev-parse", "main")
            self._start(name, document, "workflow_run", event, main, "refs/heads/main", {})

    def cancel(self, run: WorkflowRun) -> None:
        """A person cancels the run (its waiting and pending jobs too)."""
        self._cancel(run)

    def rerun(self, run: WorkflowRun, *, failed_only: bool = True) -> None:
        """ "Re-run failed jobs" (or all jobs): a new attempt of the same run; what the earlier
        attempt uploaded stays on the run."""
        assert run.state == "completed", "GitHub re-runs completed runs only"
        run.attempt += 1
        run.cancelled = False
        again = {
            j.job_id for j in run.jobs if not failed_only or j.result in ("failure", "cancelled")
        }
        changed = True
        while changed:  # and every job that needs one of them
            changed = False
            for job in run.jobs:
                if job.job_id not in again and set(_needs(job.definition)) & again:
                    again.add(job.job_id)
                    changed = True
        for job in run.jobs:
            if job.job_id in again:
                job.state, job.result, job.outputs, job.job = "new", "", {}, None
        run.state = "in_progress"
        self._record_run(run)

    # --- approvals -------------------------------------------------------------------------

    def waiting(self) -> list[Job]:
        return [j for r in self.runs for j in r.jobs if j.state == "waiting"]

    def approve(self, job: Job) -> None:
        assert job.state == "waiting", (job.key, job.state)
        job.state = "ready"

    def reject(self, job: Job) -> None:
        assert job.state == "waiting", (job.key, job.state)
        self._complete(job, "failure", message="Rejected by a reviewer")

    def approve_all(self, environment: str) -> int:
        """Approve every job waiting for ``environment`` and settle; returns how many."""
        count = 0
        while True:
            jobs = [j for j in self.waiting() if j.environment == environment]
            if not jobs:
                return count
            for job in jobs:
                self.approve(job)
                count += 1
            self.settle()

    # --- running a job ---------------------------------------------------------------------

    def _permissions(self, job: Job) -> dict[str, str]:
        spec = job.definition.get("permissions", job.run.document.get("permissions"))
        if spec is None:
            spec = {scope: "write" for scope in WRITE_SCOPES}  # the repository default
        if spec in ("read-all", "write-all"):
            level = spec.split("-")[0]
            spec = {scope: level for scope in (*WRITE_SCOPES, "id-token")}
        permissions = dict(spec)
        if job.run.fork:  # a fork's pull request: read-only token, no OIDC token
            permissions = {k: "read" for k, v in permissions.items() if k != "id-token"}
        return permissions

    def _start_job(self, job: Job) -> tuple[Job, Runner, dict[str, Any]]:
        run = job.run
        job.state = "running"
        context = self._context(run, job)
        token = context["github"]["token"]
        job.permissions = self._permissions(job)
        with self.locked():
            self.load()
            self.state["tokens"][token] = {"permissions": job.permissions, "run": run.id}
            self.save()
        workspace = self.home / "work" / f"{run.id}-{_slug(job.key)}-{run.attempt}"
        if workspace.exists():
            shutil.rmtree(workspace)
        workspace.mkdir(parents=True)
        extra = {
            "FAKE_GH_STATE": str(self.state_file),
            "GITHUB_JOB": job.job_id,
            "GITHUB_WORKFLOW": run.name,
        }
        if job.permissions.get("id-token") == "write":
            extra["ACTIONS_ID_TOKEN_REQUEST_URL"] = (
                "https://pipelines.actions.githubusercontent.invalid/oidc?api-version=2.0"
            )
            extra["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = f"oidc-request-{run.id}-{_slug(job.key)}"
        runner = Runner(
            workspace=workspace,
            home=self.home,
            event_name=run.event_name,
            event=run.event,
            sha=run.sha,
            ref=run.ref,
            repository=self.repository,
            run_id=run.id,
            vars=context["vars"],
            secrets=context["secrets"],
            path=[*self.extra_path, self.gh_bin],
            extra_env=extra,
            token=token,
            attempt=run.attempt,
            job_key=_slug(job.key),
            sim=self,
        )
        runner.temp.mkdir(parents=True, exist_ok=True)
        return job, runner, context

    def _run_job(self, job: Job, runner: Runner, context: dict[str, Any]) -> None:
        """A job's steps (on a worker thread): touches nothing but its own runner."""
        started = time.monotonic()
        run = job.run
        status = {"success": True, "failure": False, "always": True, "cancelled": False}
        env: dict[str, str] = {}
        for source in (run.document.get("env") or {}, job.definition.get("env") or {}):
            for key, value in source.items():
                context["env"] = env
                env[str(key)] = substitute(str(value), context, status)
        defaults = job.definition.get("defaults") or run.document.get("defaults") or {}
        result = _run_steps(
            runner,
            list(job.definition["steps"]),
            context,
            env,
            default_workdir=(defaults.get("run") or {}).get("working-directory"),
        )
        result.environment = job.environment
        job.job = result
        ok = {"success": True, "failure": False, "always": True, "cancelled": False}
        job.outputs = {
            name: substitute(str(value), context, ok)
            for name, value in (job.definition.get("outputs") or {}).items()
        }
        job.seconds = time.monotonic() - started

    def _finish_job(self, job: Job) -> None:
        assert job.job is not None
        failed = job.job.conclusion == "failure" and not job.definition.get("continue-on-error")
        self._complete(job, "failure" if failed else "success")

    def checkout(self, runner: Runner, ref: str) -> None:
        """actions/checkout: the commit (a shared clone of the repository) in the workspace."""
        subprocess.run(
            [
                "git",
                "clone",
                "--quiet",
                "--shared",
                "--no-checkout",
                str(self.repo),
                str(runner.workspace),
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["git", "checkout", "--quiet", "--detach", ref],
            cwd=runner.workspace,
            check=True,
            capture_output=True,
        )

    def run_by_id(self, run_id: int) -> WorkflowRun:
        return next(r for r in self.runs if r.id == run_id)

    def runs_of(self, workflow: str) -> list[WorkflowRun]:
        return [r for r in self.runs if r.workflow == workflow]

    def jobs(self) -> Iterator[Job]:
        for run in self.runs:
            yield from run.jobs


def _on(document: dict[Any, Any]) -> dict[str, Any]:
    on = document.get("on", document.get(True))  # YAML 1.1 reads `on:` as True
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {name: {} for name in on}
    return {k: (v or {}) for k, v in (on or {}).items()}


def _needs(definition: dict[str, Any]) -> list[str]:
    needs = definition.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def _expand(definition: dict[str, Any]) -> list[dict[str, Any]]:
    matrix = ((definition.get("strategy") or {}).get("matrix")) or {}
    include = matrix.get("include") or []
    axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    if not axes and not include:
        return [{}]
    combos = [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]
    return combos + list(include)


def _glob(pattern: str, text: str) -> bool:
    import fnmatch

    if pattern.endswith("/**"):
        return text.startswith(pattern[:-3] + "/") or fnmatch.fnmatch(text, pattern)
    return fnmatch.fnmatchcase(text, pattern.replace("**", "*"))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


__all__ = ["Environment", "Job", "Sim", "WorkflowRun", "render"]
