"""A team's config repository on the same simulated GitHub as this one: `contoso/ml-config`,
with its own desired state, three environments (dev → staging → prod), GitHub environments,
variables, secrets and Azure identities (one applier per environment)."""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler_testing.localsnow import DEMO_PASSWORD
from tests.workflows.conftest import (
    LEADS,
    STORAGE_ACCOUNT_KEY,
    SUBSCRIPTION,
    VARS,
    WORKSPACES,
    GitHub,
    Repo,
    environment_yaml,
    git,
)
from tests.workflows.engine import Environment, Sim
from tests.workflows.harness import REPO_ROOT

CONSUMER = "contoso/ml-config"
CONSUMER_ENVIRONMENTS = ("dev", "staging", "prod")  # the promotion chain


def consumer_workspace(env: str) -> str:
    return (
        f"{SUBSCRIPTION}/resourceGroups/rg-contoso-ml-{env}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/mlw-contoso-{env}"
    )


def make_consumer(github: GitHub, tmp_path: Path, snowflake_target: str) -> GitHub:
    """A team's config repository on the same simulated GitHub: its own platform.yaml,
    `environments/{dev,staging,prod}.yaml` (embedded workspaces of its own), GitHub
    environments (`<env>-plan`: a planner; `<env>`: main only, its secrets; `prod`: reviewers),
    variables, and Azure apps and roles (a planner reading every workspace, one applier per
    environment writing its own). No workflow yet: a test commits the ones it calls."""
    root = tmp_path / "consumer" / "repo"
    workspaces = tmp_path / "consumer" / "workspaces"
    (root / "environments").mkdir(parents=True)
    workspaces.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "platform.yaml", root / "platform.yaml")
    (root / WORKSPACES).symlink_to(workspaces)
    for env in CONSUMER_ENVIRONMENTS:
        (root / "environments" / f"{env}.yaml").write_text(
            environment_yaml(f"{WORKSPACES}/{env}", snowflake_target)
        )
    (root / ".gitignore").write_text(".reconcile/\n")
    git(root, "init", "-q", "-b", "main")
    repo = Repo(root, workspaces, snowflake_target, launcher=github.repo.launcher)
    repo.commit("the team's desired state")
    sim = Sim(root, tmp_path / "consumer" / "github", CONSUMER, github.sim.gh_bin, github.world)
    sim.extra_path, sim.extra_env = github.sim.extra_path, github.sim.extra_env
    sim.vars["AZURE_TENANT_ID"] = "00000000-0000-0000-0000-0000000000te"
    planner = "00000000-0000-0000-0000-00contoso-pl"
    azure = sim.azure
    azure.app(planner, "contoso-planner")
    for env in CONSUMER_ENVIRONMENTS:
        applier = f"00000000-0000-0000-0000-contoso-{env}"
        azure.app(applier, f"contoso-applier-{env}")
        azure.federate(planner, f"repo:{CONSUMER}:environment:{env}-plan")
        azure.federate(applier, f"repo:{CONSUMER}:environment:{env}")
        azure.assign(planner, "reconciler planner", consumer_workspace(env))
        azure.assign(applier, "reconciler applier", consumer_workspace(env))
        azure.workspace(consumer_workspace(env), workspaces / env)
        sim.environments[f"{env}-plan"] = Environment(
            f"{env}-plan", vars={**VARS, "AZURE_CLIENT_ID": planner}
        )
        sim.environments[env] = Environment(
            env,
            reviewers=env == "prod",
            branches=["main"],
            vars={**VARS, "AZURE_CLIENT_ID": applier},
            secrets={
                "SNOWFLAKE_PASSWORD": DEMO_PASSWORD,
                "STORAGE_ACCOUNT_KEY": STORAGE_ACCOUNT_KEY,
            },
            prevent_self_review=env == "prod",
            reviewer_logins=list(LEADS) if env == "prod" else None,
        )
    return GitHub(sim, repo)
