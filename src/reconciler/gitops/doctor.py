"""``reconcile doctor --env NAME``: what this job's identity can and cannot do, against what
plan and apply need, so a missing role shows in the first pull request, not the first apply.

Read-only. It asks who it is (the GitHub OIDC token's subject and workflow, when in Actions),
whether every variable and secret platform.yaml references was handed to the job (names only),
and, for an Azure ML workspace, what Azure says (``Microsoft.Authorization/permissions`` for
this identity; for the environment's applier, named by ``AZURE_APPLIER_PRINCIPAL_ID``, its
role assignments and their definitions): read the workspace; write it; write the lock's blob
container; get the secrets of every key vault platform.yaml reads (``${keyvault:}``); and no
write on any other environment's workspace. A table ``capability | needed by
| have``, and exit 1 when something needed is missing.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from reconciler.config.gitops import referenced_names
from reconciler.core.access import AccessReader, Scopes, vault_access
from reconciler.gitops.context import VARS_JSON, given_names
from reconciler.render.safe import code_span, escape_markdown


@dataclass(frozen=True)
class Check:
    capability: str
    needed_by: str
    have: bool | None  # None: cannot be told from here (said why in detail)
    detail: str = ""

    @property
    def gap(self) -> bool:
        return self.have is False


def claims(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The GitHub OIDC token's claims (no token: empty)."""
    url = environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    token = environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not token:
        return {}
    from reconciler.providers.azureml.credentials import github_oidc_token

    payload = github_oidc_token(url, token).split(".")[1]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def identity_checks(found: Mapping[str, str]) -> list[Check]:
    if not found:
        return [Check("who am I", "plan, apply", None, "not in GitHub Actions (no OIDC token)")]
    subject = found.get("sub", "")
    where = f"{subject} (workflow {found.get('job_workflow_ref', '?')})"
    return [
        Check("who am I", "plan, apply", True, where),
        Check(
            "the token names an environment (a pull request's or a branch's never signs in)",
            "plan, apply",
            ":environment:" in subject,
            "sub: " + subject,
        ),
    ]


def name_checks(project: Path, environment: str, environ: Mapping[str, str]) -> list[Check]:
    """The variables and secrets platform.yaml names, against what the job was handed (its
    environment's toJSON(vars) and toJSON(secrets); outside the flow, the desired state's
    loading says which variable is missing, at its line)."""
    variables, secrets = referenced_names(project, environment)
    if VARS_JSON not in environ:
        return []
    given_vars, given_secrets = given_names(environ)
    checks = []
    missing = [n for n in variables if n not in given_vars]
    checks.append(
        Check(
            f"variables {', '.join(variables) or '(none)'}",
            "plan, apply",
            not missing,
            ("missing: " + ", ".join(missing)) if missing else "all set",
        )
    )
    held = [n for n in secrets if n in given_secrets]
    if secrets and not held:
        checks.append(
            Check(
                f"secrets {', '.join(secrets)}",
                "apply",
                None,
                "not held here (the plan environments hold none): apply's job checks them",
            )
        )
    elif secrets:
        missing = [n for n in secrets if n not in given_secrets]
        checks.append(
            Check(
                f"secrets {', '.join(secrets)}",
                "apply",
                not missing,
                ("missing: " + ", ".join(missing)) if missing else "all set",
            )
        )
    return checks


def azure_checks(
    access: AccessReader | None, scopes: Scopes | None, applier: str, vaults: tuple[str, ...] = ()
) -> list[Check]:
    """What Azure says this identity, and the environment's applier, may do (``vaults``: the
    key vaults platform.yaml reads secrets from, which apply reads)."""
    if access is None or scopes is None:
        return [Check("Azure roles", "plan, apply", None, "an embedded workspace: nothing to ask")]
    checks = []
    mine = access.effective(scopes.workspace)
    checks.append(
        Check("read the workspace", "plan", mine.allows(READ_WORKSPACE), scopes.workspace)
    )
    for action in READS:
        checks.append(Check(f"list {action.split('/')[-2]}", "plan", mine.allows(action)))
    if not applier:
        checks.append(
            Check("the applier's roles", "apply", None, "set AZURE_APPLIER_PRINCIPAL_ID to check")
        )
        return checks
    theirs = access.effective(scopes.workspace, principal=applier)
    checks.append(
        Check("applier: write the workspace", "apply", all(theirs.allows(a) for a in WRITES))
    )
    if scopes.lock_container:
        lock = access.effective(scopes.lock_container, principal=applier)
        checks.append(
            Check(
                "applier: write the lock's blob container",
                "apply",
                lock.allows(BLOB_WRITE, data=True),
                scopes.lock_container,
            )
        )
    if vaults:
        subscription = "/".join(scopes.workspace.split("/")[:3])
        grants = access.grants(applier, subscription)
        for vault in vaults:
            have = vault_access(grants, vault)
            checks.append(
                Check(
                    f"applier: get the secrets of key vault {vault}",
                    "apply",
                    have,
                    "granted only at a resource group: is the vault in it?" if have is None else "",
                )
            )
    for other in scopes.others:
        elsewhere = access.effective(other, principal=applier)
        checks.append(
            Check(
                "applier: no write on another environment's workspace",
                "containment",
                not any(elsewhere.allows(a) for a in WRITES),
                other,
            )
        )
    return checks


READ_WORKSPACE = "Microsoft.MachineLearningServices/workspaces/read"
READS = (
    "Microsoft.MachineLearningServices/workspaces/connections/read",
    "Microsoft.MachineLearningServices/workspaces/datastores/read",
    "Microsoft.MachineLearningServices/workspaces/data/read",
    "Microsoft.MachineLearningServices/workspaces/jobs/read",
)
WRITES = (
    "Microsoft.MachineLearningServices/workspaces/connections/write",
    "Microsoft.MachineLearningServices/workspaces/datastores/write",
    "Microsoft.MachineLearningServices/workspaces/data/write",
    "Microsoft.MachineLearningServices/workspaces/jobs/write",
    "Microsoft.MachineLearningServices/workspaces/schedules/write",
)
BLOB_WRITE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"


def render(checks: list[Check], environment: str, fmt: str) -> str:
    if fmt == "json":
        return json.dumps([asdict(c) for c in checks], indent=2) + "\n"
    mark = {True: "yes", False: "**NO**", None: "?"}
    if fmt == "markdown":
        rows = [
            f"### reconciler doctor · {code_span(environment)}",
            "",
            "| capability | needed by | have | |",
            "|---|---|---|---|",
        ]
        rows += [
            f"| {escape_markdown(c.capability)} | {c.needed_by} | {mark[c.have]} | "
            f"{escape_markdown(c.detail)} |"
            for c in checks
        ]
        return "\n".join(rows) + "\n"
    width = max(len(c.capability) for c in checks)
    lines = [f"reconciler doctor · {environment}"]
    lines += [
        f"  {c.capability:<{width}}  {c.needed_by:<11}  {mark[c.have].strip('*'):<3}  {c.detail}"
        for c in checks
    ]
    return "\n".join(lines) + "\n"


def diagnose(project: Path, environment: str) -> list[Check]:
    """Every check, for ``environment`` of the project in ``project`` (this process's
    environment: the job's; RECONCILE_VARS, when given, fills the variables)."""
    from reconciler.config.build import desired_state
    from reconciler.config.gitops import load_gitops
    from reconciler.core.errors import ReconcileError
    from reconciler.gitops.context import child_environment
    from reconciler.gitops.setup import vaults
    from reconciler.providers.factory import open_access

    environ = dict(os.environ)
    checks = identity_checks(claims(environ)) + name_checks(project, environment, environ)
    os.environ.update(child_environment(project, environment, secrets=False))
    try:
        target = desired_state(project, environment, with_secrets=False).workspace
    except ReconcileError as exc:
        return [*checks, Check("the desired state loads", "plan, apply", False, exc.message)]
    where = (
        f"embedded: {target.label}"
        if target.provider == "local"
        else f"{target.resource_group}/{target.workspace_name}"
    )
    checks.append(Check("the desired state loads", "plan, apply", True, where))
    others = []
    try:
        names = [n for n in load_gitops(project).names if n != environment]
    except ReconcileError:
        names = []
    for name in names:
        try:
            others.append(desired_state(project, name, with_secrets=False).workspace)
        except ReconcileError:
            continue  # its variables are not this job's: not checked
    found = open_access(target, others)
    access, scopes = found if found is not None else (None, None)
    applier = os.environ.get("AZURE_APPLIER_PRINCIPAL_ID", "")
    try:
        return checks + azure_checks(access, scopes, applier, tuple(vaults(project)))
    except ReconcileError as exc:
        return [*checks, Check("ask Azure what this identity may do", "plan", False, exc.message)]
