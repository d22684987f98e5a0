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
    """Nothing to leave out any more: apply applies only what the review job recorded, so a
    scenario about apply runs the plan and review workflows too."""


def bootstrap(github: GitHub) -> None:
    """The workspaces as main declares them, applied by the flow once: an operator's first
    dispatch (the session's `seeded` fixture applied them once; this copies them) and the
    `applied-<env>` markers that dispatch left (`mark_applied`)."""
    assert github.repo.seed is not None
    for env in ("dev", "prod"):  # the session's `seeded` fixture checked they converged
        shutil.copytree(github.repo.seed / env, github.repo.workspace(env))
    mark_applied(github, ("dev", "prod"))


def mark_applied(github: GitHub, envs: tuple[str, ...]) -> None:
    """What a converged dispatch of the flow at main's head leaves on GitHub: a completed
    `workflow_dispatch` run of reconciler.yml on main that called our apply workflows, with an
    `applied-<env>` artifact per environment (where the next apply's window starts). Set up
    directly, as the workspaces are, instead of running that dispatch in every test."""
    sim = github.sim
    head = github.repo.head("main")
    run_id = next(sim.world.ids)
    repository = sim.repository
    with sim.locked():
        sim.load()
        sim.state["runs"].append(
            {
                "id": run_id,
                "name": "reconciler",
                "path": f".github/workflows/{FLOW}",
                "event": "workflow_dispatch",
                "head_sha": head,
                "head_branch": "main",
                "status": "completed",
                "conclusion": "success",
                "created_at": "2026-01-05T08:00:00Z",
                "html_url": f"https://github.com/{repository}/actions/runs/{run_id}",
                "head_repository": {"full_name": repository},
                "pull_requests": [],
                "actor": {"login": "octocat"},
                "triggering_actor": {"login": "octocat"},
                "run_attempt": 1,
                "referenced_workflows": [
                    {"path": f"{repository}/.github/workflows/{name}@refs/heads/main", "sha": head}
                    for name in ("reconciler-apply.yml", "reconciler-apply-env.yml")
                ],
            }
        )
        for env in envs:
            sim.state["artifacts"].append(
                {
                    "id": sim.new_id(),
                    "name": f"applied-{env}",
                    "expired": False,
                    "created_at": "2026-01-05T08:00:00Z",
                    "order": 0,
                    "workflow_run": {"id": run_id, "head_branch": "main", "head_sha": head},
                }
            )
        sim.save()


def job(run: WorkflowRun, key: str) -> Job:
    return run.job(key)


FLOW = "reconciler.yml"  # this repository's flow (plan, apply, drift): its own workflows
REVIEW = "review.yml"  # the review of each pull request's plan, from main
APPLY_JOBS = {"plan": "plan", "apply": "apply", "fresh": "apply the fresh plan"}


def stage_job(run: WorkflowRun, what: str, env: str) -> Job | None:
    """Job ``plan``, ``apply`` or ``fresh`` (apply the fresh plan) of ``env`` in an apply run
    (``apply / stage-K (<env>) / apply (<env>)``); None when its stage never started."""
    wanted = f" ({env}) / {APPLY_JOBS[what]} ({env})"
    found = [j for j in run.jobs if j.name.startswith("apply / stage-") and j.name.endswith(wanted)]
    return found[-1] if found else None


def result(run: WorkflowRun, what: str, env: str) -> str:
    """That job's result; ``skipped`` when its stage never started."""
    found = stage_job(run, what, env)
    return "skipped" if found is None else (found.result or found.state)


def plan_job(run: WorkflowRun, env: str) -> Job:
    """A pull request's ``plan / plan (<env>)``."""
    return run.job(f"plan / plan ({env})")


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
DISPATCH = re.compile(r"^gh workflow run reconciler\.yml -f environment=(\w+)$")
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
        started = github.sim.dispatch(FLOW, {"environment": match.group(1)})
    elif match := SET_SECRET.match(command):
        github.sim.environments[match.group(2)].secrets[match.group(1)] = new_key
    elif RERUN.match(command):
        assert run is not None
        github.sim.rerun(run, failed_only=True)
    else:
        raise AssertionError(f"the runbook's command is not simulated: {command}")
    github.sim.settle()
    return started
