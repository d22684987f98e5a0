"""The trust boundary, read off the workflow files: no job that runs a pull request's code holds
a secret (other than the GITHUB_TOKEN) or a write scope (other than id-token), and the jobs that
write to pull requests run none of their code.

A job runs a pull request's code when its workflow is triggered by ``pull_request`` or
``merge_group``: GitHub takes the workflow file itself from the pull request's merge commit, so
every job there is the pull request's to edit. The one exception is stated here and in the
README: the opt-in source check may hold the database password, behind the `<env>-sources`
environments' required reviewers.

Main's files are only half of it: a pull request can add or rewrite workflow files, and its own
run uses them. So the last tests open a pull request whose own workflow names every environment
and asks for every permission, and check what that gets on the simulated GitHub: only the
repository's settings (environments' branch policies and reviewers, Azure's federated
credentials and roles) stand between it and a secret or a write identity.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.workflows.attacks import hole, refuse
from tests.workflows.conftest import GitHub, Repo
from tests.workflows.engine import WorkflowRun
from tests.workflows.harness import REPO_ROOT, load_yaml

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
PR_CODE_EVENTS = {"pull_request", "merge_group"}
# (workflow, job) -> the secrets it may reference, and the environment that gates it
EXCEPTIONS = {
    ("check-sources.yml", "check"): ({"SNOWFLAKE_PASSWORD"}, "${{ matrix.environment }}-sources")
}


def triggers(document: dict[Any, Any]) -> set[str]:
    on = document.get("on", document.get(True))
    if isinstance(on, str):
        return {on}
    return set(on or [])


def violations(name: str, document: dict[Any, Any]) -> list[str]:
    found: list[str] = []
    on = triggers(document)
    if "pull_request_target" in on:
        found.append(f"{name}: pull_request_target runs with secrets on a pull request's event")
    for job_id, job in document.get("jobs", {}).items():
        where = f"{name}:{job_id}"
        text = yaml.safe_dump(job)
        secrets = set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", text))
        secrets -= {"GITHUB_TOKEN"}
        if "secrets: inherit" in text:
            secrets.add("inherit")
        permissions = job.get("permissions", document.get("permissions"))
        if permissions is None or isinstance(permissions, str):
            writes = {"(default or write-all)"} if permissions != "read-all" else set()
        else:
            writes = {k for k, v in permissions.items() if v == "write" and k != "id-token"}
        if on & PR_CODE_EVENTS:
            allowed, gate = EXCEPTIONS.get((name, job_id), (set(), None))
            if secrets - allowed:
                found.append(f"{where} runs pull-request code and holds {sorted(secrets)}")
            if secrets and gate and job.get("environment") != gate:
                found.append(f"{where} holds {sorted(secrets)} outside {gate}")
            if writes:
                found.append(f"{where} runs pull-request code with write scopes {sorted(writes)}")
        if "workflow_run" in on:
            for step in job.get("steps", []):
                uses, ref = str(step.get("uses", "")), str((step.get("with") or {}).get("ref"))
                if uses.startswith("actions/checkout@") and "workflow_run" in ref:
                    found.append(f"{where} checks out the triggering run's code")
                if "workflow_run.head" in str(step.get("run", "")):
                    found.append(f"{where} uses the triggering run's head in a script")
    return found


def test_no_job_that_runs_pull_request_code_holds_a_secret_or_a_write_scope() -> None:
    found = [v for path in WORKFLOWS for v in violations(path.name, load_yaml(path))]
    assert found == []


def test_the_check_catches_what_it_is_for() -> None:
    bad = yaml.safe_load(
        """
        on: {pull_request: {}}
        jobs:
          plan:
            environment: prod-plan
            permissions: {contents: read, id-token: write, pull-requests: write}
            steps:
              - run: scripts/ci/plan.sh
                env: {SNOWFLAKE_PASSWORD: "${{ secrets.SNOWFLAKE_PASSWORD }}"}
          lint:
            steps: [{run: make lint}]
        """
    )
    found = violations("bad.yml", bad)
    assert "bad.yml:plan runs pull-request code and holds ['SNOWFLAKE_PASSWORD']" in found
    assert "bad.yml:plan runs pull-request code with write scopes ['pull-requests']" in found
    assert "bad.yml:lint runs pull-request code with write scopes ['(default or write-all)']" in (
        found
    )
    comment = yaml.safe_load(
        """
        on: {workflow_run: {workflows: [plan]}}
        jobs:
          comment:
            permissions: {pull-requests: write}
            steps:
              - uses: actions/checkout@0000000000000000000000000000000000000000
                with: {ref: "${{ github.event.workflow_run.head_sha }}"}
        """
    )
    assert violations("c.yml", comment) == ["c.yml:comment checks out the triggering run's code"]


def test_the_jobs_that_hold_secrets_run_only_main_behind_its_environments() -> None:
    """Secrets live in the `dev`/`prod` environments (main only) and `<env>-sources`
    (reviewers); the `<env>-plan` environments, which pull requests reach, hold none."""
    for path in WORKFLOWS:
        document = load_yaml(path)
        for job_id, job in document["jobs"].items():
            text = yaml.safe_dump(job)
            if not re.search(r"secrets\.(?!GITHUB_TOKEN)", text):
                continue
            environment = str(job.get("environment", ""))
            assert environment in ("dev", "prod") or environment.endswith("-sources"), (
                path.name,
                job_id,
                environment,
            )


def test_the_set_up_script_puts_secrets_only_in_the_applier_and_sources_environments() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    setup = readme[readme.index("### Set-up") :]
    setup = setup[: setup.index("\n### ", 10)]
    commands = [line for line in setup.splitlines() if "gh secret set" in line]
    assert commands, "the set-up script sets the secrets"
    for line in commands:
        env = re.search(r'--env "([^"]+)"', line)
        assert env and env.group(1) in ("$env", "$env-sources"), line


def test_workflows_read_no_secret_from_the_repository_level() -> None:
    """A repository secret reaches every workflow, pull requests' included."""
    readme = Path(REPO_ROOT / "README.md").read_text()
    assert "gh secret set SNOWFLAKE_PASSWORD --body" not in readme
    assert not re.search(r"gh secret set \w+ *(?:--body|<|$)(?!.*--env)", readme, re.M)


# --- what a pull request's own workflow files reach ---------------------------------------------

PROBE = """\
name: probe
on: {{pull_request: {{}}}}
permissions: write-all
jobs:
  probe:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    strategy: {{matrix: {{environment: {environments}}}}}
    environment: ${{{{ matrix.environment }}}}
    steps:
      - run: python3 -c "$HELD"
        env:
          SECRETS: ${{{{ toJSON(secrets) }}}}
          HELD: |
            import json, os
            held = json.loads(os.environ["SECRETS"])
            names = sorted(k for k, v in held.items() if v and k.lower() != "github_token")
            print("HELD", json.dumps(names))
      - if: matrix.environment == 'none'
        run: gh api -X POST "repos/$REPO/issues/$NUMBER/comments" -f body="$BODY"
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          REPO: ${{{{ github.repository }}}}
          NUMBER: ${{{{ github.event.number }}}}
          BODY: "<!-- reconciler-plan:dev --> written by the pull request's own workflow"
"""


def probe(github: GitHub) -> WorkflowRun:
    """A pull request whose own workflow names every environment (and one that does not
    exist: GitHub creates it, unprotected) and asks for every permission; every job it
    waits for is approved by a reviewer, as one might who sees no diff in the dialog."""
    github.sim.ignored |= {"plan.yml", "plan-comment.yml", "check-sources.yml"}
    names = json.dumps([*sorted(github.sim.environments), "none"])

    def change(repo: Repo) -> None:
        repo.write(".github/workflows/probe.yml", PROBE.format(environments=names))

    (run,) = github.open_pull(20, change, author="mallory")
    github.sim.settle()
    for job in github.sim.waiting():
        github.sim.approve(job, by="lead-ben")
    github.sim.settle()
    return run


def held(run: WorkflowRun) -> dict[str, list[str]]:
    found = {}
    for job in run.jobs:
        match = re.search(r"^HELD (.*)$", job.log, re.M)
        if match and json.loads(match.group(1)):
            found[str(job.environment)] = json.loads(match.group(1))
    return found


def test_a_pull_request_s_own_workflow_gets_no_identity_that_can_write(github: GitHub) -> None:
    run = probe(github)
    azure = github.world.azure
    for job in run.jobs:
        assert azure.writable(job.oidc) == set(), (job.environment, job.oidc.get("sub"))
    for env in ("dev", "prod"):  # the applier's environments deploy from main only
        job = run.job(f"probe ({env})")
        assert job.result == "failure" and "not allowed to deploy" in job.summary
    reads = {str(j.environment) for j in run.jobs if azure.signed_in(j.oidc)}
    assert reads == {"dev-plan", "prod-plan", "dev-sources", "prod-sources"}  # the planner


def test_a_pull_request_s_own_workflow_writes_as_the_same_bot_as_main_s(github: GitHub) -> None:
    """A same-repository pull request's token gets the write scopes its own file asks for, and
    what it writes is github-actions[bot]'s like what main's jobs write: who wrote a comment
    (or a check run) can never tell a trusted job from a pull request's."""
    run = probe(github)
    job = run.job("probe (none)")
    assert job.permissions["pull-requests"] == "write", job.log
    github.sim.load()
    (comment,) = [c for c in github.sim.state["comments"] if c["issue"] == 20]
    assert comment["user"]["login"] == "github-actions[bot]"
    assert "<!-- reconciler-plan:dev -->" in comment["body"]


@hole(5, "the <env>-sources environments give a pull request's own code the database password")
def test_a_pull_request_s_own_workflow_holds_no_secret_even_when_approved(github: GitHub) -> None:
    found = held(probe(github))
    refuse(found == {}, f"the pull request's own workflow held {found}")
