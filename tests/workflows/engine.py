"""A simulated GitHub for the workflow tests: events start workflow runs, runs schedule jobs.

What it models, as GitHub documents it:

- repositories (`World`): each a git repository with branches, tags and its own settings,
  runs and API state; a workflow may call another repository's reusable workflow at a ref;
- workflow files come from the commit the event is about: a push's commit, a pull request's
  test merge commit (so a pull request runs the workflow files, scripts and settings files it
  changes, the ones on its base branch otherwise), a dispatch's ref; ``schedule`` and
  ``workflow_run`` from the default branch;
- triggers: ``push`` (branches, paths), ``pull_request`` (branches: the base branch, types,
  paths; into any base branch), ``merge_group``, ``workflow_dispatch`` (inputs with defaults
  and choices), ``schedule``, ``workflow_run`` (when a watched workflow's run completes);
- jobs: ``needs:`` (and the ``needs`` context), job-level ``if:`` (with the implicit
  ``success()``), ``strategy.matrix`` (static, or an expression expanded when the job's needs
  are done), job ``outputs:``, reusable workflows (calls.py);
- ``concurrency:`` at workflow and job level, environments (deployment branch policies,
  required reviewers who may not approve a run they triggered when ``prevent_self_review``,
  secrets and variables over the repository's), the ``GITHUB_TOKEN`` with the job's
  ``permissions:`` (a fork's pull request: read-only, no OIDC token, no secret), OIDC tokens
  and what they sign in as in Azure (azure.py), artifacts, pull requests, issues and comments
  served to the jobs by the fake ``gh`` (github_api.py, fake_gh.py), re-runs.

Its parts: runs.py (the values), scheduler.py (when jobs run, their contexts), people.py
(cancel, re-run, approve), calls.py (reusable workflows), jobs.py (running a job), azure.py
(identities), github_api.py (what the fake gh serves).
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.workflows.azure import Azure
from tests.workflows.calls import Frame, StartupFailure, WorkflowFile, parse_uses
from tests.workflows.harness import JobResult
from tests.workflows.oidc import OidcEndpoint
from tests.workflows.people import People
from tests.workflows.runs import Environment, Job, WorkflowRun, glob_match, triggers_of

WORKFLOWS = ".github/workflows"


class World:
    """The simulated GitHub: its repositories, and the Azure tenant their jobs sign in to."""

    def __init__(self) -> None:
        self.repositories: dict[str, Sim] = {}
        self.azure = Azure()
        self.ids = itertools.count(7001)  # run ids, unique across repositories
        self.oidc = OidcEndpoint()  # GitHub's OIDC token endpoint for every job


class Sim(People):
    """The simulated GitHub repository ``repository`` around the git repository ``repo``."""

    def __init__(
        self, repo: Path, home: Path, repository: str, gh_bin: Path, world: World | None = None
    ) -> None:
        self.repo, self.home, self.repository = repo, home, repository
        home.mkdir(parents=True, exist_ok=True)
        self.gh_bin = gh_bin
        self.world = world or World()
        self.world.repositories[repository] = self
        self.azure = self.world.azure
        self.environments: dict[str, Environment] = {}
        self.secrets: dict[str, str] = {}
        self.vars: dict[str, str] = {}
        self.runs: list[WorkflowRun] = []
        self.groups: dict[str, Job | WorkflowRun] = {}  # the holder of each group
        self.pending: dict[str, Job | WorkflowRun] = {}
        self.ignored = {"ci.yml"}  # `make test` of this repository: not simulated
        self.extra_path: list[Path] = []  # first on the runners' PATH
        self.extra_env: dict[str, str] = {}  # in every job's environment
        self.oidc_claim_keys: list[str] | None = None
        self._init_api(home, repository)

    # --- the repository ----------------------------------------------------------------------

    def git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
            cwd=self.repo,
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout.strip()

    def read(self, commit: str, path: str) -> str | None:
        proc = subprocess.run(
            ["git", "show", f"{commit}:{path}"], cwd=self.repo, capture_output=True, text=True
        )
        return proc.stdout if proc.returncode == 0 else None

    def workflows(self, commit: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """The workflow files at ``commit`` (default: the default branch's head)."""
        commit = commit or self.git("rev-parse", "main")
        names = self.git("ls-tree", "--name-only", f"{commit}:{WORKFLOWS}/").splitlines()
        for name in sorted(names):
            if name.endswith((".yml", ".yaml")) and name not in self.ignored:
                yield name, self.workflow(commit, name)

    def workflow(self, commit: str, name: str) -> dict[str, Any]:
        text = self.read(commit, f"{WORKFLOWS}/{name}")
        assert text is not None, f"no {WORKFLOWS}/{name} at {commit[:12]}"
        data = yaml.safe_load(text)
        assert isinstance(data, dict), name
        return data

    def full_ref(self, ref: str) -> tuple[str, str]:
        """A short ref as GitHub resolves it for ``uses:``: (full ref, commit)."""
        for full in (f"refs/tags/{ref}", f"refs/heads/{ref}"):
            proc = subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"{full}^{{commit}}"],
                cwd=self.repo,
                capture_output=True,
                text=True,
            )
            if proc.returncode == 0:
                return full, proc.stdout.strip()
        return ref, self.git("rev-parse", "--verify", f"{ref}^{{commit}}")

    def repository_of(self, name: str) -> Sim:
        if name not in self.world.repositories:
            raise StartupFailure(f"repository {name} is not on the simulated GitHub")
        return self.world.repositories[name]

    def resolve_uses(self, uses: str, run: WorkflowRun, parent: Frame | None) -> WorkflowFile:
        repository, path, ref = parse_uses(uses)
        if repository is None:  # the same commit as the calling workflow
            if parent is None:
                source, full, sha = self, run.ref, run.workflow_sha
            else:
                source = self.repository_of(parent.file.repository)
                full, sha = parent.file.ref, parent.file.sha
        else:
            source = self.repository_of(repository)
            assert ref is not None
            try:
                full, sha = source.full_ref(ref)
            except subprocess.CalledProcessError:
                raise StartupFailure(f"{uses}: no such ref") from None
        text = source.read(sha, path)
        if text is None:
            raise StartupFailure(f"{uses}: no such workflow file")
        document = yaml.safe_load(text)
        return WorkflowFile(source.repository, path, full, sha, document)

    def changed_files(self, before: str, after: str) -> list[str]:
        return self.git("diff", "--name-only", before, after).splitlines()

    # --- events ------------------------------------------------------------------------------

    def _repo_payload(self) -> dict[str, str]:
        return {"full_name": self.repository, "default_branch": "main"}

    def push(
        self, before: str, after: str, ref: str = "refs/heads/main", actor: str = "octocat"
    ) -> list[WorkflowRun]:
        event = {
            "ref": ref,
            "before": before,
            "after": after,
            "repository": self._repo_payload(),
            "head_commit": {"id": after},
            "sender": {"login": actor},
        }
        files = self.changed_files(before, after)
        return self._trigger("push", event, after, ref, files=files, actor=actor)

    def pull_request(
        self, number: int, action: str = "synchronize", actor: str | None = None
    ) -> list[WorkflowRun]:
        """The pull request's event: runs on a test merge of its head into its base branch,
        with the workflow files of that merge."""
        pull = self.pull(number)
        base = pull["base"]["ref"]
        merge = self.test_merge(pull["head"]["sha"], base)
        actor = actor or pull["user"]["login"]
        event = {
            "action": action,
            "number": number,
            "pull_request": pull,
            "repository": self._repo_payload(),
            "sender": {"login": actor},
        }
        files = self.changed_files(self.git("rev-parse", base), merge)
        fork = pull["head"]["repo"]["full_name"] != self.repository
        return self._trigger(
            "pull_request",
            event,
            merge,
            f"refs/pull/{number}/merge",
            files=files,
            fork=fork,
            types=action,
            actor=actor,
        )

    def label(self, number: int, name: str, by: str) -> list[WorkflowRun]:
        """``by`` adds a label to the pull request: its ``labeled`` event."""
        self.load()
        pull = next(p for p in self.state["pulls"] if p["number"] == number)
        pull["labels"].append({"name": name})
        self.save()
        return self.pull_request(number, "labeled", actor=by)

    def test_merge(self, head: str, base: str = "main") -> str:
        tip = self.git("rev-parse", base)
        tree = self.git("merge-tree", "--write-tree", tip, head)
        return self.git("commit-tree", tree, "-p", tip, "-p", head, "-m", "test merge")

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
            "repository": self._repo_payload(),
        }
        return self._trigger("merge_group", event, head_sha, ref)

    def dispatch(
        self,
        workflow: str,
        inputs: dict[str, str] | None = None,
        ref: str = "refs/heads/main",
        actor: str = "octocat",
    ) -> WorkflowRun:
        sha = self.git("rev-parse", ref.removeprefix("refs/heads/"))
        document = self.workflow(sha, workflow)
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
            "repository": self._repo_payload(),
            "sender": {"login": actor},
        }
        return self._start(
            workflow, document, "workflow_dispatch", event, sha, ref, resolved, actor=actor
        )

    def schedule(self, workflow: str) -> WorkflowRun:
        sha = self.git("rev-parse", "main")
        document = self.workflow(sha, workflow)
        cron = triggers_of(document)["schedule"][0]["cron"]
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
        actor: str = "octocat",
    ) -> list[WorkflowRun]:
        started = []
        for name, document in self.workflows(sha):
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
            run = self._start(
                name, document, event_name, event, sha, ref, {}, fork=fork, actor=actor
            )
            started.append(run)
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
        actor: str = "octocat",
    ) -> WorkflowRun:
        run = WorkflowRun(
            next(self.world.ids),
            workflow,
            str(document.get("name", workflow)),
            document,
            event_name,
            event,
            sha,
            ref,
            inputs,
            fork=fork,
            actor=actor,
            triggering_actor=actor,
            workflow_sha=sha,
        )
        self.runs.append(run)
        try:
            self._add_jobs(run, document, None)
        except StartupFailure as exc:  # an invalid workflow: the run fails, no job runs
            run.jobs, run.frames = [], []
            run.error, run.state = str(exc), "completed"
            self._record_run(run)
            return run
        concurrency = document.get("concurrency")
        if concurrency:
            group, cancel = self._concurrency(concurrency, self._context(run, None))
            run.group = group
            self._enter_group(run, group, cancel)
        else:
            run.state = "in_progress"
        self._record_run(run)
        return run

    def _finish_run(self, run: WorkflowRun) -> None:
        if run.state == "completed":
            return
        run.state = "completed"
        self._release(run)
        self._record_run(run)
        if run.event_name == "workflow_run":
            return
        main = self.git("rev-parse", "main")
        for name, document in self.workflows(main):
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
                "repository": self._repo_payload(),
                "sender": {"login": run.triggering_actor},
            }
            # GitHub: github.actor of a workflow_run run is the triggering run's actor
            self._start(
                name,
                document,
                "workflow_run",
                event,
                main,
                "refs/heads/main",
                {},
                actor=run.triggering_actor,
            )

    def runs_of(self, workflow: str) -> list[WorkflowRun]:
        return [r for r in self.runs if r.workflow == workflow]

    def jobs(self) -> Iterator[Job]:
        for run in self.runs:
            yield from run.jobs


__all__ = ["Environment", "Job", "JobResult", "Sim", "WorkflowRun", "World"]
