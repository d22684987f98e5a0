"""build_plan(desired, reader) -> Plan. Reads only; the same input gives the same plan.

Desired and live resources are reduced to essences and diffed field by field; secrets are
compared through their stored salted hashes; imports are planned by definition
(`reconciler.engine.import_planner`). Each change is drafted, the guards' decisions (ownership,
protection) applied to the draft, and built once (`reconciler.engine.draft`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial

from reconciler.core.consumers import ConsumerWindow
from reconciler.core.desired import DesiredResource, DesiredState
from reconciler.core.errors import PLAN_REFUSED, ConfigError, Problem
from reconciler.core.essences import Kind, ScheduleEssence, address, narrow
from reconciler.core.live import LiveAsset, LiveResource, LiveState
from reconciler.core.plan import (
    Action,
    FieldChange,
    IgnoredResource,
    Orphan,
    Plan,
    Reason,
    ResourceChange,
)
from reconciler.core.secrets import SecretHasher, guessable
from reconciler.core.workspace import WorkspaceReader
from reconciler.engine.consumers import with_consumers
from reconciler.engine.diff import diff_specs, flatten, rehash_change, secret_change
from reconciler.engine.draft import Draft
from reconciler.engine.guards import (
    DataIndex,
    UnreadData,
    dependents,
    duplicate_schedule,
    is_ours,
    owner_of,
    protection,
    protection_change,
    takeover,
)
from reconciler.engine.import_planner import plan_import
from reconciler.engine.order import order
from reconciler.engine.reading import read_live
from reconciler.engine.refactor import (
    archive_step,
    delete_step,
    handled,
    handled_schedule,
    moved_asset,
    moved_deletes,
    pending_moves,
    removal_steps,
    renamed_schedules,
)
from reconciler.engine.secretkey import reading_hasher
from reconciler.engine.targeting import Scope
from reconciler.engine.vanished import deleted_outside


def build_plan(
    desired: DesiredState,
    reader: WorkspaceReader,
    *,
    prune: bool = False,
    hasher: SecretHasher | None = None,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
    consumers: ConsumerWindow | None = None,
    now: datetime | None = None,
) -> Plan:
    """The plan for ``desired`` against what ``reader`` reads. ``targets`` limits it to those
    addresses and what they depend on (as Terraform's -target); ``replace`` asks for a new
    version of unchanged imports (or a delete + create of other resources); ``consumers``:
    also read who consumes what the plan changes (`reconciler.engine.consumers`)."""
    declared = desired.of_kind(Kind.IMPORT)
    moved = {n for m in desired.moves if m.kind is Kind.IMPORT for n in (m.old, m.new)}
    removed = {r.name for r in desired.removals if r.kind is Kind.IMPORT}
    names = sorted({r.name for r in declared} | moved | removed)
    # every version of a pinned import, and of what moves or is removed (rare, and planned
    # from each version's own tags); the others as the workspace summarizes them
    full = {r.name for r in declared if r.imported.version} | moved | removed
    hasher = hasher or reading_hasher(desired, reader)
    live = read_live(reader, names, desired.owner, pinned=full)
    plan = partial(
        plan_against,
        desired,
        workspace=reader.describe(),
        prune=prune,
        hasher=hasher,  # one for both passes: it remembers what it checked
        targets=targets,
        replace=replace,
    )
    try:
        made = plan(live)
    except UnreadData:  # a new version: keep it off every other asset's data
        live = dataclasses.replace(live, elsewhere=tuple(reader.list_other_data(names)))
        made = plan(live)
    if consumers is None:
        return made
    return with_consumers(made, reader, live, consumers, now)


def plan_against(
    desired: DesiredState,
    live: LiveState,
    workspace: str,
    *,
    prune: bool = False,
    hasher: SecretHasher | None = None,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
) -> Plan:
    """`build_plan` on what was read already (``workspace`` names it)."""
    hasher = hasher or SecretHasher()
    prune = prune or desired.prune
    scope = Scope.of(desired, live, targets, replace)
    changes, problems = _plan_changes(desired, live, hasher, scope)
    orphans, pruned, prune_problems = _orphans(desired, live, prune)
    problems += prune_problems
    assets = {a.name: a for a in live.assets}
    deletes, found = moved_deletes(desired, live, changes)
    removals, removal_problems = removal_steps(desired, live, assets)
    changes += [*deletes, *removals]
    problems += [*found, *removal_problems]
    if problems:
        raise ConfigError(problems=problems, heading=PLAN_REFUSED)
    return Plan(
        environment=desired.environment,
        workspace=workspace,
        project=desired.project,
        prune=prune,
        secrets_compared=desired.secrets.resolved,
        targets=scope.targets,
        replace=scope.replace,
        resource_changes=order(c for c in [*changes, *pruned] if scope.includes(c.address)),
        ignored=_ignored(desired, live),
        orphans=tuple(o for o in orphans if scope.includes(o.address)),
    )


def _plan_changes(
    desired: DesiredState, live: LiveState, hasher: SecretHasher, scope: Scope
) -> tuple[list[ResourceChange], list[Problem]]:
    by_address = {r.address: r for r in live.resources}
    assets = {a.name: a for a in live.assets}
    data = (
        DataIndex((*live.elsewhere, *(d for a in live.assets for d in a.data())))
        if live.elsewhere is not None
        else None
    )
    changes: list[ResourceChange] = []
    problems: list[Problem] = []
    elsewhere = pending_moves(desired, live)
    schedules = _other_schedules(desired, live)
    for resource in desired.resources:
        again = resource.address in scope.replace
        if resource.kind is Kind.IMPORT:
            asset, previous = assets.get(resource.name), None
            for move in (m for m in desired.moves if m.new_address == resource.address):
                moved, refused = moved_asset(move, assets.get(move.old), asset, desired)
                problems += [refused] if refused is not None else []
                if moved is not None:  # the address of a chain it is still at
                    asset, previous = moved, move.old_address
                    break
            change, found = plan_import(resource, asset, again, desired, data, previous)
        else:
            existing = by_address.get(resource.address)
            change, found = _plan_resource(
                resource, existing, again, desired, hasher, live, schedules
            )
            renamed = elsewhere.get(resource.address)
            if renamed is not None and change.action is Action.CREATE:
                change = change.model_copy(update={"previous_address": renamed.old_address})
        problems += found
        if change is not None:
            changes.append(change)
    return changes, problems


def _other_schedules(desired: DesiredState, live: LiveState) -> dict[str, list[LiveResource]]:
    """The workspace's schedules by the import they run, but this project's that this plan
    deletes because they were renamed: what a new schedule may duplicate. Built once per plan
    (per schedule it was quadratic: 5,000 scheduled imports took 90 s to plan)."""
    replaced = renamed_schedules(desired, live)
    found: dict[str, list[LiveResource]] = {}
    for item in live.resources:
        if item.kind is Kind.SCHEDULE and item.address not in replaced:
            name = narrow(item.essence, ScheduleEssence).import_name
            found.setdefault(name, []).append(item)
    return found


def _plan_resource(
    resource: DesiredResource,
    live: LiveResource | None,
    again: bool,
    state: DesiredState,
    hasher: SecretHasher,
    everything: LiveState,
    schedules: Mapping[str, Sequence[LiveResource]],
) -> tuple[ResourceChange, list[Problem]]:
    """A connection's, datastore's or schedule's change, and why it may not happen (another
    owner's resource, a protected one); ``again``: replace it (--replace)."""
    draft = _compare(resource, live, state, hasher)
    if live is None and (
        gone := deleted_outside(resource.kind, resource.name, everything, state.owner)
    ):
        draft.reason, draft.detail = Reason.DELETED_OUTSIDE, gone
    if again and draft.action in (Action.NOOP, Action.UPDATE):
        draft.action, draft.reason = Action.REPLACE, Reason.REPLACE_REQUESTED
    problems: list[Problem] = []
    if live is not None:
        refused = draft.decide(takeover(resource, live, draft.action, draft.fields, state))
        problems += [refused] if refused is not None else []
        draft.last_changed_by = live.provenance
    if resource.kind is Kind.SCHEDULE:
        mine = narrow(resource.essence, ScheduleEssence).import_name
        twice = duplicate_schedule(resource, draft.action, schedules.get(mine, ()), state)
        problems += [twice] if twice is not None else []
    refusal = protection(resource, live, draft.action, resource.address)
    if refusal is not None:
        where = (*resource.config_path, "lifecycle", "prevent_destroy")
        problems.append(state.locator.problem(where, refusal))
    if draft.action is Action.REPLACE:
        draft.dependents = dependents(
            resource.kind, resource.name, state.resources, everything.assets
        )
    return draft.build(), problems


def _compare(
    resource: DesiredResource,
    live: LiveResource | None,
    state: DesiredState,
    hasher: SecretHasher,
) -> Draft:
    """The change the declaration asks for: fields, secrets, protection, and the action."""
    refs = {path: str(ref) for path, ref in resource.secrets.items()}
    spec = resource.spec
    if live is None:
        fields = [FieldChange(path=k, after=v) for k, v in flatten(spec)]
        fields += [secret_change(path) for path in resource.secrets]
        fields.sort(key=lambda f: f.path)
        return Draft(
            resource,
            Action.CREATE,
            fields=fields,
            secret_refs=refs,
            prevent_destroy=resource.protected(False),
        )
    fields = diff_specs(resource.kind, live.spec, spec)
    lifted = protection_change(resource, live.prevent_destroy)
    if lifted is not None:
        fields.append(lifted)
    fields = [f for f in fields if not (f.path in live.unreadable and f.before is None)]
    for path in sorted(resource.secrets):
        if not state.secrets.resolved:
            fields.append(secret_change(path, unknown=True))
            continue
        stored = live.secret_hashes.get(path)
        value = state.secrets.get(resource.address, path)
        if stored is None:
            fields.append(secret_change(path, stored=False))
        elif value is None or not hasher.matches(value, stored):
            fields.append(secret_change(path))
    fields += [
        rehash_change(path)
        for path in sorted(resource.secrets)
        if guessable(live.secret_hashes.get(path, ""))
    ]
    fields.sort(key=lambda f: f.path)
    replace = tuple(f.path for f in fields if f.forces_replacement)
    known = [f for f in fields if not f.unknown]
    reason: Reason | None = None
    if replace:
        action, reason = Action.REPLACE, Reason.REPLACE_CANNOT_UPDATE
    elif not live.managed:
        action, reason = Action.UPDATE, Reason.ADOPT
    elif known:
        action = Action.UPDATE
    else:
        action = Action.NOOP
    return Draft(
        resource,
        action,
        live.spec,
        fields,
        reason=reason,
        replace_paths=replace,
        secret_refs=refs,
        prevent_destroy=resource.protected(live.prevent_destroy),
    )


def _orphans(
    desired: DesiredState, live: LiveState, prune: bool
) -> tuple[tuple[Orphan, ...], list[ResourceChange], list[Problem]]:
    """What this project and environment manage but no longer declare: drift. With prune,
    deletions (data assets: archives)."""
    wanted = {r.address for r in desired.resources} | handled(desired)
    renamed = renamed_schedules(desired, live)
    assets = {a.name: a for a in live.assets}
    orphans: list[Orphan] = []
    pruned: list[ResourceChange] = []
    problems: list[Problem] = []
    for existing in live.resources:
        if existing.address in wanted or existing.system or not is_ours(existing, desired.owner):
            continue
        if existing.kind is Kind.SCHEDULE and (
            handled_schedule(existing, desired) or existing.address in renamed
        ):
            continue
        if not prune:
            orphans.append(Orphan(address=existing.address, with_prune=Action.DELETE))
            continue
        refusal = protection(None, existing, Action.DELETE, existing.address)
        if refusal is not None:
            problems.append(Problem("platform.yaml", None, None, existing.address, refusal))
        affected = dependents(existing.kind, existing.name, desired.resources, live.assets)
        pruned.append(delete_step(existing, Reason.DELETE_NOT_DECLARED, None, (), affected))
    for name in live.imported:
        if address(Kind.IMPORT, name) in wanted or not _still_ours(assets.get(name), desired):
            continue
        if prune:
            pruned.append(archive_step(name, Reason.ARCHIVE_NOT_DECLARED))
        else:
            orphans.append(Orphan(address=address(Kind.IMPORT, name), with_prune=Action.ARCHIVE))
    return tuple(sorted(orphans, key=lambda o: o.address)), pruned, problems


def _still_ours(asset: LiveAsset | None, desired: DesiredState) -> bool:
    """An asset this owner's imports made is still its own unless its latest tagged version says
    otherwise: forgotten (removed: destroy: false), or taken over by another project."""
    if asset is None or not asset.versions:
        return True
    owning = asset.owning_version()
    return owning is not None and owning.owner == desired.owner


def _ignored(desired: DesiredState, live: LiveState) -> tuple[IgnoredResource, ...]:
    wanted = {r.address for r in desired.resources}
    out = []
    for resource in sorted(live.resources, key=lambda r: (r.kind, r.name)):
        if resource.address in wanted or is_ours(resource, desired.owner):
            continue
        reason = "system resource" if resource.system else owner_of(resource)
        out.append(IgnoredResource(address=resource.address, reason=reason))
    return tuple(out)
