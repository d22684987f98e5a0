"""The simulated GitHub's scheduling: which job runs when, in what context.

A run's jobs start when their ``needs`` are done and their ``if:`` holds; a called workflow's
jobs (calls.py) wait for their frame: the caller job's ``needs`` and ``if:``, then its inputs
and secrets are evaluated once. Concurrency groups keep one running and at most one pending
holder (a newer pending one cancels the older one; ``cancel-in-progress`` cancels the running
one); a job waiting for an environment's approval holds its group. Time is modelled in ticks:
every job that can start in a tick starts (so runs created together really compete for their
groups), then they run, at most `PARALLEL_JOBS` at a time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.workflows.calls import (
    Frame,
    StartupFailure,
    WorkflowFile,
    call_spec,
    check_call,
    check_permissions,
    normalise_permissions,
    passed_secrets,
    typed_inputs,
)
from tests.workflows.harness import JobResult, condition, evaluate, resolve, substitute, truthy
from tests.workflows.jobs import WRITE_SCOPES, JobRunner
from tests.workflows.runs import (
    Job,
    WorkflowRun,
    dynamic_matrix,
    expand_matrix,
    glob_match,
    needs_of,
)

PARALLEL_JOBS = 2  # the test machine's cores
MAX_LEVELS = 10  # github.com: the top-level caller and nine levels of called workflows
OK = {"success": True, "failure": False, "always": True, "cancelled": False}


class Scheduler(JobRunner):
    """The engine's half that schedules jobs (`engine.Sim` is one)."""

    repository: str
    vars: dict[str, str]
    secrets: dict[str, str]
    runs: list[WorkflowRun]
    groups: dict[str, Job | WorkflowRun]
    pending: dict[str, Job | WorkflowRun]

    def resolve_uses(self, uses: str, run: WorkflowRun, parent: Frame | None) -> WorkflowFile:
        raise NotImplementedError  # the engine's: it knows the repositories

    def _finish_run(self, run: WorkflowRun) -> None:
        raise NotImplementedError  # the engine's: a finished run triggers workflow_run

    # --- a run's jobs, and the workflows it calls ------------------------------------------

    def _add_jobs(self, run: WorkflowRun, document: dict[str, Any], frame: Frame | None) -> None:
        for job_id, definition in document["jobs"].items():
            if dynamic_matrix(definition):
                key = (f"{frame.key} / " if frame else "") + job_id
                run.jobs.append(Job(run, job_id, key, definition, {}, frame=frame, deferred=True))
                continue
            for matrix in expand_matrix(definition):
                self._add_leg(run, job_id, definition, matrix, frame)

    def _add_leg(
        self,
        run: WorkflowRun,
        job_id: str,
        definition: dict[str, Any],
        matrix: dict[str, Any],
        frame: Frame | None,
    ) -> None:
        key = (f"{frame.key} / " if frame else "") + job_id
        key += "".join(f" ({v})" for v in matrix.values())
        if "uses" not in definition:
            run.jobs.append(Job(run, job_id, key, definition, matrix, frame=frame))
            return
        depth = (frame.depth if frame else 1) + 1
        if depth > MAX_LEVELS:
            raise StartupFailure(
                f"job {key}: a workflow may call at most {MAX_LEVELS - 1} levels of reusable "
                "workflows"
            )
        file = self.resolve_uses(str(definition["uses"]), run, frame)
        spec = call_spec(file)
        check_call(key, definition, spec)
        parent_document = frame.document if frame else run.document
        default = frame.cap if frame else {scope: "write" for scope in WRITE_SCOPES}
        cap = normalise_permissions(
            definition.get("permissions", parent_document.get("permissions")), default
        )
        if frame is not None:
            check_permissions(key, cap, frame.cap)
        called = Frame(run, frame, job_id, definition, matrix, key, file, cap, depth)
        for called_id, job in file.document["jobs"].items():
            wanted = job.get("permissions", file.document.get("permissions"))
            if wanted is not None and "uses" not in job:
                check_permissions(f"{key} / {called_id}", normalise_permissions(wanted, cap), cap)
        run.frames.append(called)
        self._add_jobs(run, file.document, called)

    # --- the ticks -------------------------------------------------------------------------

    def settle(self, max_ticks: int = 200) -> None:
        """Run every job that can run, tick by tick, until only waiting ones are left."""
        for _ in range(max_ticks):
            if not self._tick():
                return
        raise AssertionError("the simulation did not settle")

    def _requests(self) -> bool:
        """API calls that act on runs (a re-run asked for with a token): done between ticks."""
        return False

    def _tick(self) -> bool:
        progressed = self._requests()
        for run in list(self.runs):
            if run.state != "in_progress":
                continue
            for job in list(run.jobs):
                if job.state == "new" and self._ready(job):
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

    def _ready(self, job: Job) -> bool:
        if job.frame is not None and not self._enter(job.frame):
            return False
        return job.state == "new" and self._needs_done(job.run, job.frame, job.definition)

    def _enter(self, frame: Frame) -> bool:
        """A called workflow starts when its caller's needs are done and its ``if:`` holds;
        its inputs and secrets are evaluated then. False: not yet, or never (skipped)."""
        if frame.state != "new":
            return frame.state == "entered"
        parent = frame.parent
        if parent is not None and not self._enter(parent):
            if parent.state in ("skipped", "failed"):
                self._close(frame, "skipped")
            return False
        run = frame.run
        if not self._needs_done(run, parent, frame.caller):
            return False
        context = self._scope(run, parent, needs_of(frame.caller), frame.matrix, None, "")
        status = self._status(run, parent, frame.caller)
        if not condition(frame.caller.get("if"), context, status):
            self._close(frame, "skipped")
            return False
        label = substitute(str(frame.caller.get("name", frame.key.split(" / ")[-1])), context, OK)
        frame.name = (f"{parent.name} / " if parent else "") + label
        spec = call_spec(frame.file)
        try:
            given = resolve(frame.caller.get("with") or {}, context, OK)
            frame.inputs = typed_inputs(frame.key, spec, given)
            secrets = frame.caller.get("secrets")
            given_secrets = secrets if secrets == "inherit" else resolve(secrets, context, OK)
            frame.secrets = passed_secrets(frame.key, spec, given_secrets, context["secrets"])
        except StartupFailure as exc:
            self._close(frame, "failed", str(exc))
            return False
        frame.state = "entered"
        return True

    def _close(self, frame: Frame, state: str, message: str = "") -> None:
        """A frame that will not run: its jobs (and its called workflows') complete."""
        frame.state = state
        for job in frame.run.jobs:
            if job.state != "completed" and job.frame is not None and job.frame.within(frame):
                self._complete(job, "skipped" if state == "skipped" else "failure", message)
        for other in frame.run.frames:
            if other is not frame and other.within(frame) and other.state == "new":
                other.state = state

    # --- needs: jobs and called workflows by id, within one workflow -------------------------

    def _unit(
        self, run: WorkflowRun, frame: Frame | None, job_id: str
    ) -> tuple[bool, str, dict[str, str]]:
        """A job id of the workflow ``frame`` runs (None: the top level): done, result and
        outputs, over its matrix legs and, for a caller job, the workflows it called."""
        legs = [j for j in run.jobs if j.frame is frame and j.job_id == job_id]
        calls = [f for f in run.frames if f.parent is frame and f.caller_id == job_id]
        results: list[str] = [j.result for j in legs]
        outputs: dict[str, str] = {}
        done = all(j.state == "completed" for j in legs)
        for leg in legs:
            outputs.update({k: v for k, v in leg.outputs.items() if v})
        for call in calls:
            inner = [j for j in run.jobs if j.frame is not None and j.frame.within(call)]
            if call.state == "skipped":
                results.append("skipped")
                continue
            if not all(j.state == "completed" for j in inner) or call.state == "new":
                done = False
                continue
            results.extend(j.result for j in inner)
            outputs.update({k: v for k, v in self._call_outputs(call).items() if v})
        if not legs and not calls:
            raise KeyError(f"needs: no job {job_id!r}")
        result = next((r for r in ("failure", "cancelled", "success") if r in results), "skipped")
        return done, result, outputs

    def _call_outputs(self, call: Frame) -> dict[str, str]:
        spec = call_spec(call.file)
        jobs = {}
        for job_id in call.document["jobs"]:
            _, result, outputs = self._unit(call.run, call, job_id)
            jobs[job_id] = {"result": result, "outputs": outputs}
        context = {"jobs": jobs, "inputs": call.inputs, "github": self._github(call.run, "")}
        return {
            name: substitute(str((definition or {}).get("value", "")), context, OK)
            for name, definition in (spec.get("outputs") or {}).items()
        }

    def _needs_done(
        self, run: WorkflowRun, frame: Frame | None, definition: dict[str, Any]
    ) -> bool:
        return all(self._unit(run, frame, need)[0] for need in needs_of(definition))

    def _status(
        self, run: WorkflowRun, frame: Frame | None, definition: dict[str, Any]
    ) -> dict[str, bool]:
        results = [self._unit(run, frame, need)[1] for need in needs_of(definition)]
        return {
            "success": all(r == "success" for r in results) and not run.cancelled,
            "failure": "failure" in results,
            "always": True,
            "cancelled": run.cancelled,
        }

    # --- contexts --------------------------------------------------------------------------

    def _github(self, run: WorkflowRun, token: str) -> dict[str, Any]:
        pull = run.event.get("pull_request") or {}
        return {
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
            "workflow_ref": f"{self.repository}/.github/workflows/{run.workflow}@{run.ref}",
            "workflow_sha": run.workflow_sha,
            "actor": run.actor,
            "triggering_actor": run.triggering_actor,
            "server_url": "https://github.com",
            "api_url": "https://api.github.com",
            "head_ref": pull.get("head", {}).get("ref", ""),
            "base_ref": pull.get("base", {}).get("ref", ""),
            "token": token,
        }

    def _scope(
        self,
        run: WorkflowRun,
        frame: Frame | None,
        needs: list[str],
        matrix: dict[str, Any],
        environment_name: str | None,
        token_key: str,
    ) -> dict[str, Any]:
        """The contexts of a job (or of a caller job's ``with:``) in ``frame``'s workflow."""
        environment = self.environments.get(environment_name or "")
        base = frame.secrets if frame is not None else self.secrets
        secrets = {} if run.fork else {**base, **(environment.secrets if environment else {})}
        secrets["GITHUB_TOKEN"] = f"ghs_{run.id}_{token_key}"
        variables = {**self.vars, **(environment.vars if environment else {})}
        if run.fork:  # a fork's run gets no configuration variables either
            variables = {}
        need_context = {}
        for need in needs:
            _, result, outputs = self._unit(run, frame, need)
            need_context[need] = {"result": result, "outputs": outputs}
        return {
            "github": self._github(run, secrets["GITHUB_TOKEN"]),
            "inputs": frame.inputs if frame is not None else run.inputs,
            "vars": variables,
            "secrets": secrets,
            "needs": need_context,
            "matrix": matrix,
            "strategy": {},
            "runner": {"os": "Linux"},
            "env": {},
        }

    def _context(self, run: WorkflowRun, job: Job | None) -> dict[str, Any]:
        if job is None:
            return self._scope(run, None, [], {}, None, "")
        needs = needs_of(job.definition)
        return self._scope(run, job.frame, needs, job.matrix, job.environment, job.key)

    # --- preparing a job: if, environment, concurrency ---------------------------------------

    def _prepare(self, job: Job) -> None:
        run = job.run
        context = self._context(run, job)
        status = self._status(run, job.frame, job.definition)
        if job.deferred:
            self._expand(job, context, status)
            return
        label = substitute(
            str(job.definition.get("name", job.key.split(" / ")[-1])), context, status
        )
        job.name = (f"{job.frame.name} / " if job.frame else "") + label
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
            self._enter_group(job, group, cancel)
        else:
            self._admit(job)

    def _expand(self, job: Job, context: dict[str, Any], status: dict[str, bool]) -> None:
        """A matrix from an expression, now that the needs' outputs and inputs are known."""
        run = job.run
        if not condition(job.definition.get("if"), context, status):
            self._complete(job, "skipped")
            return
        index = run.jobs.index(job)
        run.jobs.remove(job)
        before = list(run.jobs)
        try:
            for matrix in expand_matrix(job.definition, lambda m: resolve(m, context, OK)):
                self._add_leg(run, job.job_id, job.definition, matrix, job.frame)
        except (StartupFailure, ValueError) as exc:
            run.jobs.insert(index, job)
            job.deferred = False
            self._complete(job, "failure", str(exc))
            return
        added = [j for j in run.jobs if j not in before]
        calls = [f for f in run.frames if f.parent is job.frame and f.caller_id == job.job_id]
        if not added and not calls:  # GitHub: a matrix with no combination fails the job
            run.jobs.insert(index, job)
            job.deferred = False
            self._complete(job, "failure", "the matrix has no combination to run")
            return
        run.jobs[:] = before[:index] + added + before[index:]

    def _concurrency(self, spec: Any, context: dict[str, Any]) -> tuple[str, bool]:
        if isinstance(spec, str):
            return substitute(spec, context, OK).lower(), False
        group = substitute(str(spec["group"]), context, OK).lower()
        cancel = spec.get("cancel-in-progress", False)
        if isinstance(cancel, str):
            cancel = truthy(
                evaluate(cancel.strip().removeprefix("${{").removesuffix("}}"), context, OK)
            )
        return group, bool(cancel)

    def _enter_group(self, holder: Job | WorkflowRun, group: str, cancel: bool) -> None:
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
