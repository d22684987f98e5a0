"""Running one job of the simulated GitHub on a runner of its own: its token and permissions,
its OIDC token's claims (and so its Azure identity: azure.py), a checkout of its commit (or of
another repository's ref), its steps (harness.py), its outputs."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.workflows.azure import Azure, refused_writes, subject, workspace_view
from tests.workflows.github_api import GitHubApi
from tests.workflows.harness import Runner, StepResult, _run_steps, substitute
from tests.workflows.runs import Environment, Job, WorkflowRun, slug

if TYPE_CHECKING:
    from tests.workflows.engine import World

WRITE_SCOPES = ("actions", "contents", "deployments", "issues", "pull-requests", "statuses")


class JobRunner(GitHubApi):
    """The engine's half that runs jobs (`engine.Sim` is one, and schedules them)."""

    repo: Path
    gh_bin: Path
    extra_path: list[Path]
    extra_env: dict[str, str]
    environments: dict[str, Environment]
    azure: Azure
    world: World  # the OIDC endpoint
    oidc_claim_keys: list[str] | None  # the repository's OIDC subject template (None: default)

    def repository_of(self, name: str) -> JobRunner:
        raise NotImplementedError  # the engine's: the simulated GitHub's repositories

    def _context(self, run: WorkflowRun, job: Job | None) -> dict[str, Any]:
        raise NotImplementedError  # the engine's: contexts depend on scheduling

    def _complete(self, job: Job, result: str, message: str = "") -> None:
        raise NotImplementedError  # the engine's: completing a job releases its group

    def _permissions(self, job: Job) -> dict[str, str]:
        spec = job.definition.get("permissions", job.document.get("permissions"))
        if spec is None:  # the repository default, or what the caller of a workflow allows
            spec = job.frame.cap if job.frame else {scope: "write" for scope in WRITE_SCOPES}
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
            # the top-level workflow's file (a called workflow's jobs see their caller's)
            "GITHUB_WORKFLOW_REF": f"{self.repository}/.github/workflows/{run.workflow}@{run.ref}",
        }
        job.oidc = self._claims(job) if job.permissions.get("id-token") == "write" else {}
        if job.oidc:
            request = f"oidc-request-{run.id}-{run.attempt}-{slug(job.key)}"
            self.world.oidc.tokens[request] = job.oidc
            extra["ACTIONS_ID_TOKEN_REQUEST_URL"] = self.world.oidc.url
            extra["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = request
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
            oidc=job.oidc,
        )
        runner.temp.mkdir(parents=True, exist_ok=True)
        return job, runner, context

    def _run_job(self, job: Job, runner: Runner, context: dict[str, Any]) -> None:
        """A job's steps (on a worker thread): touches nothing but its own runner."""
        started = time.monotonic()
        status = {"success": True, "failure": False, "always": True, "cancelled": False}
        env: dict[str, str] = {}
        for source in (job.document.get("env") or {}, job.definition.get("env") or {}):
            for key, value in source.items():
                context["env"] = env
                env[str(key)] = substitute(str(value), context, status)
        defaults = job.definition.get("defaults") or job.document.get("defaults") or {}
        result = _run_steps(
            runner,
            list(job.definition["steps"]),
            context,
            env,
            default_workdir=(defaults.get("run") or {}).get("working-directory"),
        )
        result.environment = job.environment
        job.refused = refused_writes(runner.views)
        if job.refused:  # what Azure answers a write without the role
            result.steps.append(
                StepResult(
                    id="(azure)",
                    name="Azure",
                    outcome="failure",
                    stderr=f"AuthorizationFailed: no write access to {', '.join(job.refused)}\n",
                )
            )
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

    def _claims(self, job: Job) -> dict[str, str]:
        """The job's OIDC token (GitHub never gives a fork's pull request one)."""
        run = job.run
        if run.fork:
            return {}
        pull = run.event.get("pull_request") or {}
        workflow_ref = f"{self.repository}/.github/workflows/{run.workflow}@{run.ref}"
        claims = {
            "iss": "https://token.actions.githubusercontent.com",
            "aud": "api://AzureADTokenExchange",
            "repository": self.repository,
            "repository_owner": self.repository.split("/")[0],
            "ref": run.ref,
            "sha": run.sha,
            "event_name": run.event_name,
            "environment": job.environment or "",
            "workflow": run.name,
            "workflow_ref": workflow_ref,
            "workflow_sha": run.workflow_sha,
            "job_workflow_ref": job.frame.file.ref_path if job.frame else workflow_ref,
            "job_workflow_sha": job.frame.file.sha if job.frame else run.workflow_sha,
            "run_id": str(run.id),
            "run_attempt": str(run.attempt),
            "actor": run.actor,
            "head_ref": pull.get("head", {}).get("ref", ""),
            "base_ref": pull.get("base", {}).get("ref", ""),
        }
        claims["sub"] = subject(claims, self.oidc_claim_keys)
        return claims

    def checkout(self, runner: Runner, ref: str, repository: str = "", path: str = "") -> None:
        """actions/checkout: the commit (a shared clone of the repository, or of
        ``repository`` on the same simulated GitHub) in the workspace (or ``path`` in it).
        The checkout's ``.workspaces`` link then shows what the job's identity may reach."""
        source = self.repository_of(repository) if repository else self
        target = runner.workspace / path if path else runner.workspace
        subprocess.run(
            ["git", "clone", "--quiet", "--shared", "--no-checkout", str(source.repo), str(target)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["git", "checkout", "--quiet", "--detach", ref],
            cwd=target,
            check=True,
            capture_output=True,
        )
        if path:  # another copy of code beside the job's project (a tool, a commit as data)
            return
        for link in (target / ".workspaces", *target.glob("*/.workspaces")):
            runner.views += workspace_view(self.azure, runner.oidc, link)
