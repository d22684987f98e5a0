"""What reconcile's commands do, as functions of a desired state and a workspace.

The CLI parses options, opens the desired state and the workspace, calls one of these, renders
what it returns and maps errors to exit codes; tests call them too, never a copy of the CLI's
sequence. Nothing here prints: what an apply shows and asks while it runs (the plan, progress,
a confirmation) goes through an `ApplyView`, and every outcome is a value.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from reconciler.core.consumers import ConsumerWindow
from reconciler.core.desired import DesiredState
from reconciler.core.errors import FlagsRefused, PolicyBlocked, ReconcileError
from reconciler.core.essences import Kind
from reconciler.core.live import AssetVersion, ImportJob, LiveAsset, LiveResource
from reconciler.core.plan import Action, ApplyResult, Plan, ResourceChange
from reconciler.core.policy import Decision, Level, PolicyCheck, PolicyReport
from reconciler.core.workspace import LockGuard, Workspace, WorkspaceReader
from reconciler.engine.apply import Reporter, apply_plan
from reconciler.engine.checks import SourceReport, check_sources, default_runner
from reconciler.engine.current import current_imports
from reconciler.engine.export import Export, export_yaml
from reconciler.engine.flags import unexpected_flags
from reconciler.engine.guards import is_ours
from reconciler.engine.planner import build_plan
from reconciler.engine.review import Review, check_binding, review
from reconciler.engine.secretkey import writing_hasher
from reconciler.imports.base import ImportRunner
from reconciler.imports.dataset import DatasetSummary, FolderSummary, summarize

Runners = Callable[[], ImportRunner]


# --- plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    plan: Plan
    sources: SourceReport | None = None  # with check_sources: can each changed source run?


def plan(
    desired: DesiredState,
    reader: WorkspaceReader,
    *,
    prune: bool = False,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
    check_sources_too: bool = False,
    runners: Runners = default_runner,
    consumers: ConsumerWindow | None = None,
    now: datetime | None = None,
    policy: PolicyCheck | None = None,
    provenance: Mapping[str, str] | None = None,
) -> Planned:
    """``reconcile plan``: the plan, with (``consumers``) the schedules and recent jobs that
    read what it changes and what ``policy`` says of it, and (``check_sources_too``) what its
    sources answer."""
    made = build_plan(
        desired,
        reader,
        prune=prune,
        targets=targets,
        replace=replace,
        consumers=consumers,
        now=now,  # the consumers' clock: the window and the schedules' next runs
    )
    if policy is not None:
        made = judged(made, policy.evaluate(made, desired, provenance or {}))
    report = check_sources(made, desired, runners) if check_sources_too else None
    return Planned(made, report)


def judged(plan: Plan, report: PolicyReport) -> Plan:
    """``plan`` carrying what the policies said of it."""
    return plan.model_copy(update={"policy": report})


POLICY_OVERRIDE = "policy-override"  # provenance key: why soft policy failures were overridden


def policy_refusal(report: PolicyReport) -> PolicyBlocked:
    """Why apply refuses a plan the policies block."""
    hard, soft = len(report.of_level(Level.HARD)), len(report.of_level(Level.SOFT))
    if report.decision is Decision.HARD_FAILED:
        return PolicyBlocked(
            f"the policies block this plan: {hard} hard failure(s)"
            + (f" and {soft} soft" if soft else "")
            + "; nothing was applied",
            hint="change the desired state so that the plan complies (a hard failure cannot be "
            "overridden), or change the policy where it is owned",
        )
    return PolicyBlocked(
        f"the policies block this plan: {soft} soft failure(s); nothing was applied",
        hint="a policy owner may override soft failures: reconcile apply --policy-override "
        "'REASON' (the reason is recorded on everything apply writes)",
    )


# --- apply -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyRequest:
    saved: Plan | None = None  # a reviewed plan (apply FILE): it carries its own scope
    prune: bool = False
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    parallelism: int = 1
    check_sources: bool = False
    auto_approve: bool = False  # without it (and without a saved plan) the view confirms
    lock: bool = True
    lock_timeout: float = 0.0
    wait: bool = False  # also wait for imports that were already running
    provenance: Mapping[str, str] = field(default_factory=dict)  # what is making the change
    policy: PolicyCheck | None = None  # evaluated on the plan to apply; blocks it if it fails
    policy_override: str | None = None  # why soft policy failures may pass (recorded)
    # a pipeline applying a file someone else wrote: the saved plan's prune, targets, replace
    # and environment must be the settings' and these (``targets``, ``replace``) exactly
    expect_flags: bool = False


class Steps(Reporter, Protocol):
    """Progress of the steps while they run, and whether to start no more (Ctrl-C)."""

    def stopping(self) -> bool: ...


class ApplyView(Protocol):
    """What an apply shows and asks while it runs, in this order."""

    def planned(self, fresh: Plan) -> None:
        """The plan made now, before any review (``--fresh-plan-out`` keeps it)."""

    def to_apply(self, plan: Plan) -> None:
        """The plan whose steps will run (a reviewed plan's agreed part)."""

    def sources_checked(self, report: SourceReport) -> None:
        """Every changed source answered (``--check-sources``)."""

    def confirm(self, plan: Plan) -> bool:
        """Whether to go on (asked only without ``auto_approve`` or a reviewed plan)."""

    def running(self) -> AbstractContextManager[Steps]:
        """Around the steps: their progress, and whether to start no more."""

    def applied(
        self, plan: Plan, result: ApplyResult, unreviewed: tuple[ResourceChange, ...]
    ) -> None:
        """What happened (``result`` is empty when nothing needed doing)."""

    def waiting(self, running: Mapping[str, str]) -> None:
        """About to wait for imports already running (asset -> job id)."""


@dataclass(frozen=True)
class Applied:
    fresh: Plan  # the plan made now
    plan: Plan | None  # what was applied; None when the reviewed plan disagreed
    result: ApplyResult = field(default_factory=ApplyResult)
    unreviewed: tuple[ResourceChange, ...] = ()  # fresh changes nobody reviewed: left alone
    review: Review | None = None  # of the saved plan against the fresh one
    cancelled: bool = False  # the view did not confirm: nothing changed
    waited: Mapping[str, ImportJob] = field(default_factory=dict)  # running imports, ended

    @property
    def disagrees(self) -> bool:
        return self.review is not None and not self.review.agrees


def apply_reviewed(
    desired: DesiredState,
    workspace: Workspace,
    request: ApplyRequest,
    view: ApplyView,
    *,
    runners: Runners = default_runner,
) -> Applied:
    """``reconcile apply [FILE]``: under the workspace's lock, plan now; with a reviewed plan,
    keep only what it agrees with (nothing when it disagrees anywhere it changes something);
    check sources; confirm; apply; and (``wait``) wait for imports already running."""
    if request.saved is not None:  # before the lock: a plan for elsewhere creates nothing
        check_binding(request.saved, desired.environment, desired.project, workspace.describe())
    if request.expect_flags and request.saved is not None:
        found = unexpected_flags(
            request.saved,
            environment=desired.environment,
            prune=desired.prune,
            targets=request.targets,
            replace=request.replace,
        )
        if found:
            raise FlagsRefused(
                "the saved plan asks for " + "; ".join(found) + ": nothing was applied",
                hint="plan again with the expected settings (a pipeline never applies a scope "
                "it did not ask for)",
            )
    lock: AbstractContextManager[LockGuard | None] = (
        workspace.lock(_holder(request.provenance), request.lock_timeout)
        if request.lock
        else nullcontext()
    )
    with lock as guard:
        applied = _apply(desired, workspace, request, view, runners, guard)
        done = applied.plan is not None and applied.result.ok and not applied.cancelled
        return _wait(workspace, applied, view) if request.wait and done else applied


def _apply(
    desired: DesiredState,
    workspace: Workspace,
    request: ApplyRequest,
    view: ApplyView,
    runners: Runners,
    guard: LockGuard | None,
) -> Applied:
    saved = request.saved  # a reviewed plan carries its own scope (checked: expect_flags)
    hasher = writing_hasher(desired, workspace)
    fresh = build_plan(
        desired,
        workspace,
        hasher=hasher,
        prune=saved.prune if saved is not None else request.prune,
        targets=saved.targets if saved is not None else request.targets,
        replace=saved.replace if saved is not None else request.replace,
    )
    view.planned(fresh)
    verdict = review(saved, fresh) if saved is not None else None
    if verdict is not None and not verdict.agrees:
        return Applied(fresh, None, review=verdict)
    chosen = verdict.restrict(fresh) if verdict is not None else fresh
    unreviewed = verdict.unreviewed if verdict is not None else ()
    provenance = dict(request.provenance)
    if request.policy is not None:  # never a saved plan's results: the plan applied, now
        judgement = request.policy.evaluate(chosen, desired, provenance)
        chosen = judged(chosen, judgement.overridden(request.policy_override))
    view.to_apply(chosen)
    if chosen.policy is not None and chosen.policy.blocked:
        raise policy_refusal(chosen.policy)
    if chosen.policy is not None and chosen.policy.override:
        provenance[POLICY_OVERRIDE] = chosen.policy.override
    if request.check_sources:
        report = check_sources(chosen, desired, runners)
        refused = report.refusal()
        if refused is not None:
            raise refused
        view.sources_checked(report)
    if not chosen.steps:
        view.applied(chosen, ApplyResult(), unreviewed)
        return Applied(fresh, chosen, unreviewed=unreviewed, review=verdict)
    if saved is None and not request.auto_approve and not view.confirm(chosen):
        return Applied(fresh, chosen, unreviewed=unreviewed, cancelled=True)
    with view.running() as steps:
        result = apply_plan(
            chosen,
            desired,
            workspace,
            steps,
            parallelism=request.parallelism,
            provenance=provenance,
            stopping=steps.stopping,
            guard=guard,
            hasher=hasher,
        )
    view.applied(chosen, result, unreviewed)
    return Applied(fresh, chosen, result, unreviewed, verdict)


def _holder(provenance: Mapping[str, str]) -> str:
    """Who holds the lock, in words: the CI run, else who and which process."""
    who = provenance.get("run") or f"{provenance.get('by', 'someone')} (pid {os.getpid()})"
    return f"reconcile apply by {who}"


def _wait(reader: WorkspaceReader, applied: Applied, view: ApplyView) -> Applied:
    """``--wait``: the imports that were already running when apply planned."""
    running = {
        c.name: c.reason_detail or ""
        for c in applied.fresh.resource_changes
        if c.action is Action.IN_PROGRESS
    }
    if not running:
        return applied
    view.waiting(running)
    ended = wait_for_imports(reader, running)
    return Applied(
        applied.fresh,
        applied.plan,
        applied.result,
        applied.unreviewed,
        applied.review,
        waited=ended,
    )


def wait_for_imports(
    reader: WorkspaceReader,
    running: Mapping[str, str],
    *,
    poll_seconds: float = 1.0,
    timeout: float | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> dict[str, ImportJob]:
    """Wait for import jobs already running (asset -> job id) to end; returns the ended jobs
    (those still running when ``timeout`` passes are left out)."""
    pending = dict(running)
    ended: dict[str, ImportJob] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    while pending and not stopping():
        for asset in reader.list_assets(sorted(pending)):
            job = next((j for j in asset.jobs if j.id == pending.get(asset.name)), None)
            if job is not None and not job.active:
                ended[asset.name] = job
                del pending[asset.name]
        if pending:
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(poll_seconds)
    return ended


# --- reading the workspace -------------------------------------------------------------------


_EXPORTED = (Kind.CONNECTION, Kind.DATASTORE, Kind.IMPORT)
_LISTED = (Kind.CONNECTION, Kind.DATASTORE, Kind.SCHEDULE)


def export_workspace(reader: WorkspaceReader, kinds: Iterable[Kind] = _EXPORTED) -> Export:
    """``reconcile export``: what the workspace holds, as platform.yaml sections."""
    resources = [r for kind in _LISTED for r in reader.list_resources(kind)]
    made = reader.list_import_definitions()
    current = current_imports(made, reader.list_assets(sorted(made)), resources)
    imports = {name: c.definition for name, c in current.items()}
    latest = {name: c.latest for name, c in current.items() if c.latest is not None}
    return export_yaml(resources, imports, latest, tuple(kinds) or _EXPORTED)


@dataclass(frozen=True)
class Managed:
    owner: str
    resources: tuple[LiveResource, ...]
    assets: tuple[LiveAsset, ...]


def list_managed(desired: DesiredState, reader: WorkspaceReader) -> Managed:
    """``reconcile list``: what this project and environment manage."""
    resources = tuple(
        r for kind in _LISTED for r in reader.list_resources(kind) if is_ours(r, desired.owner)
    )
    names = {r.name for r in desired.of_kind(Kind.IMPORT)}
    names |= set(reader.list_imported_assets(desired.owner))
    return Managed(desired.owner, resources, tuple(reader.list_assets(sorted(names))))


@dataclass(frozen=True)
class ImportStatus:
    names: tuple[str, ...]  # the declared imports
    assets: tuple[LiveAsset, ...]
    schedules: tuple[LiveResource, ...]


def import_status(desired: DesiredState, reader: WorkspaceReader) -> ImportStatus:
    """``reconcile status``: each declared import's data asset and the schedules."""
    names = tuple(sorted(r.name for r in desired.of_kind(Kind.IMPORT)))
    return ImportStatus(
        names,
        tuple(reader.list_assets(names)),
        tuple(reader.list_resources(Kind.SCHEDULE)),
    )


@dataclass(frozen=True)
class Shown:
    asset: str
    version: AssetVersion
    summary: DatasetSummary | FolderSummary


def show_asset(
    desired: DesiredState,
    workspace: Workspace,
    asset: str,
    version: str | None = None,
    head_rows: int = 5,
) -> Shown:
    """``reconcile show``: a data asset version's data, summarised."""
    found = workspace.list_assets([asset])
    latest = found[0].latest_version() if found else None
    declared = sorted(r.name for r in desired.of_kind(Kind.IMPORT))
    if latest is None and asset not in declared:
        raise ReconcileError(
            f"no data asset {asset!r} in this workspace, and no import of that name is declared",
            hint="declared imports: " + (", ".join(declared) or "none"),
        )
    if latest is None:
        raise ReconcileError(
            f"data asset {asset!r} has no registered version yet",
            hint="run reconcile apply, then reconcile status",
        )
    chosen = version or latest.version
    picked = next((v for v in found[0].versions if v.version == chosen), None)
    if picked is None:
        known = ", ".join(v.version for v in found[0].versions)
        raise ReconcileError(f"data asset {asset!r} has no version {chosen!r} (it has: {known})")
    summary = summarize(workspace.data_folder(asset, chosen), head_rows)
    return Shown(asset, picked, summary)
