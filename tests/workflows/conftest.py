"""Fixtures for the workflow tests: a repository on a simulated GitHub (tests/workflows/engine.py).

The repository is the project's own platform.yaml, scripts/ci, action.yml and
.github/workflows (a pull request changes them like any other file), with
`environments/dev.yaml` and `prod.yaml` rewritten to embedded local workspaces outside every
checkout (each job checks out its own commit; the workspaces are the "Azure" both see) and to
the test session's local Snowflake. GitHub's environments are set up as the README says:
`dev-plan`/`prod-plan` (planner variables, no secrets), `dev`/`prod` (applier, secrets, `main`
only; `prod` needs a reviewer), `dev-sources`/`prod-sources` (the database password, a
reviewer); and Azure as its set-up script does: a planner app (Reader) federated with the
`-plan` and `-sources` environments, one applier app federated with `dev` and `prod`.

Every test's comments, issues, job summaries, logs and artifacts are checked at teardown for the
secret values: none may appear anywhere.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler_testing.localsnow import DEMO_PASSWORD, DEMO_USERNAME
from tests.snowflake_fixture import LocalSnowflake
from tests.workflows.engine import Environment, Sim, WorkflowRun, World
from tests.workflows.harness import REPO_ROOT
from tests.workflows.preload import write_client

REPOSITORY = "globorealty/platform"
STORAGE_ACCOUNT_KEY = "sa-key-Lm4Rz9-never-shown"
HMAC_KEY = "hmac-key-of-the-simulated-appliers-0123456789abcdef"  # settings.secret_key
SOURCES_PASSWORD = DEMO_PASSWORD  # the local Snowflake's; a read-only user's in real life
VARS = {
    "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-0000000005ub",
    "SNOWFLAKE_ACCOUNT": "localhost",
    "SNOWFLAKE_USER": DEMO_USERNAME,
    "STORAGE_ACCOUNT": "devstoreaccount1",
}
PLANNER = "00000000-0000-0000-0000-00000000p1an"
WORKSPACES = ".workspaces"  # in the repository: a symlink to the shared workspaces
LEADS = ["lead-ana", "lead-ben", "reviewer"]  # the platform-leads team: required reviewers
POLICY_OWNERS = ["policy-pat"]  # the team that may approve a soft policy failure's override
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-0000000005ub"


def resource_group(env: str) -> str:
    return f"{SUBSCRIPTION}/resourceGroups/rg-globorealty-{env}"


def workspace_id(env: str) -> str:
    return (
        f"{resource_group(env)}/providers/Microsoft.MachineLearningServices/workspaces/"
        f"mlw-globorealty-{env}"
    )


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
class Repo:
    """The repository's working copy (the `main` branch and pull request branches)."""

    root: Path
    workspaces: Path
    snowflake_target: str
    seed: Path | None = None  # applied workspaces to start from (see `seeded`)
    project: str = "."  # the folder holding platform.yaml
    launcher: dict[str, str] = field(default_factory=dict)  # the preloaded CLI (preload.py)

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")

    def edit(self, old: str, new: str, relative: str = "platform.yaml") -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "--allow-empty", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def head(self, ref: str = "HEAD") -> str:
        return git(self.root, "rev-parse", ref)

    def tag(self, name: str, ref: str = "main") -> str:
        git(self.root, "tag", "-f", name, ref)
        return self.head(name)

    def workspace(self, env: str) -> Path:
        return self.workspaces / env

    def reconcile(
        self, env: str, *args: str, secrets: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The CLI on main's checkout against ``env``'s workspace, as an operator would."""
        program = self.launcher.get("program") or str(Path(sys.executable).parent / "reconcile")
        return subprocess.run(
            [program, *args, "--env", env],
            cwd=self.root / self.project,
            capture_output=True,
            text=True,
            check=False,
            env={
                "PATH": str(Path(sys.executable).parent),
                "NO_COLOR": "1",
                "HOME": str(self.root),
                **VARS,
                "SNOWFLAKE_PASSWORD": DEMO_PASSWORD,
                "STORAGE_ACCOUNT_KEY": STORAGE_ACCOUNT_KEY,
                "RECONCILER_HMAC_KEY": HMAC_KEY,
                **{k: v for k, v in self.launcher.items() if k != "program"},
                **(secrets or {}),
            },
        )

    def pending(self, env: str) -> str:
        """The last line of a plan of main against ``env``: what is not applied."""
        plan = self.reconcile(env, "plan")
        assert plan.returncode == 0, plan.stderr
        return plan.stdout.strip().splitlines()[-1]


def environment_yaml(workspace: str, target: str, connection: str = "snowflake_globorealty") -> str:
    return (
        f"workspace:\n  provider: local\n  path: {workspace}\n"
        f"connections:\n  {connection}:\n    target: {target}\n"
    )


@dataclass
class GitHub:
    """The simulated GitHub and the repository on it, with helpers for pull requests."""

    sim: Sim
    repo: Repo

    @property
    def world(self) -> World:
        return self.sim.world

    def branch(self, name: str, change: Any, base: str = "main") -> str:
        """Push a branch ``name`` made from ``base`` with ``change(repo)`` (no pull request)."""
        git(self.repo.root, "checkout", "-q", "-B", name, base)
        change(self.repo)
        head = self.repo.commit(f"branch {name}")
        git(self.repo.root, "checkout", "-q", "main")
        return head

    def open_pull(
        self,
        number: int,
        change: Any = None,
        *,
        fork: bool = False,
        labels: list[str] | None = None,
        base: str = "main",
        head: str | None = None,
        author: str = "octocat",
    ) -> list[WorkflowRun]:
        """Branch from ``base``, apply ``change(repo)``, commit, open the pull request into
        ``base``: its runs. ``head``: open it for an existing branch instead."""
        if head is None:
            self.branch(f"pr-{number}", change or (lambda repo: None), base)
            head = f"pr-{number}"
        self.sim.add_pull(
            number, self.repo.head(head), head, fork=fork, labels=labels, base=base, author=author
        )
        return self.sim.pull_request(number, "opened")

    def push_to_pull(self, number: int, change: Any) -> list[WorkflowRun]:
        """The author pushes a new commit to the pull request's branch: ``synchronize``."""
        pull = self.sim.pull(number)
        branch = pull["head"]["ref"]
        git(self.repo.root, "checkout", "-q", branch)
        change(self.repo)
        head = self.repo.commit(f"a new commit on #{number}")
        git(self.repo.root, "checkout", "-q", "main")
        self.sim.load()
        for p in self.sim.state["pulls"]:
            if p["number"] == number:
                p["head"]["sha"] = head
        self.sim.save()
        return self.sim.pull_request(number, "synchronize")

    def merge(self, number: int) -> list[WorkflowRun]:
        """Merge the pull request (a merge commit on main): the push's runs."""
        pull = self.sim.pull(number)
        before = self.repo.head("main")
        git(
            self.repo.root,
            "merge",
            "-q",
            "--no-ff",
            "-m",
            f"Merge pull request #{number} from pr-{number}",
            pull["head"]["sha"],
        )
        after = self.repo.head("main")
        self.sim.load()
        for p in self.sim.state["pulls"]:
            if p["number"] == number:
                p.update(state="closed", merged_at="2026-01-05T10:00:00Z", merge_commit_sha=after)
        self.sim.save()
        return self.sim.push(before, after)

    def direct_push(self, change: Any) -> list[WorkflowRun]:
        before = self.repo.head("main")
        change(self.repo)
        after = self.repo.commit("a direct push")
        return self.sim.push(before, after)

    def everything_produced(self) -> dict[str, str]:
        self.sim.load()
        produced = {f"comment {c['id']}": c["body"] for c in self.sim.state["comments"]}
        produced.update({f"issue {i['number']}": i["body"] for i in self.sim.state["issues"]})
        for job in self.sim.jobs():
            produced[f"summary {job.run.id} {job.key}"] = job.summary
            produced[f"log {job.run.id} {job.key}"] = job.log
        for file in (self.sim.home / "artifacts").rglob("*"):
            if file.is_file():
                produced[f"artifact {file}"] = file.read_text(encoding="utf-8", errors="replace")
        return produced


def applier(env: str) -> str:
    """The client id of ``env``'s applier app (one per environment)."""
    return f"00000000-0000-0000-0000-0000app1y{env[:3]}"


def configure(sim: Sim, workspaces: Path) -> None:
    """GitHub's and Azure's settings as the README's set-up makes them: the planner (a read
    role on each workspace) for `<env>-plan` and `<env>-sources`, one applier per environment
    (a write role on its own workspace only) for `<env>`; `<env>` and `<env>-sources` deploy
    from main only; prod and the sources environments need a reviewer other than whoever
    started the run; `<env>-policy` (no identity, no secret) needs a policy owner."""
    sim.vars["AZURE_TENANT_ID"] = "00000000-0000-0000-0000-0000000000te"
    secrets = {
        "SNOWFLAKE_PASSWORD": DEMO_PASSWORD,
        "STORAGE_ACCOUNT_KEY": STORAGE_ACCOUNT_KEY,
        "RECONCILER_HMAC_KEY": HMAC_KEY,
    }
    azure = sim.azure
    azure.app(PLANNER, "reconciler-platform-planner")
    for env in ("dev", "prod"):
        planner_vars = {
            **VARS,
            "AZURE_CLIENT_ID": PLANNER,
            "AZURE_APPLIER_PRINCIPAL_ID": applier(env),
        }
        sim.environments[f"{env}-plan"] = Environment(f"{env}-plan", vars=planner_vars)
        sim.environments[env] = Environment(
            env,
            reviewers=env == "prod",
            branches=["main"],
            vars={**VARS, "AZURE_CLIENT_ID": applier(env)},
            secrets=dict(secrets),
            prevent_self_review=env == "prod",
            reviewer_logins=list(LEADS) if env == "prod" else None,
        )
        sim.environments[f"{env}-sources"] = Environment(
            f"{env}-sources",
            reviewers=True,
            branches=["main"],
            vars=planner_vars,
            secrets={"SNOWFLAKE_PASSWORD": SOURCES_PASSWORD},
            prevent_self_review=True,
            reviewer_logins=list(LEADS),
        )
        sim.environments[f"{env}-policy"] = Environment(
            f"{env}-policy",
            reviewers=True,
            branches=["main"],
            prevent_self_review=True,
            reviewer_logins=list(POLICY_OWNERS),
        )
        azure.app(applier(env), f"reconciler-platform-{env}")
        for ghenv in (f"{env}-plan", f"{env}-sources"):
            azure.federate(PLANNER, f"repo:{sim.repository}:environment:{ghenv}")
        azure.federate(applier(env), f"repo:{sim.repository}:environment:{env}")
        azure.assign(PLANNER, "reconciler planner", workspace_id(env))
        azure.assign(applier(env), "reconciler applier", workspace_id(env))
        azure.workspace(workspace_id(env), workspaces / env)


def make_repo(tmp_path: Path, snowflake: LocalSnowflake) -> Repo:
    """The repository (one commit on main) and its two workspaces' folders."""
    root = tmp_path / "repo"
    (root / "environments").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "platform.yaml", root / "platform.yaml")
    shutil.copy(REPO_ROOT / "action.yml", root / "action.yml")
    shutil.copytree(
        REPO_ROOT / "scripts" / "ci",
        root / "scripts" / "ci",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(REPO_ROOT / ".github" / "workflows", root / ".github" / "workflows")
    allow_local_snowflake(root / "platform.yaml", snowflake.jdbc_target)
    workspaces = tmp_path / "workspaces"
    repo = Repo(root, workspaces, snowflake.jdbc_target)
    # The "Azure" every job sees, whatever it checked out: a committed symlink out of the
    # repository (a workspace folder itself must be a relative folder inside the project)
    workspaces.mkdir()
    (root / WORKSPACES).symlink_to(workspaces)
    for env in ("dev", "prod"):
        (root / "environments" / f"{env}.yaml").write_text(
            environment_yaml(f"{WORKSPACES}/{env}", snowflake.jdbc_target)
        )
    (root / ".gitignore").write_text(".reconcile/\n")
    git(root, "init", "-q", "-b", "main")
    repo.commit("base")
    return repo


def allow_local_snowflake(platform: Path, target: str) -> None:
    """The team's source checks may reach the session's local Snowflake (as a team lists its
    own Snowflake account's host)."""
    host = target.removeprefix("jdbc:snowflake://").split("/", 1)[0]
    text = platform.read_text(encoding="utf-8")
    old = 'allowed_hosts: ["*.snowflakecomputing.com"]'
    assert old in text, "platform.yaml's gitops.sources changed"
    platform.write_text(
        text.replace(old, f'allowed_hosts: ["*.snowflakecomputing.com", "{host}"]'),
        encoding="utf-8",
    )


@pytest.fixture(scope="session")
def seeded(
    tmp_path_factory: pytest.TempPathFactory,
    local_snowflake: LocalSnowflake,
    preloaded: tuple[Path, Path],
) -> Path:
    """dev and prod workspaces as main declares them, made once per session (an import runs
    in each) and copied by the tests that start from an applied workspace."""
    repo = make_repo(tmp_path_factory.mktemp("seed"), local_snowflake)
    repo.launcher = launcher(preloaded)
    for env in ("dev", "prod"):
        applied = repo.reconcile(env, "apply", "--auto-approve")
        assert applied.returncode == 0, applied.stderr
        assert repo.pending(env) == "No changes. The workspace matches the desired state."
    return repo.workspaces


def trusted(preloaded: tuple[Path, Path]) -> dict[str, str]:
    """The shared workspaces are reached through each checkout's `.workspaces` link, out of
    the project: the operator (this harness, never a repository) names where they may be."""
    return {"RECONCILER_TRUSTED_WORKSPACES": str(preloaded[0].parents[1])}


def launcher(preloaded: tuple[Path, Path]) -> dict[str, str]:
    return {
        "program": str(preloaded[0] / "reconcile"),
        "RECONCILE_PRELOAD_SOCKET": str(preloaded[1]),
        **trusted(preloaded),
    }


@pytest.fixture(scope="session")
def preloaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A `reconcile` that starts in milliseconds: the real CLI, imported once (preload.py).
    Yields the folder to put first on the runners' PATH and the server's socket."""
    folder = tmp_path_factory.mktemp("preload")
    socket_path = folder / "reconcile.sock"
    real = Path(sys.executable).parent / "reconcile"
    write_client(folder / "bin", real)
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.workflows.preload", "serve", str(socket_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    try:
        yield folder / "bin", socket_path
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def github(
    tmp_path: Path,
    local_snowflake: LocalSnowflake,
    seeded: Path,
    preloaded: tuple[Path, Path],
) -> Iterator[GitHub]:
    repo = make_repo(tmp_path, local_snowflake)
    repo.seed = seeded
    repo.launcher = launcher(preloaded)
    home = tmp_path / "github"
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    gh = bin_dir / "gh"
    gh.write_text(
        f'#!/bin/sh\nexec {sys.executable} {REPO_ROOT / "tests/workflows/fake_gh.py"} "$@"\n'
    )
    gh.chmod(0o755)
    sim = Sim(repo.root, home, REPOSITORY, bin_dir, World())
    sim.extra_path = [preloaded[0]]
    sim.extra_env = {"RECONCILE_PRELOAD_SOCKET": str(preloaded[1]), **trusted(preloaded)}
    configure(sim, repo.workspaces)
    simulated = GitHub(sim, repo)
    yield simulated
    sim.world.oidc.close()
    for where, text in simulated.everything_produced().items():
        for name, value in (
            ("SNOWFLAKE_PASSWORD", DEMO_PASSWORD),
            ("STORAGE_ACCOUNT_KEY", STORAGE_ACCOUNT_KEY),
        ):
            assert value not in text, f"secret {name} leaked into {where}"


@pytest.fixture
def consumer(github: GitHub, tmp_path: Path, local_snowflake: LocalSnowflake) -> GitHub:
    """`contoso/ml-config`, a team's config repository beside this one (`github`)."""
    from tests.workflows.consumer import make_consumer

    return make_consumer(github, tmp_path, local_snowflake.jdbc_target)


def run_summary(run: WorkflowRun) -> str:
    return "\n".join(f"== {j.key}: {j.result or j.state}\n{j.summary}" for j in run.jobs)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
