"""Renames and removals (``moved:``, ``removed:``): what they add to a plan.

- An import moved from ``old`` to ``new`` keeps its data: while ``old`` still holds versions
  that ``new`` lacks (or is not yet archived), the plan of ``new`` is made against ``old``'s
  versions as if they were already its own (`moved_asset`), so nothing is re-imported for the
  same definition; apply registers them under ``new`` over the same data (no byte copied), tags
  both sides (``reconciler.moved-from``/``moved-to``) and archives ``old``. A move is done once
  ``old`` is archived with every version registered under ``new``; the entry is then harmless.
  ``old``'s schedules (this project's) are deleted: the declared schedule of ``new`` replaces
  them, in the same plan.
- A connection or datastore, which Azure ML cannot rename, is created under the new name; every
  declared dependent names the new one already (an import whose definition differs only by that
  name is re-pointed: its versions' recorded definition is rewritten, nothing re-imported, see
  `repointed`); the old one is deleted after them (`moved_deletes`).
- ``removed`` with ``destroy: false`` plans a ``forget``: reconciler's tags, secret hashes and
  provenance are dropped, the resource stays (an import: its versions' tags; its schedules are
  forgotten too, and keep running); ``destroy: true`` plans the delete an undeclared resource
  gets with ``--prune`` (an import's data asset is archived and its schedules deleted), and
  ``prevent_destroy`` still refuses it.

Pure functions of desired and live values, as the guards are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.core.desired import DesiredResource, DesiredState, Move
from reconciler.core.errors import Problem
from reconciler.core.essences import ImportDefinition, Kind, ScheduleEssence, address, narrow
from reconciler.core.live import LiveAsset, LiveResource, LiveState
from reconciler.core.names import DatastoreUri
from reconciler.core.plan import Action, Change, Reason, ResourceChange
from reconciler.engine.guards import dependents, is_ours, protection


def moved_asset(
    move: Move, old: LiveAsset | None, new: LiveAsset | None, state: DesiredState
) -> tuple[LiveAsset | None, Problem | None]:
    """The data asset the import ``move.new`` is planned against while a move is pending: its
    own versions and those of ``old`` it does not have yet; None when no move is pending."""
    if old is None or not old.versions:
        return None, None
    have = {v.version: v for v in (new.versions if new else ())}
    missing = [v for v in old.versions if v.version not in have]
    if not missing and old.archived:
        return None, None  # done: the entry is harmless
    where = (*move.config_path, "from")
    owning = old.owning_version()
    if owning is None or owning.owner != state.owner:
        who = "nobody's (made by hand)" if owning is None else f"{owning.owner}'s"
        return None, state.locator.problem(
            where,
            f"data asset {move.old} is {who}, not this project's; a move renames only what "
            "this project manages",
            "declare it under its own name with lifecycle: {adopt: true} first, or remove "
            "this entry",
        )
    clash = [v.version for v in missing if v.version in have]
    clash += [
        v.version for v in old.versions if v.version in have and have[v.version].path != v.path
    ]
    if clash:
        return None, state.locator.problem(
            where,
            f"data asset {move.new} already has version {clash[0]} of other data; a move "
            "renames to a name no data asset uses yet",
        )
    versions = (*(new.versions if new else ()), *missing)
    jobs = (*old.jobs, *(new.jobs if new else ()))
    return LiveAsset(move.new, versions, jobs, archived=False), None


def repointed(definition: ImportDefinition, moves: Iterable[Move]) -> ImportDefinition | None:
    """The definition a declared import had before the connection or datastore it names moved
    (their new names replaced by the old): the same data, read or written through the resource
    under its old name; None when nothing it names moved."""
    renamed = {(m.kind, m.new): m.old for m in moves if m.kind is not Kind.IMPORT}
    connection = definition.source.connection
    parsed = DatastoreUri.parse(definition.path)
    datastore = parsed.datastore if parsed is not None else None
    found = through(
        definition,
        renamed.get((Kind.CONNECTION, connection), connection),
        renamed.get((Kind.DATASTORE, datastore), datastore) if datastore else None,
    )
    return None if found == definition else found


def through(
    definition: ImportDefinition, connection: str, datastore: str | None
) -> ImportDefinition:
    """``definition`` read through ``connection`` and written to the same folder of
    ``datastore`` (None: where it writes): the same data, under other names."""
    path = definition.path
    parsed = DatastoreUri.parse(path)
    if parsed is not None and datastore not in (None, parsed.datastore):
        path = str(DatastoreUri(datastore, parsed.folder))
    source = definition.source.model_copy(update={"connection": connection})
    return definition.model_copy(update={"source": source, "path": path})


def pending_moves(state: DesiredState, live: LiveState) -> dict[str, Move]:
    """Connection and datastore moves whose old resource is still this project's, by the new
    address: the new one's change says where it moved from."""
    by_address = {r.address: r for r in live.resources}
    found = {}
    for move in state.moves:
        old = by_address.get(move.old_address)
        if move.kind is not Kind.IMPORT and old is not None and is_ours(old, state.owner):
            found[move.new_address] = move
    return found


def moved_deletes(
    state: DesiredState,
    live: LiveState,
    changes: Iterable[ResourceChange],
) -> tuple[list[ResourceChange], list[Problem]]:
    """The old names of moved connections and datastores (and the schedules of moved imports),
    deleted after what now depends on the new names."""
    by_address = {r.address: r for r in live.resources}
    planned = {c.address for c in changes if c.is_change}
    deletes: list[ResourceChange] = []
    problems: list[Problem] = []
    for gone, successor in renamed_schedules(state, live).items():
        schedule = by_address[gone]
        refusal = protection(None, schedule, Action.DELETE, gone)
        declared = state.get(successor)
        if refusal is not None and declared is not None:
            problems.append(state.locator.problem(declared.config_path, refusal))
        deletes.append(delete_step(schedule, Reason.DELETE_MOVED, successor, ()))
    for move in state.moves:
        if move.kind is Kind.IMPORT:
            for schedule in _schedules_of(live.resources, move.old, state.owner):
                if state.get(schedule.address) is None:
                    deletes.append(delete_step(schedule, Reason.DELETE_MOVED, move.new_address, ()))
            continue
        old = by_address.get(move.old_address)
        if old is None or not is_ours(old, state.owner):
            continue
        refusal = protection(None, old, Action.DELETE, old.address)
        if refusal is not None:
            problems.append(state.locator.problem((*move.config_path, "from"), refusal))
        users = _users(move, state.resources)
        after = tuple(a for a in (move.new_address, *users) if a in planned)
        affected = dependents(move.kind, move.old, (), live.assets)
        deletes.append(delete_step(old, Reason.DELETE_MOVED, move.new_address, after, affected))
    return deletes, problems


def _users(move: Move, resources: Iterable[DesiredResource]) -> list[str]:
    """What is declared to use the moved connection or datastore under its new name."""
    found = []
    for resource in resources:
        definition = (
            resource.imported.definition
            if resource.kind is Kind.IMPORT
            else narrow(resource.essence, ScheduleEssence).import_definition
            if resource.kind is Kind.SCHEDULE
            else None
        )
        if definition is None:
            continue
        parsed = DatastoreUri.parse(definition.path)
        uses = (
            definition.source.connection == move.new
            if move.kind is Kind.CONNECTION
            else parsed is not None and parsed.datastore == move.new
        )
        if uses:
            found.append(resource.address)
    return found


def removal_steps(
    state: DesiredState, live: LiveState, assets: Mapping[str, LiveAsset]
) -> tuple[list[ResourceChange], list[Problem]]:
    """The forgets (``destroy: false``) and deletes or archives (``destroy: true``) that the
    ``removed`` entries ask for; nothing for what is already gone or not this project's."""
    by_address = {r.address: r for r in live.resources}
    steps: list[ResourceChange] = []
    problems: list[Problem] = []
    for removal in state.removals:
        if removal.kind is Kind.IMPORT:
            asset = assets.get(removal.name)
            owning = asset.owning_version() if asset is not None else None
            if asset is not None and owning is not None and owning.owner == state.owner:
                if not removal.destroy:
                    steps.append(_forget_asset(removal.name))
                elif not asset.archived:
                    steps.append(archive_step(removal.name, Reason.DELETE_REMOVED))
            for schedule in _schedules_of(live.resources, removal.name, state.owner):
                if state.get(schedule.address) is None:
                    steps.append(_end(schedule, removal.destroy, removal.address))
            continue
        existing = by_address.get(removal.address)
        if existing is None or existing.system or not is_ours(existing, state.owner):
            continue
        if removal.destroy:
            refusal = protection(None, existing, Action.DELETE, existing.address)
            if refusal is not None:
                problems.append(state.locator.problem((*removal.config_path, "from"), refusal))
            affected = dependents(existing.kind, existing.name, state.resources, live.assets)
            steps.append(delete_step(existing, Reason.DELETE_REMOVED, None, (), affected))
        else:
            steps.append(_end(existing, False, None))
    return steps, problems


def handled(state: DesiredState) -> set[str]:
    """Addresses a move or removal takes care of: not drift, whatever else they are."""
    found = {m.old_address for m in state.moves}
    found |= {r.address for r in state.removals}
    return found


def renamed_schedules(state: DesiredState, live: LiveState) -> dict[str, str]:
    """This project's schedules no longer declared whose import is declared with a schedule of
    another name (``schedule.name`` changed): old address -> the new one, which replaces it."""
    declared = {
        narrow(r.essence, ScheduleEssence).import_name: r.address
        for r in state.of_kind(Kind.SCHEDULE)
    }
    found = {}
    for schedule in live.resources:
        if schedule.kind is not Kind.SCHEDULE or state.get(schedule.address) is not None:
            continue
        name = narrow(schedule.essence, ScheduleEssence).import_name
        if name in declared and is_ours(schedule, state.owner):
            found[schedule.address] = declared[name]
    return found


def handled_schedule(schedule: LiveResource, state: DesiredState) -> bool:
    """A schedule of a moved or removed import: its move or removal takes care of it."""
    name = narrow(schedule.essence, ScheduleEssence).import_name
    olds = {m.old for m in state.moves if m.kind is Kind.IMPORT}
    olds |= {r.name for r in state.removals if r.kind is Kind.IMPORT}
    return name in olds


def _schedules_of(resources: Iterable[LiveResource], asset: str, owner: str) -> list[LiveResource]:
    return [
        r
        for r in resources
        if r.kind is Kind.SCHEDULE
        and is_ours(r, owner)
        and narrow(r.essence, ScheduleEssence).import_name == asset
    ]


def _end(live: LiveResource, destroy: bool, detail: str | None) -> ResourceChange:
    if destroy:
        return delete_step(live, Reason.DELETE_REMOVED, detail, ())
    return ResourceChange(
        address=live.address,
        type=live.kind,
        name=live.name,
        action=Action.FORGET,
        change=Change(before=live.spec, after=live.spec),
        action_reason=Reason.FORGET_REMOVED,
        reason_detail=detail,
        last_changed_by=live.provenance,
    )


def delete_step(
    live: LiveResource,
    reason: Reason,
    detail: str | None,
    after: tuple[str, ...],
    affected: tuple[str, ...] = (),
) -> ResourceChange:
    return ResourceChange(
        address=live.address,
        type=live.kind,
        name=live.name,
        action=Action.DELETE,
        change=Change(before=live.spec, after=None),
        action_reason=reason,
        reason_detail=detail,
        depends_on=after,
        dependents=affected,
        last_changed_by=live.provenance,
    )


def _forget_asset(name: str) -> ResourceChange:
    return ResourceChange(
        address=address(Kind.IMPORT, name),
        type=Kind.IMPORT,
        name=name,
        action=Action.FORGET,
        change=Change(),
        action_reason=Reason.FORGET_REMOVED,
    )


def archive_step(name: str, reason: Reason) -> ResourceChange:
    """Archive import ``name``'s data asset (its data is kept)."""
    return ResourceChange(
        address=address(Kind.IMPORT, name),
        type=Kind.IMPORT,
        name=name,
        action=Action.ARCHIVE,
        change=Change(),
        action_reason=reason,
    )
