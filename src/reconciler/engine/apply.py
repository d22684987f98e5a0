"""apply_plan(plan, desired, workspace, reporter): make the workspace match a plan's steps.

The caller decides which plan: one made just now, or a fresh plan restricted to what a
reviewed plan agrees with (`reconciler.engine.review`). Steps dispatch through one mapping and
run in dependency order (`reconciler.engine.scheduler.run_steps`); a failed step stops the
steps that depend on it, not the others. Because planning is idempotent, re-running after any
failure converges. A step that raises anything is reported as failed, never lost, so the
summary and the exit code always tell what was applied. Before the first write, every plain
value the steps would write (fields, tags, names) is checked against the resolved secrets: one
holding a secret's value refuses the whole apply, whatever made the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from reconciler.core.desired import DesiredState, plain_strings
from reconciler.core.errors import LockLost, ReconcileError
from reconciler.core.essences import ImportEssence, Kind, parse_essence
from reconciler.core.live import JobStatus
from reconciler.core.plan import (
    ARCHIVED_FIELD,
    Action,
    ApplyResult,
    Plan,
    Reason,
    ResourceChange,
    StepResult,
)
from reconciler.core.secrets import SecretHasher, new_salt
from reconciler.core.tags import reconciler_tags, secret_hash_tags
from reconciler.core.workspace import LockGuard, Workspace
from reconciler.engine.scheduler import run_steps
from reconciler.engine.secretkey import writing_hasher


class Reporter(Protocol):
    def step_started(self, step: ResourceChange) -> None: ...
    def step_progress(self, step: ResourceChange, rows: int) -> None: ...
    def step_finished(self, step: ResourceChange, result: StepResult) -> None: ...


@dataclass
class _Context:
    workspace: Workspace
    desired: DesiredState
    hasher: SecretHasher
    salt: bytes
    reporter: Reporter
    provenance: Mapping[str, str]
    guard: LockGuard | None = None
    lost: LockLost | None = None  # the first sign that the lock is no longer held

    def held(self) -> bool:
        """Whether the apply lock is still held (asked before each step starts)."""
        if self.lost is None and self.guard is not None:
            try:
                self.guard.check()
            except LockLost as exc:
                self.lost = exc
        return self.lost is None

    def tags(self, step: ResourceChange) -> dict[str, str]:
        """What reconciler writes beside a resource (`reconciler.core.tags`), the secrets'
        salted hashes included."""
        hashes = {p: self.hasher.hash(v, self.salt) for p, v in self.secret_values(step).items()}
        return self.plain_tags(step) | secret_hash_tags(hashes)

    def plain_tags(self, step: ResourceChange) -> dict[str, str]:
        """`tags` but the secrets' salted hashes."""
        connection = step.type is Kind.CONNECTION
        return reconciler_tags(
            self.desired.owner,
            prevent_destroy=step.prevent_destroy,
            provenance=self.provenance,
            credentials=(step.change.after or {}).get("credentials") if connection else None,
        )

    def secret_values(self, step: ResourceChange) -> dict[str, str]:
        values = self.desired.secrets.of(step.address)
        missing = [p for p in step.secret_refs if p not in values]
        if missing:  # a plan made without secrets can be shown, never applied
            raise ReconcileError(f"{step.address}: secret {missing[0]} was not resolved")
        return {path: values[path] for path in step.secret_refs}


def apply_plan(
    plan: Plan,
    desired: DesiredState,
    workspace: Workspace,
    reporter: Reporter,
    *,
    hasher: SecretHasher | None = None,
    parallelism: int = 1,
    provenance: Mapping[str, str] | None = None,
    stopping: Callable[[], bool] = lambda: False,
    guard: LockGuard | None = None,
) -> ApplyResult:
    """Run the plan's steps: up to ``parallelism`` independent ones at once, each after the
    steps it depends on, deletions last and one by one. Once ``stopping()`` is true no new
    step starts; the result lists those never started. ``guard`` is the apply lock's: it is
    asked before each step starts, and once it says the lock is lost (or a step's write finds
    it so) no step starts again and the result says why."""
    context = _Context(
        workspace,
        desired,
        hasher or writing_hasher(desired, workspace),
        new_salt(),
        reporter,
        provenance or {},
        guard,
    )
    steps = plan.steps
    exposed = [where for step in steps for where in _in_clear(step, context)]
    if exposed:  # also for a plan made elsewhere: nothing written holds a secret's value
        raise ReconcileError(
            "refusing to apply: a secret's value would be written in clear, in "
            + "; ".join(exposed)
            + "; nothing was changed",
            hint="a secret's value may go only into secret fields: give it a value of its own "
            "(rotate it), or change the field that holds it",
        )
    outcomes, not_started = run_steps(
        steps,
        lambda step: _run(step, context),
        parallelism=parallelism,
        started=reporter.step_started,
        finished=reporter.step_finished,
        stopping=lambda: stopping() or not context.held(),
    )
    results = [outcomes[s.address] for s in steps if s.address in outcomes]
    lost = context.lost.message if context.lost is not None else None
    return ApplyResult(results, not_started, lost)


_WRITES = frozenset({Action.CREATE, Action.UPDATE, Action.REPLACE, Action.MATERIALIZE})


def _in_clear(step: ResourceChange, context: _Context) -> list[str]:
    """Where a plain value this step would write (a field, a tag, the name) holds a secret's
    value: named by field, never by value."""
    after = step.change.after
    if step.action not in _WRITES or after is None:
        return []
    secrets = context.desired.secrets
    if secrets.found_in(step.name):
        return [f"the name of a {step.type}"]
    fields = {k: v for k, v in after.items() if k != "fingerprint"}  # a digest, not a value
    found = [".".join(path) for path, text in plain_strings(fields) if secrets.found_in(text)]
    ours = context.plain_tags(step)
    found += [f"tag {key}" for key, text in ours.items() if secrets.found_in(text)]
    keys = [*(after.get("tags") or {}), *ours]
    found = [where for where in found if not secrets.found_in(where)]  # a key holds it
    if any(secrets.found_in(key) for key in keys):
        found.append("a tag key")
    return [f"{step.address}: {', '.join(sorted(set(found)))}"] if found else []


def _run(step: ResourceChange, context: _Context) -> StepResult:
    handler = _HANDLERS.get(step.action)
    try:
        if handler is None:
            raise ValueError(f"no handler for action {step.action}")  # a bug, not a user error
        message = handler(step, context)
    except LockLost as exc:  # a write found the lock gone: nothing was sent; start no more
        context.lost = context.lost or exc
        return StepResult(step.address, step.action, "failed", exc.message)
    except ReconcileError as exc:
        return StepResult(step.address, step.action, "failed", exc.message)
    except Exception as exc:  # a bug or an unmapped library error: still a reported failure
        text = f"internal error ({type(exc).__name__}); rerun with --debug and report it"
        return StepResult(step.address, step.action, "failed", text)
    if message is not None:
        return StepResult(step.address, step.action, "failed", message)
    return StepResult(step.address, step.action, "applied")


def _put(step: ResourceChange, context: _Context) -> str | None:
    assert step.change.after is not None
    essence = parse_essence(step.type, step.change.after)
    context.workspace.put(
        step.type, step.name, essence, context.secret_values(step), context.tags(step)
    )
    return None


def _delete(step: ResourceChange, context: _Context) -> str | None:
    context.workspace.delete(step.type, step.name)
    return None


def _replace(step: ResourceChange, context: _Context) -> str | None:
    _delete(step, context)
    return _put(step, context)


def _restore_if_archived(step: ResourceChange, context: _Context) -> None:
    if any(f.path == ARCHIVED_FIELD for f in step.fields):
        context.workspace.restore_asset(step.name)


def _update(step: ResourceChange, context: _Context) -> str | None:
    if step.type is not Kind.IMPORT:
        return _put(step, context)
    _move(step, context)
    _restore_if_archived(step, context)
    after = step.change.after or {}
    assert step.version is not None
    tags = {**(after.get("tags") or {}), **context.tags(step)}  # ownership moves on adoption
    repointed = step.action_reason is Reason.MOVED_DEPENDENCY
    essence = parse_essence(Kind.IMPORT, after) if after else None
    context.workspace.update_asset_metadata(
        step.name,
        step.version,
        after.get("description"),
        tags,
        definition=essence if repointed else None,
        auto_delete=essence.auto_delete_setting if essence is not None else None,
    )
    return None


def _move(step: ResourceChange, context: _Context) -> str | None:
    """A moved import's versions registered under its new name over the same data, then the
    old data asset archived (every version kept)."""
    if step.previous_address is None:
        return None
    old = step.previous_address.partition(".")[2]
    context.workspace.share_versions(old, step.name)
    context.workspace.archive_asset(old)
    return None


def _forget(step: ResourceChange, context: _Context) -> str | None:
    if step.type is Kind.IMPORT:
        context.workspace.forget_asset(step.name)
    else:
        context.workspace.forget(step.type, step.name)
    return None


def _archive(step: ResourceChange, context: _Context) -> str | None:
    context.workspace.archive_asset(step.name)
    return None


def _materialize(step: ResourceChange, context: _Context) -> str | None:
    assert step.change.after is not None and step.version is not None
    essence: ImportEssence = parse_essence(Kind.IMPORT, step.change.after)
    _move(step, context)
    _restore_if_archived(step, context)
    job = context.workspace.materialize(
        step.name,
        step.version,
        essence,
        lambda rows: context.reporter.step_progress(step, rows),
        tags=context.tags(step),
    )
    if job.status is not JobStatus.COMPLETED:
        return f"import {step.name} failed (job {job.id}): {job.error or job.status}"
    return None


_HANDLERS: Mapping[Action, Callable[[ResourceChange, _Context], str | None]] = {
    Action.CREATE: _put,
    Action.UPDATE: _update,
    Action.REPLACE: _replace,
    Action.DELETE: _delete,
    Action.ARCHIVE: _archive,
    Action.MATERIALIZE: _materialize,
    Action.MOVE: _move,
    Action.FORGET: _forget,
}
