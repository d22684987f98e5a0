"""The trust boundary, read off the workflow files: no job that runs a pull request's code holds
a secret (other than the GITHUB_TOKEN) or a write scope (other than id-token), and the jobs that
write to pull requests run none of their code.

A job runs a pull request's code when its workflow is triggered by ``pull_request`` or
``merge_group`` and its ``if:`` lets those events through: GitHub takes the workflow file
itself from the pull request's merge commit, so every such job is the pull request's to edit.
A caller job's called workflow (``uses: ./.github/workflows/...``) is read as part of it, under
its caller's triggers. No exception is left: the source check, the one job that holds a
database password, runs from the review workflow (main's code), not from a pull request's run.

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

from tests.workflows.attacks import refuse
from tests.workflows.conftest import GitHub, Repo
from tests.workflows.engine import WorkflowRun
from tests.workflows.harness import REPO_ROOT, load_yaml
from tests.workflows.scenarios import FLOW, REVIEW

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
PR_CODE_EVENTS = {"pull_request", "merge_group"}
LOCAL_CALL = re.compile(r"^\./(\.github/workflows/[\w.-]+\.ya?ml)$")


def triggers(document: dict[Any, Any]) -> set[str]:
    on = document.get("on", document.get(True))
    if isinstance(on, str):
        return {on}
    return set(on or [])


def held_secrets(job: dict[str, Any]) -> set[str]:
    text = yaml.safe_dump(job)
    found = set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", text)) - {"GITHUB_TOKEN"}
    if "secrets: inherit" in text:
        found.add("inherit")
    if re.search(r"toJSON\(\s*secrets\s*\)", text):
        found.add("toJSON(secrets): every secret of its environment")
    return found


def runs_for_pull_requests(on: set[str], job: dict[str, Any]) -> bool:
    """The job runs on a pull request's event: its workflow is triggered by one and its
    ``if:`` does not limit it to other events."""
    if not on & PR_CODE_EVENTS:
        return False
    events = set(re.findall(r"github\.event_name == '(\w+)'", str(job.get("if", ""))))
    return not events or bool(events & PR_CODE_EVENTS)


def violations(
    name: str, document: dict[Any, Any], root: Path = REPO_ROOT, on: set[str] | None = None
) -> list[str]:
    found: list[str] = []
    on = triggers(document) if on is None else on
    if "pull_request_target" in on:
        found.append(f"{name}: pull_request_target runs with secrets on a pull request's event")
    for job_id, job in document.get("jobs", {}).items():
        where = f"{name}:{job_id}"
        pr_code = runs_for_pull_requests(on, job)
        call = LOCAL_CALL.match(str(job.get("uses", "")))
        if call is not None:  # the called workflow runs as part of this job, with its triggers
            called = load_yaml(root / call.group(1))
            found += violations(
                f"{where} -> {Path(call.group(1)).name}", called, root, on if pr_code else set()
            )
        secrets = held_secrets(job)
        permissions = job.get("permissions", document.get("permissions"))
        if permissions is None or isinstance(permissions, str):
            writes = {"(default or write-all)"} if permissions != "read-all" else set()
        else:
            writes = {k for k, v in permissions.items() if v == "write" and k != "id-token"}
        if pr_code:
            if secrets:
                found.append(f"{where} runs pull-request code and holds {sorted(secrets)}")
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


def top_level(path: Path) -> bool:
    """A workflow GitHub starts on an event (reusable-only ones are read through callers)."""
    return triggers(load_yaml(path)) != {"workflow_call"}


def test_no_job_that_runs_pull_request_code_holds_a_secret_or_a_write_scope() -> None:
    found = [
        v for path in WORKFLOWS if top_level(path) for v in violations(path.name, load_yaml(path))
    ]
    assert found == []


def test_the_check_catches_what_it_is_for(tmp_path: Path) -> None:
    bad = yaml.safe_load(
        """
        on: {pull_request: {}, push: {}}
        jobs:
          plan:
            environment: prod-plan
            permissions: {contents: read, id-token: write, pull-requests: write}
            steps:
              - run: reconcile gitops plan
                env: {SNOWFLAKE_PASSWORD: "${{ secrets.SNOWFLAKE_PASSWORD }}"}
          lint:
            steps: [{run: make lint}]
          apply:
            if: github.event_name == 'push'
            permissions: {contents: read, pull-requests: write}
            steps: [{run: reconcile apply, env: {S: "${{ toJSON(secrets) }}"}}]
          called:
            uses: ./.github/workflows/called.yml
        """
    )
    called = tmp_path / ".github" / "workflows" / "called.yml"
    called.parent.mkdir(parents=True)
    called.write_text(
        "on: {workflow_call: {}}\njobs:\n  inner:\n    permissions: {issues: write}\n"
        "    steps: [{run: x, env: {S: '${{ toJSON(secrets) }}'}}]\n"
    )
    found = violations("bad.yml", bad, tmp_path)
    assert "bad.yml:plan runs pull-request code and holds ['SNOWFLAKE_PASSWORD']" in found
    assert "bad.yml:plan runs pull-request code with write scopes ['pull-requests']" in found
    assert "bad.yml:lint runs pull-request code with write scopes ['(default or write-all)']" in (
        found
    )
    assert not [v for v in found if v.startswith("bad.yml:apply ")]  # push only
    inner = [v for v in found if v.startswith("bad.yml:called -> called.yml:inner ")]
    assert len(inner) == 2 and "holds ['toJSON(secrets)" in inner[0], inner
    assert inner[1].endswith("with write scopes ['issues']")
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


def test_the_jobs_that_hold_secrets_run_behind_an_applier_or_sources_environment() -> None:
    """Secrets live in the `<env>` environments (the applier; main only) and `<env>-sources`
    (main only, reviewers), named by the gitops matrix; the `<env>-plan` environments, which
    pull requests reach, hold none."""
    holders = []
    for path in WORKFLOWS:
        for job_id, job in load_yaml(path)["jobs"].items():
            if held_secrets(job):
                holders.append((path.name, job_id, str(job.get("environment", ""))))
    assert sorted(holders) == [
        ("reconciler-apply-env.yml", "apply", "${{ inputs.apply-environment }}"),
        ("reconciler-apply-env.yml", "fresh", "${{ inputs.apply-environment }}"),
        ("reconciler-check-sources.yml", "check", "${{ matrix.sources }}"),
    ]


def test_the_set_up_puts_secrets_only_in_the_applier_and_sources_environments() -> None:
    """The set-up is what `reconcile setup azure` prints (README "Set-up"): every secret goes
    into an environment's applier environment (or its sources one), never elsewhere."""
    from reconciler.gitops.setup import script

    example = REPO_ROOT / "examples" / "config-repo"
    text = script(example, "contoso/ml-config", "globorealty/reconciler", "v1", "contoso/leads")
    commands = [line for line in text.splitlines() if "gh secret set" in line]
    commands = [line for line in commands if not line.lstrip().startswith("#")]
    assert commands, "the set-up sets the secrets"
    allowed = {
        f"{env}{suffix}" for env in ("dev", "staging", "prod") for suffix in ("", "-sources")
    }
    for line in commands:
        env = re.search(r'--env "([^"]+)"', line)
        assert env and env.group(1) in allowed, line
    assert "reconcile setup azure" in (REPO_ROOT / "README.md").read_text()


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
    github.sim.ignored |= {FLOW, REVIEW}
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
    for env in ("dev-sources", "prod-sources"):  # the source checks' too: main only
        job = run.job(f"probe ({env})")
        assert job.result == "failure" and "not allowed to deploy" in job.summary
    reads = {str(j.environment) for j in run.jobs if azure.signed_in(j.oidc)}
    assert reads == {"dev-plan", "prod-plan"}  # the planner, which may only read


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


def test_a_pull_request_s_own_workflow_holds_no_secret_even_when_approved(github: GitHub) -> None:
    found = held(probe(github))
    refuse(found == {}, f"the pull request's own workflow held {found}")
