"""The printed set-up (`reconcile setup azure`), done on the simulated GitHub and Azure as its
commands say: a consumer repository is configured by exactly what a team would run, so a role
or a federated subject the set-up forgets fails the consumer's flow.

Each command form the script prints is understood here; an unknown one fails the test (a new
command needs its meaning here, as a new action needs a simulator in harness.py). Values a
person types (`read`) come from ``answers``; `az` queries that print ids return the app's id.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from tests.workflows.engine import Environment, Sim

SUBSCRIPTION_ID = "00000000-0000-0000-0000-0000000005ub"


@dataclass
class Shell:
    """The script's variables and what it did."""

    variables: dict[str, str] = field(default_factory=dict)
    apps: dict[str, str] = field(default_factory=dict)  # client id -> display name

    def expand(self, text: str) -> str:
        sp = re.search(r'\$\(az ad sp show --id "?\$(\w+)"? --query id -o tsv\)', text)
        if sp:  # a service principal's object id: the simulated Azure uses the client id
            text = text.replace(sp.group(0), self.variables[sp.group(1)])
        return re.sub(r"\$\{?(\w+)\}?", lambda m: self.variables.get(m.group(1), m.group(0)), text)


KNOWN = (
    "set -euo",
    "#",
    "app() {",
    "  az ad sp",
    "fed() {",
    '{"name"',
    ' "subject"',
    "JSON",
    "  az ad app federated",
    "  rm -f",
    "sub() {",
    "lock() {",
    "'/blobServices",
    "unset value",
    "done",
    "TENANT=",
    "SUB=",
    "az role definition create",
    "{",
    " ",
    "}",
    "  for ghenv",
    ')"',
)


def run_setup(
    sim: Sim,
    script: str,
    workspaces: dict[str, Path],
    answers: dict[str, str],
    secrets: dict[str, str],
    reviewers: list[str],
) -> Shell:
    """Do what ``script`` says on ``sim`` (GitHub) and its Azure. ``workspaces``: the resource
    id -> the simulated workspace folder; ``answers``: variable values typed in; ``secrets``:
    secret values typed in."""
    shell = Shell({"SUB": SUBSCRIPTION_ID, "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION_ID})
    lines = iter(script.splitlines())
    loop: list[str] = []
    for line in lines:
        if line.startswith("gh api -X PUT") and "environments/" in line:
            name = re.search(r"environments/([\w.-]+)", line).group(1)  # type: ignore[union-attr]
            body = {}
            if "<<JSON" in line:
                body = json.loads(next(lines).replace("$TEAM", "1").replace("$POLICY_OWNERS", "2"))
                assert next(lines) == "JSON"
            sim.environments[name] = Environment(
                name,
                reviewers=bool(body.get("reviewers")),
                branches=["main"] if body.get("deployment_branch_policy") else None,
                prevent_self_review=bool(body.get("prevent_self_review")),
                reviewer_logins=list(reviewers) if body.get("reviewers") else None,
            )
        elif "oidc/customization/sub" in line:
            keys = json.loads(next(lines))["include_claim_keys"]
            sim.oidc_claim_keys = list(keys)
            assert next(lines) == "JSON"
        elif m := re.match(r"^(\w+)=\$\(app ([\w.-]+)\)$", line):
            client = f"app-{m.group(2)}"
            shell.variables[m.group(1)] = client
            sim.azure.app(client, m.group(2))
        elif (m := re.match(r'^(\w+)="?(.*?)"?$', line)) and m.group(1) not in ("SUB", "TENANT"):
            if m.group(2).startswith("$(lock "):
                shell.variables[m.group(1)] = f"/storage-of/{m.group(2)}"
            elif not m.group(2).startswith("$("):
                shell.variables[m.group(1)] = shell.expand(m.group(2))
            else:
                shell.variables[m.group(1)] = m.group(1).lower()
        elif line.startswith("fed "):
            who, _, subject = shlex.split(line)[1:4]
            environment, workflow = re.match(r"\$\(sub ([\w.-]+) ([\w.-]+)\)", subject).groups()  # type: ignore[union-attr]
            v = shell.variables
            sim.azure.federate(
                shell.expand(who),
                f"repo:{v['REPO']}:environment:{environment}:job_workflow_ref:"
                f"{v['TOOL']}/{workflow}@{v['REF']}",
            )
        elif line.startswith("az role assignment create"):
            parts = shlex.split(line)
            who = shell.expand(parts[parts.index("--assignee") + 1])
            role = parts[parts.index("--role") + 1]
            scope = shell.expand(parts[parts.index("--scope") + 1])
            if role in ("reconciler reader", "reconciler applier"):
                sim.azure.assign(who, role, scope)
        elif line.startswith("gh variable set"):
            parts = shlex.split(line)
            name, value = parts[3], shell.expand(parts[parts.index("--body") + 1])
            if "--env" in parts:
                sim.environments[parts[parts.index("--env") + 1]].vars[name] = value
            else:
                sim.vars[name] = value
        elif line.startswith("for name in "):
            loop = line.removeprefix("for name in ").removesuffix("; do").split()
            env = re.search(r'"(\w+): \$name', next(lines)).group(1)  # type: ignore[union-attr]
            targets = re.findall(r"for ghenv in (.*?); do", next(lines))[0].split()
            for name in loop:
                for target in targets:
                    sim.environments[target].vars[name] = answers[name].format(env=env)
        elif "gh secret set" in line and line.startswith("read "):
            name = re.search(r"gh secret set (\w+)", line).group(1)  # type: ignore[union-attr]
            env = re.search(r'--env "([\w.-]+)"', line).group(1)  # type: ignore[union-attr]
            sim.environments[env].secrets[name] = secrets[name]
        elif "branches/main/protection" in line:
            json.loads(next(lines))
            assert next(lines) == "JSON"
        elif line.startswith('gh api -X POST "repos/$REPO/environments/'):
            name = re.search(r"environments/([\w.-]+)/", line).group(1)  # type: ignore[union-attr]
            sim.environments[name].branches = ["main"]
        elif not line.strip() or line.startswith(KNOWN):
            continue
        else:
            raise AssertionError(f"the simulated set-up does not know: {line}")
    for resource, folder in workspaces.items():
        sim.azure.workspace(resource, folder)
    return shell
