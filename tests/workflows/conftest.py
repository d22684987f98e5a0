"""Fixtures for the workflow tests: a git checkout of the project, a simulated runner, a fake `gh`.

The project is a copy of the repository's own platform.yaml and environments/ (environment
`local`: the embedded workspace, demo credentials from environments/local.env). Every test's
comments, job summaries, logs and artifacts are checked at teardown for the distinctive secret
values the simulated `secrets` context holds: none may appear anywhere.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.harness import REPO_ROOT, JobResult, Runner, run_action, run_job

SNOWFLAKE_PASSWORD = "sf-pw-Qx7Vt2-never-shown"
STORAGE_ACCOUNT_KEY = "sa-key-Lm4Rz9-never-shown"
SECRETS = {"SNOWFLAKE_PASSWORD": SNOWFLAKE_PASSWORD, "STORAGE_ACCOUNT_KEY": STORAGE_ACCOUNT_KEY}
VARS = {
    "AZURE_CLIENT_ID": "00000000-0000-0000-0000-00000000c11e",
    "AZURE_TENANT_ID": "00000000-0000-0000-0000-0000000000te",
    "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-0000000005ub",
    "SNOWFLAKE_ACCOUNT": "localhost",
    "SNOWFLAKE_USER": "globorealty_loader",
    "STORAGE_ACCOUNT": "devstoreaccount1",
}
REPOSITORY = "globorealty/platform"
UNREACHABLE_SNOWFLAKE = "jdbc:snowflake://127.0.0.1:9/?db=X&warehouse=W&protocol=http"

FAKE_GH = '''\
"""A fake `gh` for the workflow tests: answers the calls scripts/ci makes from a JSON state."""
import json, os, shutil, sys
from pathlib import Path

state = json.loads(Path(os.environ["FAKE_GH_STATE"]).read_text())
args = sys.argv[1:]
with open(state["log"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if not os.environ.get("GH_TOKEN"):
    sys.exit("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN variable.")

def fields(rest):
    return dict(rest[i + 1].split("=", 1) for i, a in enumerate(rest) if a == "-f")

if args[:1] == ["api"]:
    rest = [a for a in args[1:]]
    if rest[:2] == ["-X", "GET"]:
        rest = rest[2:]
    path, query = rest[0], fields(rest[1:])
    parts = path.split("/")
    if parts[3:4] == ["commits"] and parts[5:] == ["pulls"]:
        print(json.dumps(state["pulls"].get(parts[4], [])))
    elif parts[3:5] == ["actions", "workflows"] and parts[6:] == ["runs"]:
        runs = [
            r for r in state["runs"].get(parts[5], [])
            if r["head_sha"] == query.get("head_sha", r["head_sha"])
            and r["event"] == query.get("event", r["event"])
            and r["conclusion"] == query.get("status", r["conclusion"])
        ]
        print(json.dumps({"total_count": len(runs), "workflow_runs": runs}))
    else:
        sys.exit(f"gh: fake: unknown API path {path}")
elif args[:2] == ["run", "download"]:
    run_id = args[2]
    opts = dict(zip(args[3::2], args[4::2]))
    source = Path(state["artifacts"]) / run_id / opts["--name"]
    if not source.is_dir():
        sys.exit("no artifact matches any of the names or patterns provided")
    Path(opts["--dir"]).mkdir(parents=True, exist_ok=True)
    for file in source.iterdir():
        shutil.copy(file, Path(opts["--dir"]) / file.name)
else:
    sys.exit(f"gh: fake: unknown command {args}")
'''


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@dataclass
class Project:
    """A git checkout of the project (base commit: the repository's own desired state)."""

    root: Path

    @property
    def platform(self) -> Path:
        return self.root / "platform.yaml"

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")

    def edit(self, old: str, new: str, relative: str = "platform.yaml") -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def point_snowflake_at(self, target: str) -> None:
        """Point the local environment's Snowflake connection(s) at ``target``."""
        path = self.root / "environments" / "local.yaml"
        text, count = re.subn(
            r"(?m)^(\s+target: )jdbc:snowflake://\S+$",
            rf"\g<1>{target}",
            path.read_text(encoding="utf-8"),
        )
        assert count, "environments/local.yaml sets no Snowflake target"
        path.write_text(text, encoding="utf-8")

    def without_imports(self) -> None:
        """Drop the import (it needs a reachable Snowflake to apply)."""
        text = self.platform.read_text(encoding="utf-8")
        self.platform.write_text(text[: text.index("imports:")], encoding="utf-8")

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "--allow-empty", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def reconcile(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the CLI in the checkout, as an operator would (not through a workflow)."""
        return subprocess.run(
            [str(Path(sys.executable).parent / "reconcile"), *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env={
                "PATH": str(Path(sys.executable).parent),
                "NO_COLOR": "1",
                "HOME": str(self.root),
                **VARS,
                **SECRETS,  # the values the workflows pass: the same desired state
            },
            check=False,
        )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "checkout"
    root.mkdir()
    shutil.copy(REPO_ROOT / "platform.yaml", root / "platform.yaml")
    shutil.copytree(REPO_ROOT / "environments", root / "environments")
    shutil.copytree(REPO_ROOT / "scripts" / "ci", root / "scripts" / "ci")  # the checkout's own
    (root / "README.md").write_text("# GloboRealty's Azure ML platform\n")
    (root / ".gitignore").write_text(".reconcile/\n")
    git(root, "init", "-q", "-b", "main")
    checkout = Project(root)
    checkout.commit("base")
    return checkout


@dataclass
class GitHub:
    """The simulated GitHub: runners, the fake gh's state, and everything the jobs produced."""

    home: Path
    project: Project
    runners: list[Runner] = field(default_factory=list)
    results: list[JobResult] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)  # the pull request's, by header

    def __post_init__(self) -> None:
        bin_dir = self.home / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        gh = bin_dir / "gh"
        gh.write_text(f"#!{sys.executable}\n{FAKE_GH}", encoding="utf-8")
        gh.chmod(0o755)
        self.state = {
            "pulls": {},
            "runs": {},
            "artifacts": str(self.home / "artifacts"),
            "log": str(self.home / "gh-calls.jsonl"),
        }
        self.save_state()

    @property
    def state_file(self) -> Path:
        return self.home / "fake-gh-state.json"

    def save_state(self) -> None:
        self.state_file.write_text(json.dumps(self.state), encoding="utf-8")

    def runner(self, event_name: str, event: dict[str, Any], sha: str, run_id: int) -> Runner:
        runner = Runner(
            workspace=self.project.root,
            home=self.home,
            event_name=event_name,
            event=event,
            sha=sha,
            repository=REPOSITORY,
            run_id=run_id,
            vars=dict(VARS),
            secrets=dict(SECRETS),
            path=[self.home / "bin"],
            extra_env={"FAKE_GH_STATE": str(self.state_file)},
            comments=self.comments,
        )
        self.runners.append(runner)
        return runner

    def pull_request_runner(self, number: int, head_sha: str, run_id: int) -> Runner:
        event = {
            "action": "synchronize",
            "number": number,
            "pull_request": {
                "number": number,
                "head": {"sha": head_sha, "ref": "feature", "repo": {"full_name": REPOSITORY}},
                "base": {"ref": "main", "repo": {"full_name": REPOSITORY}},
            },
            "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        }
        return self.runner("pull_request", event, head_sha, run_id)

    def push_runner(self, sha: str, run_id: int) -> Runner:
        event = {
            "ref": "refs/heads/main",
            "after": sha,
            "head_commit": {"id": sha, "message": "Merge pull request #5 from feature"},
            "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        }
        return self.runner("push", event, sha, run_id)

    def record_merge(self, number: int, head_sha: str, merge_sha: str) -> None:
        self.state["pulls"][merge_sha] = [
            {
                "number": number,
                "state": "closed",
                "merged_at": "2026-01-05T10:00:00Z",
                "merge_commit_sha": merge_sha,
                "head": {"sha": head_sha},
                "base": {"ref": "main"},
            }
        ]
        self.save_state()

    def record_plan_run(self, run_id: int, head_sha: str, conclusion: str = "success") -> None:
        self.state["runs"].setdefault("plan.yml", []).append(
            {
                "id": run_id,
                "head_sha": head_sha,
                "event": "pull_request",
                "status": "completed",
                "conclusion": conclusion,
                "created_at": f"2026-01-05T09:{run_id % 60:02d}:00Z",
                "html_url": f"https://github.com/{REPOSITORY}/actions/runs/{run_id}",
                "head_repository": {"full_name": REPOSITORY},
            }
        )
        self.save_state()

    def run(
        self,
        runner: Runner,
        workflow: str,
        job: str,
        matrix: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> JobResult:
        result = run_job(runner, workflow, job, matrix, env)
        self.results.append(result)
        return result

    def run_action(
        self, runner: Runner, inputs: dict[str, str], env: dict[str, str] | None = None
    ) -> JobResult:
        result = run_action(runner, inputs, env)
        self.results.append(result)
        return result

    def gh_calls(self) -> list[list[str]]:
        log = Path(self.state["log"])
        if not log.is_file():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def everything_produced(self) -> dict[str, str]:
        """Every comment, job summary, log and artifact file the jobs produced."""
        produced = {f"comment {header}": body for header, body in self.comments.items()}
        for number, result in enumerate(self.results):
            produced[f"job summary {number}"] = result.summary
            produced[f"job log {number}"] = result.log
        for file in (self.home / "artifacts").rglob("*"):
            if file.is_file():
                produced[f"artifact {file}"] = file.read_text(encoding="utf-8", errors="replace")
        return produced


@pytest.fixture
def github(tmp_path: Path, project: Project) -> Iterator[GitHub]:
    simulated = GitHub(home=tmp_path / "github", project=project)
    yield simulated
    # The property every scenario must keep: no secret value in anything GitHub would show.
    for where, text in simulated.everything_produced().items():
        for name, value in SECRETS.items():
            assert value not in text, f"secret {name} leaked into {where}"
