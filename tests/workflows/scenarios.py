"""Building blocks of the workflow scenarios: changes a pull request makes, a scheduled import,
and what a person sees (comments, job summaries, what is left to apply)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from reconciler.config.build import desired_state
from reconciler.config.projectfiles import TRUSTED_VARIABLE
from reconciler.providers.local.provider import LocalWorkspace
from tests.workflows.conftest import VARS, GitHub, Repo
from tests.workflows.engine import Job, WorkflowRun
from tests.workflows.harness import REPO_ROOT

Change = Callable[[Repo], None]


def edit(old: str, new: str, relative: str = "platform.yaml") -> Change:
    return lambda repo: repo.edit(old, new, relative)


def add_datastore(name: str, *, first: bool = False) -> Change:
    """A new datastore, declared first or last (two pull requests merge without conflict)."""

    def change(repo: Repo) -> None:
        block = (
            f"  {name}:\n    type: azure_blob\n    account_name: ${{STORAGE_ACCOUNT}}\n"
            f"    container_name: {name}\n"
        )
        if first:
            repo.edit("\ndatastores:\n", f"\ndatastores:\n{block}")
        else:
            repo.edit("\nimports:\n", f"\n{block}\nimports:\n")

    return change


def scheduled_import_ran(repo: Repo, env: str, asset: str = "raw_house_data") -> str:
    """What Azure ML's schedule does: main's import again, registered as the next version."""
    saved = dict(os.environ)
    os.environ.update(VARS)  # the desired state's ${NAME} variables; no secret is read
    # the shared workspaces sit out of the checkout, behind its link: the harness trusts them
    os.environ[TRUSTED_VARIABLE] = str(repo.workspaces.resolve())
    try:
        desired = desired_state(repo.root, env, with_secrets=False)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    resource = desired.get(f"import.{asset}")
    assert resource is not None
    workspace = LocalWorkspace(repo.workspace(env))
    try:
        (live,) = workspace.list_assets([asset])
        version = live.next_version()
        job = workspace.materialize(asset, version, resource.imported)
        assert job.status == "Completed", job.error
        return version
    finally:
        workspace.close()


def apply_only(github: GitHub) -> None:
    """Leave out the workflows a scenario does not look at (the plan comments, source checks):
    they run beside the others and change nothing the scenario checks."""
    github.sim.ignored |= {"plan-comment.yml", "check-sources.yml"}


def bootstrap(github: GitHub) -> None:
    """The workspaces as main declares them (an operator's first apply, made once a session)."""
    assert github.repo.seed is not None
    for env in ("dev", "prod"):  # the session's `seeded` fixture checked they converged
        shutil.copytree(github.repo.seed / env, github.repo.workspace(env))


def job(run: WorkflowRun, key: str) -> Job:
    return run.job(key)


def latest(github: GitHub, workflow: str) -> WorkflowRun:
    return github.sim.runs_of(workflow)[-1]


def comment(github: GitHub, number: int, marker: str) -> str:
    found = [c for c in github.sim.comments_on(number) if marker in c]
    assert len(found) == 1, (marker, github.sim.comments_on(number))
    return found[0]


def artifact_files(github: GitHub, run: WorkflowRun, name: str) -> dict[str, str]:
    folder = Path(github.sim.home, "artifacts", str(run.id), name)
    if not folder.is_dir():
        return {}
    return {f.name: f.read_text(encoding="utf-8") for f in folder.iterdir()}


# --- the README's recovery runbook, run as written --------------------------------------------


def runbook_commands() -> list[str]:
    """The commands of the README's recovery runbook (its shell block), as written."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Recovery runbook") :]
    block = section[section.index("```sh\n") + 6 :]
    block = block[: block.index("```")]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


APPROVE = re.compile(
    r'^gh api -X POST "repos/\$REPO/actions/runs/\$RUN/pending_deployments" '
    r'-F "environment_ids\[\]=\$ENV_ID" -f state=approved -f comment="[^"]*"$'
)
DISPATCH = re.compile(r"^gh workflow run apply\.yml -f environment=(\w+)$")
SET_SECRET = re.compile(r'^printf %s "\$NEW_KEY" \| gh secret set (\w+) --env ([\w-]+)$')
RERUN = re.compile(r'^gh run rerun "\$RUN" --failed$')
RUNBOOK = (APPROVE, DISPATCH, SET_SECRET, RERUN)


def runbook(
    github: GitHub,
    command: str,
    *,
    run: WorkflowRun | None = None,
    environment: str = "",
    new_key: str = "",
) -> WorkflowRun | None:
    """Do what the runbook's ``command`` does on GitHub, then let the simulation settle.
    ``run`` is $RUN; ``environment`` names $ENV_ID's environment; ``new_key`` is $NEW_KEY."""
    assert command in runbook_commands(), f"not in the README's runbook: {command}"
    started: WorkflowRun | None = None
    if APPROVE.match(command):
        assert run is not None and environment
        (waiting,) = [
            j for j in github.sim.waiting() if j.run is run and j.environment == environment
        ]
        github.sim.approve(waiting)
    elif match := DISPATCH.match(command):
        started = github.sim.dispatch("apply.yml", {"environment": match.group(1)})
    elif match := SET_SECRET.match(command):
        github.sim.environments[match.group(2)].secrets[match.group(1)] = new_key
    elif RERUN.match(command):
        assert run is not None
        github.sim.rerun(run, failed_only=True)
    else:
        raise AssertionError(f"the runbook's command is not simulated: {command}")
    github.sim.settle()
    return started
