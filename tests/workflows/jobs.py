"""Running one job of the simulated GitHub on a runner of its own: its token and permissions,
OIDC variables, a checkout of its commit, its steps (harness.py), its outputs."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.workflows.github_api import GitHubApi
from tests.workflows.harness import Runner, _run_steps, substitute
from tests.workflows.runs import Environment, Job, WorkflowRun, slug

WRITE_SCOPES = ("actions", "contents", "deployments", "issues", "pull-requests", "statuses")


class JobRunner(GitHubApi):
    """The engine's half that runs jobs (`engine.Sim` is one, and schedules them)."""

    repo: Path
    gh_bin: Path
    extra_path: list[Path]
    extra_env: dict[str, str]
    environments: dict[str, Environment]

    def _context(self, run: WorkflowRun, job: Job | None) -> dict[str, Any]:
        raise NotImplementedError  # the engine's: contexts depend on scheduling

    def _complete(self, job: Job, result: str, message: str = "") -> None:
        raise NotImplementedError  # the engine's: completing a job releases its group

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
        workspace = self.home / "work" / f"{run.id}-{slug(job.key)}-{run.attempt}"
        if workspace.exists():
            shutil.rmtree(workspace)
        workspace.mkdir(parents=True)
        extra = {
            **self.extra_env,
            "FAKE_GH_STATE": str(self.state_file),
            "GITHUB_JOB": job.job_id,
            "GITHUB_WORKFLOW": run.name,
        }
        if job.permissions.get("id-token") == "write":
            extra["ACTIONS_ID_TOKEN_REQUEST_URL"] = (
                "https://pipelines.actions.githubusercontent.invalid/oidc?api-version=2.0"
            )
            extra["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = f"oidc-request-{run.id}-{slug(job.key)}"
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
            job_key=slug(job.key),
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
