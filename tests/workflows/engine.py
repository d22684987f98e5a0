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

Its parts: runs.py (the values), github_api.py (what the fake gh serves), jobs.py (running a
job). Time is modelled in ticks: every job that can start in a tick starts (so runs created
together really compete for their concurrency groups), then they run one by one.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.workflows.harness import (
    REPO_ROOT,
    JobResult,
    condition,
    evaluate,
    load_yaml,
    substitute,
    truthy,
)
from tests.workflows.jobs import JobRunner
from tests.workflows.runs import (
    Environment,
    Job,
    WorkflowRun,
    expand_matrix,
    glob_match,
    needs_of,
    triggers_of,
)

PARALLEL_JOBS = 2  # the test machine's cores


class Sim(JobRunner):
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
        self.workflow_dir = REPO_ROOT / ".github" / "workflows"
        self.ignored = {"ci.yml"}  # `make test` of this repository: not simulated
        self.extra_path: list[Path] = []  # first on the runners' PATH
        self.extra_env: dict[str, str] = {}  # in every job's environment
        self._init_api(home, repository)

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
        spec = triggers_of(document).get("workflow_dispatch") or {}
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
        cron = triggers_of(document)["schedule"][0]["cron"]
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
            spec = triggers_of(document)
            if event_name not in spec:
                continue
            config = spec[event_name] or {}
            branch = (event.get("pull_request") or {}).get("base", {}).get("ref") or (
                ref.removeprefix("refs/heads/")
            )
            if "branches" in config and not any(glob_match(p, branch) for p in config["branches"]):
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
                and not any(glob_match(p, f) for p in config["paths"] for f in files)
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
            for matrix in expand_matrix(definition):
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
            for need in needs_of(job.definition)
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
            for need in needs_of(job.definition):
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
        needed = [j for j in job.run.jobs if j.job_id in needs_of(job.definition)]
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
            and not any(glob_match(b, holder.run.head_branch) for b in environment.branches)
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
            spec = triggers_of(document).get("workflow_run")
            if not spec or run.name not in spec.get("workflows", []):
                continue
            if "branches" in spec and not any(
                glob_match(b, run.api_head_branch()) for b in spec["branches"]
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
                if job.job_id not in again and set(needs_of(job.definition)) & again:
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

    def runs_of(self, workflow: str) -> list[WorkflowRun]:
        return [r for r in self.runs if r.workflow == workflow]

    def jobs(self) -> Iterator[Job]:
        for run in self.runs:
            yield from run.jobs


__all__ = ["Environment", "Job", "JobResult", "Sim", "WorkflowRun"]
