"""apply_plan(plan, config, workspace, reporter): make the workspace match a plan.

Before writing anything it re-plans from the current desired and live state; a saved plan whose
digests no longer match is refused (nothing unreviewed is applied). Steps run in plan order and
dispatch through one mapping. A failed step stops the steps that depend on it, not the others;
because planning is idempotent, re-running after any failure converges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal, Protocol

from reconciler.config import LoadedConfig
from reconciler.errors import ReconcileError, StalePlanError
from reconciler.graph import blocked_by
from reconciler.plan import Action, Plan, ResourceChange
from reconciler.planner import build_plan
from reconciler.providers.base import Workspace
from reconciler.resources import (
    CREDENTIAL_TAG_PREFIX,
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    SECRET_TAG_PREFIX,
    desired_resources,
)
from reconciler.secrets import SecretHasher, SecretKey, new_salt, resolve_secrets

Status = Literal["applied", "failed", "skipped"]


@dataclass(frozen=True)
class StepResult:
    address: str
    action: Action
    status: Status
    message: str = ""


@dataclass
class ApplyResult:
    results: list[StepResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return not any(r.status != "applied" for r in self.results)


class Reporter(Protocol):
    def step_started(self, step: ResourceChange) -> None: ...
    def step_progress(self, step: ResourceChange, rows: int) -> None: ...
    def step_finished(self, step: ResourceChange, result: StepResult) -> None: ...


@dataclass
class _Context:
    workspace: Workspace
    secrets: Mapping[SecretKey, str]
    hasher: SecretHasher
    salt: bytes
    reporter: Reporter

    def tags(self, step: ResourceChange) -> dict[str, str]:
        tags = {MANAGED_BY_TAG: MANAGED_BY_VALUE}
        if step.type == "connection":
            # Azure ML never returns a connection's credentials, not even the user name: keep
            # the non-secret ones readable beside it.
            credentials = (step.change.after or {}).get("credentials") or {}
            for key, value in sorted(credentials.items()):
                if key != "type":
                    tags[CREDENTIAL_TAG_PREFIX + key] = str(value)
        for path in step.secret_refs:
            value = self.secrets[(step.address, path)]
            tags[SECRET_TAG_PREFIX + path] = self.hasher.hash(value, self.salt)
        return tags

    def secret_values(self, step: ResourceChange) -> dict[str, str]:
        return {path: self.secrets[(step.address, path)] for path in step.secret_refs}


def check_fresh(
    plan: Plan, config: LoadedConfig, workspace: Workspace, hasher: SecretHasher
) -> None:
    """Refuse a saved plan whose desired or live state changed since it was made."""
    if plan.environment != config.environment:
        raise StalePlanError(
            f"the plan is for environment {plan.environment!r}, not {config.environment!r}",
            hint=f"apply it with --env {plan.environment}",
        )
    current = build_plan(config, workspace, prune=plan.prune, hasher=hasher)
    if current.workspace != plan.workspace:
        raise StalePlanError(f"the plan is for workspace {plan.workspace}, not {current.workspace}")
    # live first: the desired digest reuses stored secret hashes, so it moves with them
    if current.live_digest != plan.live_digest:
        raise StalePlanError(
            "the workspace changed since this plan was made; nothing was applied",
            hint="run reconcile plan again and review the new plan",
        )
    if current.desired_digest != plan.desired_digest:
        raise StalePlanError(
            "the desired state (platform.yaml, the environment file or a secret) changed since "
            "this plan was made; nothing was applied",
            hint="run reconcile plan again and review the new plan",
        )
    if current.resource_changes != plan.resource_changes or current.ignored != plan.ignored:
        raise StalePlanError(
            "the plan file's steps differ from what this desired state and workspace give "
            "(the file was edited, or made by another reconciler version); nothing was applied",
            hint="run reconcile plan again and review the new plan",
        )


def apply_plan(
    plan: Plan,
    config: LoadedConfig,
    workspace: Workspace,
    reporter: Reporter,
    hasher: SecretHasher | None = None,
    parallelism: int = 1,
) -> ApplyResult:
    """Run the plan's steps. Up to ``parallelism`` independent steps run at once; a step waits
    for the steps it depends on; deletions run last, one by one, in plan order."""
    hasher = hasher or SecretHasher()
    secrets = resolve_secrets(desired_resources(config.platform), config)
    context = _Context(workspace, secrets, hasher, new_salt(), reporter)
    steps = plan.steps
    forward = [s for s in steps if s.action is not Action.DELETE]
    outcomes: dict[str, StepResult] = {}
    failed: set[str] = set()

    def finish(step: ResourceChange, outcome: StepResult) -> None:
        if outcome.status != "applied":
            failed.add(step.address)
        outcomes[step.address] = outcome
        reporter.step_finished(step, outcome)

    planned = {s.address for s in steps}
    pending = list(forward)
    running: dict[Future[StepResult], ResourceChange] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        while pending or running:
            for step in list(pending):
                if len(running) >= max(1, parallelism):
                    break  # scan again when a slot frees up
                waiting = [d for d in step.depends_on if d in planned and d not in outcomes]
                blocker = blocked_by(step, failed)
                if blocker is not None and not waiting:
                    pending.remove(step)
                    reporter.step_started(step)
                    message = f"{blocker} did not apply"
                    finish(step, StepResult(step.address, step.action, "skipped", message))
                elif not waiting and len(running) < max(1, parallelism):
                    pending.remove(step)
                    reporter.step_started(step)
                    running[pool.submit(_run, step, context)] = step
            if running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    finish(running.pop(future), future.result())
            elif pending:  # every pending step waits on a step that is not in the plan
                raise AssertionError(f"unsatisfiable dependencies: {[s.address for s in pending]}")
    for step in steps:
        if step.action is Action.DELETE:
            reporter.step_started(step)
            finish(step, _run(step, context))
    return ApplyResult([outcomes[s.address] for s in steps])


def _run(step: ResourceChange, context: _Context) -> StepResult:
    handler = _HANDLERS.get(step.action)
    if handler is None:
        raise ValueError(f"no handler for action {step.action}")  # a bug, not a user error
    try:
        message = handler(step, context)
    except ReconcileError as exc:
        return StepResult(step.address, step.action, "failed", exc.message)
    if message is not None:
        return StepResult(step.address, step.action, "failed", message)
    return StepResult(step.address, step.action, "applied")


def _put(step: ResourceChange, context: _Context) -> str | None:
    assert step.change.after is not None
    context.workspace.put(
        step.type,  # type: ignore[arg-type]
        step.name,
        step.change.after,
        context.secret_values(step),
        context.tags(step),
    )
    return None


def _delete(step: ResourceChange, context: _Context) -> str | None:
    context.workspace.delete(step.type, step.name)  # type: ignore[arg-type]
    return None


def _replace(step: ResourceChange, context: _Context) -> str | None:
    _delete(step, context)
    return _put(step, context)


def _update(step: ResourceChange, context: _Context) -> str | None:
    if step.type != "import":
        return _put(step, context)
    after = step.change.after or {}
    assert step.version is not None
    context.workspace.update_asset_metadata(
        step.name, step.version, after.get("description"), after.get("tags") or {}
    )
    return None


def _materialize(step: ResourceChange, context: _Context) -> str | None:
    assert step.change.after is not None and step.version is not None
    job = context.workspace.materialize(
        step.name,
        step.version,
        step.change.after,
        lambda rows: context.reporter.step_progress(step, rows),
    )
    if job.status != "Completed":
        return f"import {step.name} failed (job {job.id}): {job.error or job.status}"
    return None


_HANDLERS: Mapping[Action, Callable[[ResourceChange, _Context], str | None]] = {
    Action.CREATE: _put,
    Action.UPDATE: _update,
    Action.REPLACE: _replace,
    Action.DELETE: _delete,
    Action.MATERIALIZE: _materialize,
}
