"""What people (and tokens) do to runs on the simulated GitHub: cancel, re-run, approve or
reject a deployment; re-runs asked for through the API."""

from __future__ import annotations

from typing import Any

from tests.workflows.calls import Frame
from tests.workflows.runs import BOT, Job, WorkflowRun, needs_of
from tests.workflows.scheduler import Scheduler


class People(Scheduler):
    """The engine's half that acts for people (`engine.Sim` is one)."""

    def cancel(self, run: WorkflowRun) -> None:
        """A person cancels the run (its waiting and pending jobs too)."""
        self._cancel(run)

    def rerun(self, run: WorkflowRun, *, failed_only: bool = True, by: str = "octocat") -> None:
        """ "Re-run failed jobs" (or all jobs): a new attempt of the same run, of the same
        commit and workflow files; what the earlier attempt uploaded stays on the run."""
        assert run.state == "completed", "GitHub re-runs completed runs only"
        assert not run.error, "a workflow that failed to start cannot be re-run"
        run.attempt += 1
        run.cancelled = False
        run.triggering_actor = by
        again = {j for j in run.jobs if not failed_only or j.result in ("failure", "cancelled")}
        changed = True
        while changed:  # and every job that needs one of them, in its workflow or its caller's
            changed = False
            for job in run.jobs:
                if job not in again and self._needs_any(job, again):
                    again.add(job)
                    changed = True
        for frame in run.frames:
            if any(j.frame is not None and j.frame.within(frame) for j in again):
                frame.state = "new"
        for job in run.jobs:
            if job in again:
                job.state, job.result, job.outputs, job.job = "new", "", {}, None
        run.state = "in_progress"
        self._record_run(run)

    def _needs_any(self, job: Job, again: set[Job]) -> bool:
        scopes: list[tuple[Frame | None, dict[str, Any]]] = [(job.frame, job.definition)]
        frame = job.frame
        while frame is not None:  # a called job also waits for its caller's needs
            scopes.append((frame.parent, frame.caller))
            frame = frame.parent
        for scope, definition in scopes:
            for need in needs_of(definition):
                for other in again:
                    inside = other.frame is not None and any(
                        f.parent is scope and f.caller_id == need and other.frame.within(f)
                        for f in job.run.frames
                    )
                    if (other.frame is scope and other.job_id == need) or inside:
                        return True
        return False

    def _requests(self) -> bool:
        """Re-runs asked for through the API (a token with ``actions: write``)."""
        with self.locked():
            self.load()
            asked, self.state["rerun_requests"] = self.state["rerun_requests"], []
            self.save()
        for request in asked:
            run = self.run_by_id(int(request["run"]))
            if run.state == "completed":
                self.rerun(run, failed_only=request["failed_only"], by=BOT)
        return bool(asked)

    def waiting(self) -> list[Job]:
        return [j for r in self.runs for j in r.jobs if j.state == "waiting"]

    def approve(self, job: Job, by: str = "reviewer") -> None:
        """A reviewer of the job's environment approves its deployment."""
        assert job.state == "waiting", (job.key, job.state)
        environment = self.environments[job.environment or ""]
        if environment.reviewer_logins is not None and by not in environment.reviewer_logins:
            raise PermissionError(f"{by} is not a required reviewer of {environment.name}")
        if environment.prevent_self_review and by == job.run.triggering_actor:
            raise PermissionError(
                f"{by} triggered run {job.run.id} and {environment.name} prevents self-review"
            )
        job.state = "ready"

    def reject(self, job: Job) -> None:
        assert job.state == "waiting", (job.key, job.state)
        self._complete(job, "failure", message="Rejected by a reviewer")

    def approve_all(self, environment: str, by: str = "reviewer") -> int:
        """Approve every job waiting for ``environment`` and settle; returns how many."""
        count = 0
        while True:
            jobs = [j for j in self.waiting() if j.environment == environment]
            if not jobs:
                return count
            for job in jobs:
                self.approve(job, by)
                count += 1
            self.settle()
