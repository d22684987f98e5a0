"""Building blocks of the workflow scenarios: changes a pull request makes, a scheduled import,
and what a person sees (comments, job summaries, what is left to apply)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from reconciler.config.desired import desired_state
from reconciler.providers.local.provider import LocalWorkspace
from tests.workflows.conftest import VARS, GitHub, Repo
from tests.workflows.engine import Job, WorkflowRun

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
        job = workspace.materialize(asset, version, resource.essence)
        assert job.status == "Completed", job.error
        return version
    finally:
        workspace.close()


def bootstrap(github: GitHub) -> None:
    """The workspaces as main declares them (an operator's first apply, made once a session)."""
    assert github.repo.seed is not None
    for env in ("dev", "prod"):
        shutil.copytree(github.repo.seed / env, github.repo.workspace(env))
        assert github.repo.pending(env) == "No changes. The workspace matches the desired state."


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
