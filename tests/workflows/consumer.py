"""A team's config repository on the same simulated GitHub as this one: `contoso/ml-config`, a
copy of examples/config-repo (its platform.yaml, three environments dev -> staging -> prod, two
short caller workflows, CODEOWNERS), set up by running what `reconcile setup azure` prints for
it (setup_script.py). Two things differ from a team's copy, as for this repository's own
tests: the environments are embedded workspaces outside every checkout (the "Azure" every job
reaches), and our repository is called by its name on the simulated GitHub."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from reconciler_testing.localsnow import DEMO_PASSWORD
from tests.workflows.conftest import (
    HMAC_KEY,
    LEADS,
    STORAGE_ACCOUNT_KEY,
    SUBSCRIPTION,
    VARS,
    WORKSPACES,
    GitHub,
    Repo,
    allow_local_snowflake,
    environment_yaml,
    git,
)
from tests.workflows.engine import Sim
from tests.workflows.harness import REPO_ROOT
from tests.workflows.setup_script import run_setup

CONSUMER = "contoso/ml-config"
CONSUMER_ENVIRONMENTS = ("dev", "staging", "prod")  # the promotion chain
EXAMPLE = REPO_ROOT / "examples" / "config-repo"
OURS = "globorealty/reconciler/"  # how the example names us; here: globorealty/platform


def consumer_workspace(env: str) -> str:
    return (
        f"{SUBSCRIPTION}/resourceGroups/rg-contoso-ml-{env}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/mlw-contoso-{env}"
    )


def printed_setup(root: Path, tool: str) -> str:
    """What `reconcile setup azure` prints for the team's repository (at our tag v1)."""
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "reconcile"),
            "setup",
            "azure",
            "--repo",
            CONSUMER,
            "--tool",
            tool,
            "--tool-ref",
            "v1",
            "--reviewers",
            "contoso/platform-leads",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def make_consumer(github: GitHub, tmp_path: Path, snowflake_target: str) -> GitHub:
    """examples/config-repo as `contoso/ml-config`, set up as its README says."""
    root = tmp_path / "consumer" / "repo"
    workspaces = tmp_path / "consumer" / "workspaces"
    shutil.copytree(EXAMPLE, root)
    workspaces.mkdir(parents=True)
    setup = printed_setup(root, github.sim.repository)
    for workflow in (root / ".github" / "workflows").glob("*.yml"):
        text = workflow.read_text(encoding="utf-8")
        workflow.write_text(text.replace(OURS, f"{github.sim.repository}/"), encoding="utf-8")
    allow_local_snowflake(root / "platform.yaml", snowflake_target)
    (root / WORKSPACES).symlink_to(workspaces)
    for env in CONSUMER_ENVIRONMENTS:
        (root / "environments" / f"{env}.yaml").write_text(
            environment_yaml(f"{WORKSPACES}/{env}", snowflake_target, "snowflake_sales")
        )
    (root / ".gitignore").write_text(".reconcile/\n")
    git(root, "init", "-q", "-b", "main")
    repo = Repo(root, workspaces, snowflake_target, launcher=github.repo.launcher)
    repo.commit("the team's config repository, from examples/config-repo")
    sim = Sim(root, tmp_path / "consumer" / "github", CONSUMER, github.sim.gh_bin, github.world)
    sim.extra_path, sim.extra_env = github.sim.extra_path, github.sim.extra_env
    run_setup(
        sim,
        setup,
        {consumer_workspace(env): workspaces / env for env in CONSUMER_ENVIRONMENTS},
        answers={k: v for k, v in VARS.items() if k != "AZURE_SUBSCRIPTION_ID"},
        secrets={
            "SNOWFLAKE_PASSWORD": DEMO_PASSWORD,
            "STORAGE_ACCOUNT_KEY": STORAGE_ACCOUNT_KEY,
            "RECONCILER_HMAC_KEY": HMAC_KEY,
        },
        reviewers=list(LEADS),
    )
    return GitHub(sim, repo)
