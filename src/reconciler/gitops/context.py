"""A job's variables and secrets, passed to reconcile by name, and how a job runs reconcile.

The published workflows spell no variable or secret: a job hands the tool its environment's
``toJSON(vars)`` (``RECONCILE_VARS``) and, where it may hold them, ``toJSON(secrets)``
(``RECONCILE_SECRETS``). Only what platform.yaml and the environment's overlay reference
(``${NAME}``, ``${env:NAME}``), and Azure's own names, reach the reconcile process; an empty
value is left unset, so reconcile reports it missing at the line that uses it. The JSON itself
never reaches the process.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.config.gitops import referenced_names
from reconciler.core.errors import (
    EXIT_CHANGES,
    EXIT_OK,
    EXIT_POLICY_BLOCKED,
    ReconcileError,
)
from reconciler.core.plan import Plan
from reconciler.gitops.github import log_untrusted

VARS_JSON = "RECONCILE_VARS"
SECRETS_JSON = "RECONCILE_SECRETS"
AZURE_VARIABLES = (
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_APPLIER_PRINCIPAL_ID",  # doctor: whose roles to check for the environment's applier
)


def _json(name: str, environ: Mapping[str, str]) -> dict[str, str]:
    text = environ.get(name, "")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise ReconcileError(
            f"{name} is not JSON", hint=f"pass ${{{{ toJSON(...) }}}} as {name}"
        ) from None
    if not isinstance(data, dict):
        raise ReconcileError(f"{name} is not a JSON object")
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def given_names(environ: Mapping[str, str] = os.environ) -> tuple[set[str], set[str]]:
    """The names (never the values) of the variables and secrets the job was handed."""
    variables = {k for k, v in _json(VARS_JSON, environ).items() if v}
    secrets = {k for k, v in _json(SECRETS_JSON, environ).items() if v}
    return variables, secrets - {"github_token", "GITHUB_TOKEN"}


def child_environment(
    project_dir: Path,
    environment: str,
    *,
    secrets: bool,
    environ: Mapping[str, str] = os.environ,
    placeholder_secrets: bool = False,
) -> dict[str, str]:
    """The environment of a reconcile process for ``environment``: the job's own, minus the
    JSON, plus the referenced variables (and, with ``secrets``, the referenced secrets).
    ``placeholder_secrets``: a referenced secret the job does not hold gets a placeholder
    (a source check holds only the database's; a plan it makes is never shown or saved)."""
    env = {k: v for k, v in environ.items() if k not in (VARS_JSON, SECRETS_JSON)}
    variables = _json(VARS_JSON, environ)
    held = _json(SECRETS_JSON, environ) if secrets else {}
    plain, secret_names = referenced_names(project_dir, environment)
    for name in (*AZURE_VARIABLES, *plain):
        if name in variables:
            env[name] = variables[name]
    for name in secret_names:
        if name in held:
            env[name] = held[name]
        elif placeholder_secrets and not env.get(name):
            env[name] = "placeholder-not-used-by-a-source-check"
    for name in (*AZURE_VARIABLES, *plain, *secret_names):
        if not env.get(name):
            env.pop(name, None)  # reconcile names the line that needs it
    if not secrets:
        for name in secret_names:
            env.pop(name, None)
    env["NO_COLOR"] = "1"
    return env


@dataclass(frozen=True)
class Ran:
    exitcode: int
    stdout: str
    stderr: str


def past_policy(ran: Ran, plan_file: Path) -> Ran:
    """A plan the policies block (exit 5 with --detailed-exitcode) is still a plan: what it
    changes decides the exit code for the jobs that only show plans (a pull request's, whose
    run judges with its own copy of the policies: a preview; drift). Apply judges."""
    if ran.exitcode != EXIT_POLICY_BLOCKED or not plan_file.is_file():
        return ran
    converged = Plan.read(plan_file).converged
    return replace(ran, exitcode=EXIT_OK if converged else EXIT_CHANGES)


def reconcile(*args: str, env: Mapping[str, str], cwd: Path, log: bool = True) -> Ran:
    """Run ``reconcile ARGS`` (the installed tool); its output goes to the log as text that
    cannot act as a workflow command."""
    proc = subprocess.run(
        ["reconcile", *args], capture_output=True, text=True, env=dict(env), cwd=cwd, check=False
    )
    if log:
        log_untrusted(f"reconcile {' '.join(args[:2])}: output", proc.stdout)
        log_untrusted(f"reconcile {' '.join(args[:2])}: errors", proc.stderr)
    return Ran(proc.returncode, proc.stdout, proc.stderr)


@dataclass(frozen=True)
class Flow:
    """One environment's job of the flow: where the project is, and the trusted inputs."""

    environment: str
    project: Path  # the folder holding platform.yaml, in the job's checkout
    working_directory: str = "."  # that folder, from the repository's root
    review_workflow: str = "reconciler-review.yml"  # the caller's review workflow file
    tool_repository: str = ""  # our repository (from the tool job's OIDC token)
    replace: tuple[str, ...] = ()  # a dispatch's inputs: planned by the trusted pre-gate job
    target: tuple[str, ...] = ()

    def scope(self) -> list[str]:
        """``--replace``/``--target`` arguments for reconcile."""
        args: list[str] = []
        for address in self.replace:
            args += ["--replace", address]
        for address in self.target:
            args += ["--target", address]
        return args

    def env(self, *, secrets: bool) -> dict[str, str]:
        return child_environment(self.project, self.environment, secrets=secrets)
