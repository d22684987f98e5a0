"""``reconcile setup azure``: the commands that set a config repository up, printed, never run.

From platform.yaml's ``gitops:`` section and each environment's file: one Entra ID app per
environment that applies it (a custom role on its workspace only, Storage Blob Data
Contributor on its lock's container, Key Vault Secrets User on the vaults platform.yaml reads),
federated with that environment's subject and our apply workflow only (``job_workflow_ref``);
one planner app that may only read the workspaces, federated with the plan, drift and source
check workflows; the GitHub environments (the appliers' and the source checks' deploy from the
default branch only, with reviewers after the first stage); their variables; and where each
secret goes. A pure function of its inputs: a person reads it, then runs it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.gitops import connection_secrets, load_gitops, referenced_names
from reconciler.config.model.gitops import GitOps
from reconciler.config.overlays import ENVIRONMENTS_DIR
from reconciler.config.yamlfile import read_yaml
from reconciler.core.desired import PLATFORM_FILE
from reconciler.core.errors import ReconcileError

ML = "Microsoft.MachineLearningServices/workspaces"
READER_ACTIONS = [
    f"{ML}/read",
    *(
        f"{ML}/{kind}/read"
        for kind in ("connections", "datastores", "data", "data/versions", "jobs", "schedules")
    ),
    "Microsoft.Authorization/roleAssignments/read",
    "Microsoft.Authorization/roleDefinitions/read",
]
APPLIER_ACTIONS = [
    f"{ML}/read",
    *(f"{ML}/{kind}/*" for kind in ("connections", "datastores", "data", "jobs", "schedules")),
]
PLANNER_WORKFLOWS = ("reconciler-plan.yml", "reconciler-apply-env.yml", "reconciler-drift.yml")
TEAM = '{"type": "Team", "id": $TEAM}'
POLICY_TEAM = '{"type": "Team", "id": $POLICY_OWNERS}'
MAIN_ONLY = (
    '"deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}'
)
_VAULT = re.compile(r"\$\{keyvault:([A-Za-z0-9-]+)/")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Target:
    """An environment's workspace as its file writes it (variables become shell variables)."""

    environment: str
    resource_group: str
    workspace: str


def _shell(text: str) -> str:
    return _VARIABLE.sub(r"${\1}", str(text))


def targets(project: Path, names: list[str]) -> list[Target]:
    found = []
    for name in names:
        document = read_yaml(project / ENVIRONMENTS_DIR / f"{name}.yaml", f"{name}.yaml")
        workspace = document.data.get("workspace") or {}
        if workspace.get("provider") != "azureml":
            raise ReconcileError(
                f"environments/{name}.yaml is not an Azure ML workspace",
                hint="the set-up is for Azure ML environments (workspace.provider: azureml)",
            )
        found.append(
            Target(name, _shell(workspace["resource_group"]), _shell(workspace["workspace_name"]))
        )
    return found


def vaults(project: Path) -> list[str]:
    text = (project / PLATFORM_FILE).read_text(encoding="utf-8")
    overlays = sorted((project / ENVIRONMENTS_DIR).glob("*.yaml"))
    text += "".join(p.read_text(encoding="utf-8") for p in overlays)
    return sorted(set(_VAULT.findall(text)))


def role(name: str, description: str, actions: list[str]) -> str:
    body = {
        "Name": name,
        "Description": description,
        "Actions": actions,
        "AssignableScopes": ["/subscriptions/$SUB"],
    }
    text = json.dumps(body, indent=1)
    return f'az role definition create --role-definition "$(cat <<JSON\n{text}\nJSON\n)"'


def assign(who: str, role_name: str, scope: str) -> str:
    return f'az role assignment create --assignee "{who}" --role "{role_name}" --scope "{scope}"'


def script(
    project: Path,
    repository: str,
    tool: str,
    ref: str,
    reviewers: str,
    policy_owners: str | None = None,
) -> str:
    """The set-up of ``repository`` for our workflows at ``tool``@``ref``: ``reviewers``
    approve the gates after the first stage and source checks, ``policy_owners`` (default:
    the reviewers) a soft policy failure's override."""
    gitops = load_gitops(project)
    names = gitops.names
    found = targets(project, names)
    first = set(gitops.stages[0]) if gitops.stages else set()
    lines = [
        f"# reconciler set-up for {repository}: our workflows at {tool}@{ref}, the environments",
        "# of platform.yaml's gitops: section. Read it, then run it in a shell logged in with",
        "# `az` (able to create app registrations and role assignments) and `gh` (an admin of",
        "# the repository). Nothing here is a secret; the secrets are asked for at the end.",
        "set -euo pipefail",
        f"REPO={repository}",
        f"TOOL={tool}/.github/workflows",
        f"REF=refs/tags/{ref}",
        'SUB="${AZURE_SUBSCRIPTION_ID:-$(az account show --query id -o tsv)}"',
        "TENANT=$(az account show --query tenantId -o tsv)",
        "",
        "# 1. OIDC subjects name the environment and the workflow that asks (job_workflow_ref):",
        "#    an identity federated with our apply workflow signs in to nothing else",
        "gh api -X PUT \"repos/$REPO/actions/oidc/customization/sub\" --input - <<'JSON'",
        '{"use_default": false, "include_claim_keys": ["repo", "context", "job_workflow_ref"]}',
        "JSON",
        "",
        "# 2. Two custom roles (once per subscription; `az role definition update` if they exist)",
        role("reconciler reader", "Read Azure ML workspaces and their roles", READER_ACTIONS),
        role(
            "reconciler applier",
            "Azure ML connections, datastores, data assets, import jobs, schedules",
            APPLIER_ACTIONS,
        ),
        "",
        'app() { local id; id=$(az ad app create --display-name "$1" --query appId -o tsv)',
        '  az ad sp create --id "$id" >/dev/null; echo "$id"; }',
        'fed() { local file; file=$(mktemp); cat >"$file" <<JSON',
        '{"name": "$2", "issuer": "https://token.actions.githubusercontent.com",',
        ' "subject": "$3", "audiences": ["api://AzureADTokenExchange"]}',
        "JSON",
        '  az ad app federated-credential create --id "$1" --parameters "@$file" >/dev/null',
        '  rm -f "$file"; }',
        'sub() { echo "repo:$REPO:environment:$1:job_workflow_ref:$TOOL/$2@$REF"; }',
        'lock() { echo "$(az ml workspace show -g "$1" -n "$2" --query storage_account -o tsv)'
        "/blobServices/default/containers/"
        '$(az ml datastore show -g "$1" -w "$2" -n workspaceblobstore --query container_name '
        '-o tsv)"; }',
        "",
        f"PLANNER=$(app reconciler-{repository.split('/')[-1]}-planner)",
        'gh variable set AZURE_TENANT_ID --body "$TENANT"',
        'gh variable set AZURE_SUBSCRIPTION_ID --body "$SUB"',
    ]
    for target in found:
        env = target.environment
        github = gitops.github(env)
        group = f"/subscriptions/$SUB/resourceGroups/{target.resource_group}"
        ws = f"{group}/providers/{ML}/{target.workspace}"
        var = re.sub(r"[^A-Z0-9]", "_", env.upper())
        lines += [
            "",
            f"# 3. {env}: the planner reads it, its own applier writes it (and nothing else)",
            f'WS_{var}="{ws}"',
            f'LOCK_{var}=$(lock "{target.resource_group}" "{target.workspace}")',
            *(
                f'fed "$PLANNER" {env}-{w.split(".")[0]} "$(sub {github.plan} {w})"'
                for w in PLANNER_WORKFLOWS
            ),
            f'fed "$PLANNER" {env}-sources "$(sub {github.sources} reconciler-check-sources.yml)"',
            assign("$PLANNER", "reconciler reader", f"$WS_{var}"),
            assign("$PLANNER", "Storage Blob Data Reader", f"$LOCK_{var}"),
            f"APPLIER_{var}=$(app reconciler-{repository.split('/')[-1]}-{env})",
            f'fed "$APPLIER_{var}" {env} "$(sub {github.apply} reconciler-apply-env.yml)"',
            assign(f"$APPLIER_{var}", "reconciler applier", f"$WS_{var}"),
            assign(f"$APPLIER_{var}", "Storage Blob Data Contributor", f"$LOCK_{var}"),
        ]
        for vault in vaults(project):
            scope = f"$(az keyvault show -n {vault} --query id -o tsv)"
            lines.append(assign(f"$APPLIER_{var}", "Key Vault Secrets User", scope))
        gate = "" if env in first else f', "reviewers": [{TEAM}]'
        lines += [
            f"# GitHub: {github.plan} (the planner, no secret), {github.apply} and {github.sources}"
            " (the default branch only)",
            f'gh api -X PUT "repos/$REPO/environments/{github.plan}" >/dev/null',
            f'gh api -X PUT "repos/$REPO/environments/{github.apply}" --input - >/dev/null <<JSON',
            f'{{"prevent_self_review": true{gate}, {MAIN_ONLY}}}',
            "JSON",
            f'gh api -X PUT "repos/$REPO/environments/{github.sources}" --input - >/dev/null'
            " <<JSON",
            f'{{"prevent_self_review": true, "reviewers": [{TEAM}], {MAIN_ONLY}}}',
            "JSON",
            f"# {github.policy}: a soft policy failure's override waits for the policy owners",
            f'gh api -X PUT "repos/$REPO/environments/{github.policy}" --input - >/dev/null <<JSON',
            f'{{"prevent_self_review": true, "reviewers": [{POLICY_TEAM}], {MAIN_ONLY}}}',
            "JSON",
            *(
                f'gh api -X POST "repos/$REPO/environments/{e}/deployment-branch-policies" '
                "-f name=main -f type=branch >/dev/null"
                for e in (github.apply, github.sources, github.policy)
            ),
            f'gh variable set AZURE_CLIENT_ID --env {github.plan} --body "$PLANNER"',
            f'gh variable set AZURE_CLIENT_ID --env {github.sources} --body "$PLANNER"',
            f'gh variable set AZURE_CLIENT_ID --env {github.apply} --body "$APPLIER_{var}"',
            f"gh variable set AZURE_APPLIER_PRINCIPAL_ID --env {github.plan} --body "
            f'"$(az ad sp show --id "$APPLIER_{var}" --query id -o tsv)"',
        ]
    owners = policy_owners or reviewers
    lines[lines.index("set -euo pipefail") + 1 : lines.index("set -euo pipefail") + 1] = [
        f'TEAM=$(gh api "orgs/{reviewers.split("/")[0]}/teams/{reviewers.split("/")[-1]}" --jq .id)'
        "  # the reviewers of the gates",
        f'POLICY_OWNERS=$(gh api "orgs/{owners.split("/")[0]}/teams/{owners.split("/")[-1]}" '
        "--jq .id)  # who may override a soft policy failure",
    ]
    lines += _names(project, found, gitops)
    return "\n".join(lines) + "\n"


def _names(project: Path, found: list[Target], gitops: GitOps) -> list[str]:
    """Where each variable and secret platform.yaml names goes (values asked for, never
    printed)."""
    lines = [
        "",
        "# 4. The variables and secrets platform.yaml names: variables in every GitHub",
        "#    environment of the environment, secrets in the applier's only (and, for source",
        "#    checks, a read-only database user's in <env>-sources). Each is read from stdin.",
    ]
    for target in found:
        env = target.environment
        github = gitops.github(env)
        variables, secrets = referenced_names(project, env)
        plain = [v for v in variables if not v.startswith("AZURE_")]
        if plain:
            lines.append(f"for name in {' '.join(plain)}; do")
            lines.append(f'  read -rp "{env}: $name = " value')
            lines.append(
                f"  for ghenv in {github.plan} {github.apply} {github.sources}; do "
                'gh variable set "$name" --env "$ghenv" --body "$value"; done'
            )
            lines.append("done")
        for secret in secrets:
            lines.append(
                f'read -rsp "{env}: {secret} = " value; echo; printf %s "$value" | '
                f'gh secret set {secret} --env "{github.apply}"'
            )
        for secret in connection_secrets(project, env, gitops.sources):
            lines.append(
                f"# source checks: a read-only database user's password, e.g. "
                f'gh secret set {secret} --env "{github.sources}"'
            )
    lines += [
        "unset value",
        "",
        "# 5. Branch protection: plans must pass, code owners review .github/, environments/ and",
        "#    platform.yaml, and the last push needs someone else's approval",
        'gh api -X PUT "repos/$REPO/branches/main/protection" --input - >/dev/null <<JSON',
        json.dumps(
            {
                "required_status_checks": {
                    "strict": True,
                    "checks": [{"context": f"plan / plan ({n})"} for n in gitops.names],
                },
                "enforce_admins": True,
                "required_pull_request_reviews": {
                    "required_approving_review_count": 1,
                    "require_code_owner_reviews": True,
                    "dismiss_stale_reviews": True,
                    "require_last_push_approval": True,
                },
                "restrictions": None,
            }
        ),
        "JSON",
    ]
    return lines
