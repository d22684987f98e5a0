"""The simulated GitHub's API state: pull requests, workflow runs as the API lists them,
artifacts, issues, comments (with who wrote them) and tokens, in one JSON file that the fake
`gh` (fake_gh.py) reads and writes under the same file lock. One file per repository: a job's
token reaches its own repository only."""

from __future__ import annotations

import fcntl
import itertools
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.workflows.harness import Runner
from tests.workflows.runs import WorkflowRun


class GitHubApi:
    """The state behind the API; the engine (`engine.Sim`) is one."""

    home: Path
    repository: str
    runs: list[WorkflowRun]

    def _init_api(self, home: Path, repository: str) -> None:
        self._clock = itertools.count(1)
        self.state: dict[str, Any] = {
            "repository": repository,
            "pulls": [],
            "runs": [],
            "artifacts": [],
            "issues": [],
            "comments": [],
            "tokens": {},
            "rerun_requests": [],
            "files": str(home / "artifacts"),
            "log": str(home / "gh-calls.jsonl"),
            "next_id": 100,
        }
        self.save()

    @property
    def state_file(self) -> Path:
        return self.home / "fake-gh-state.json"

    def save(self) -> None:
        environments = getattr(self, "environments", None)
        if environments is not None:  # what GET environments/{name} answers
            self.state["environments"] = {
                name: {
                    "name": name,
                    "protection_rules": (
                        [
                            {
                                "type": "required_reviewers",
                                "prevent_self_review": e.prevent_self_review,
                                "reviewers": [
                                    {"type": "User", "reviewer": {"login": login}}
                                    for login in (e.reviewer_logins or ["reviewer"])
                                ],
                            }
                        ]
                        if e.reviewers
                        else []
                    )
                    + ([{"type": "branch_policy"}] if e.branches else []),
                }
                for name, e in environments.items()
            }
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
        base: str = "main",
        author: str = "octocat",
    ) -> dict[str, Any]:
        owner = "contributor" if fork else self.repository.split("/")[0]
        head_repo = f"{owner}/{self.repository.split('/')[1]}"
        pull = {
            "number": number,
            "state": "open",
            "merged_at": None,
            "merge_commit_sha": None,
            "user": {"login": author},
            "head": {
                "sha": head_sha,
                "ref": head_ref,
                "repo": {"full_name": head_repo},
                "label": f"{owner}:{head_ref}",
            },
            "base": {"ref": base, "repo": {"full_name": self.repository}},
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

    def comment_as(self, user: str, number: int, body: str) -> dict[str, Any]:
        """A person comments on an issue or pull request (in the web UI)."""
        with self.locked():
            self.load()
            comment = {
                "id": self.new_id(),
                "issue": number,
                "body": body,
                "user": {"login": user, "type": "User"},
            }
            self.state["comments"].append(comment)
            self.save()
        return comment

    def open_issue_as(self, user: str, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        """A person opens an issue (with labels: someone with triage access)."""
        with self.locked():
            self.load()
            number = 1000 + len(self.state["issues"]) + 1
            issue = {
                "number": number,
                "title": title,
                "body": body,
                "state": "open",
                "labels": [{"name": n} for n in labels],
                "user": {"login": user, "type": "User"},
                "html_url": f"https://github.com/{self.repository}/issues/{number}",
            }
            self.state["issues"].append(issue)
            self.save()
        return issue

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
            # GitHub does not say which: every open pull request of this repository whose head
            # is the run's head (so two pull requests with the same head both show)
            head = run.event["pull_request"]["head"]
            pulls = [
                {
                    "number": p["number"],
                    "head": {"sha": p["head"]["sha"], "ref": p["head"]["ref"]},
                    "base": {"ref": p["base"]["ref"]},
                }
                for p in sorted(self.state["pulls"], key=lambda p: int(p["number"]))
                if p["state"] == "open"
                and p["head"]["sha"] == head["sha"]
                and p["head"]["ref"] == head["ref"]
                and p["head"]["repo"]["full_name"] == self.repository
            ]
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
                "actor": {"login": run.actor},
                "triggering_actor": {"login": run.triggering_actor},
                "run_attempt": run.attempt,
                "referenced_workflows": [
                    {"path": f.file.ref_path, "sha": f.file.sha, "ref": f.file.ref}
                    for f in run.frames
                ],
            }
        )
        self.save()

    def run_by_id(self, run_id: int) -> WorkflowRun:
        return next(r for r in self.runs if r.id == run_id)
