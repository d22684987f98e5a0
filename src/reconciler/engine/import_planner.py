"""The plan of one import: which version it acts on, and whether to import, relabel or wait.

Imports are planned by definition, not by field: a new version is materialised only when the
definition changed (compared by fingerprint, then by the query's parsed form), never twice for
the same one; a version that matches gets its description and tags updated; an import of this
definition still running is waited for. A pinned version is never moved. A data asset archived
and declared again is restored along with the change; its recorded protection and ownership
are read off the latest version reconciler tagged (`reconciler.engine.guards`).
"""

from __future__ import annotations

from typing import Any

from reconciler.core.desired import DesiredResource, DesiredState
from reconciler.core.errors import Problem
from reconciler.core.essences import ImportDefinition, ImportEssence, Kind
from reconciler.core.live import AssetVersion, ImportJob, LiveAsset
from reconciler.core.names import service_placed
from reconciler.core.plan import ARCHIVED_FIELD, Action, FieldChange, Reason, ResourceChange
from reconciler.core.vocabulary import version_key
from reconciler.engine.diff import diff_specs, flatten
from reconciler.engine.draft import Draft
from reconciler.engine.guards import (
    DataIndex,
    UnreadData,
    asset_takeover,
    overlap_problem,
    protection_change,
)
from reconciler.engine.refactor import repointed


def plan_import(
    resource: DesiredResource,
    asset: LiveAsset | None,
    again: bool,
    state: DesiredState,
    data: DataIndex | None,
    previous: str | None = None,
) -> tuple[ResourceChange | None, list[Problem]]:
    """The import's change and, when it may not happen as planned, the located problem.
    ``again``: a new version of an unchanged definition was asked for (``--replace``);
    ``data`` is where other data assets' data is (an import never writes there): None when
    not read yet, which a new version needs (`UnreadData`); ``previous``: the address it is
    moved from (``asset`` then holds that asset's versions too)."""
    draft = _version_plan(resource, asset, again, state)
    if isinstance(draft, str):
        return None, [state.locator.problem((*resource.config_path, "version"), draft)]
    draft.previous_address = previous
    if asset is not None:
        made = asset.acted_on(resource.imported.version)
        if made is not None and made.provenance:
            draft.last_changed_by = made.provenance
        if asset.archived and draft.action is not Action.IN_PROGRESS:
            _restore(draft)
    owning = asset.owning_version() if asset is not None else None
    recorded = owning is not None and owning.prevent_destroy
    draft.prevent_destroy = resource.protected(recorded)
    lifted = protection_change(resource, recorded)
    if lifted is not None and draft.action in (Action.NOOP, Action.UPDATE):
        draft.action = Action.UPDATE
        draft.add_field(lifted)
    made_by = owning or (asset.latest_version() if asset is not None else None)
    verdict = asset_takeover(resource, made_by, draft.action, draft.fields, draft.version, state)
    problem = draft.decide(verdict)
    # it would write: into a folder of its own choosing, unless the service places the run
    if (
        problem is None
        and draft.action is Action.MATERIALIZE
        and not service_placed(resource.imported.path)
    ):
        if data is None:
            raise UnreadData(resource.name)
        found = data.around(resource.imported.path, besides=resource.name)
        # a version of its own shares its folder with the asset it was moved from: legitimately
        own = {v.path for v in asset.versions} if asset is not None else set()
        found = [location for location in found if location.path not in own]
        problem = overlap_problem(resource, found, state) if found else None
    if previous is not None and draft.action is Action.NOOP:
        draft.action = Action.MOVE
    return draft.build(), [problem] if problem is not None else []


def _restore(draft: Draft) -> None:
    """An archived data asset declared again is restored with the change."""
    draft.add_field(FieldChange(path=ARCHIVED_FIELD, before=True, after=False))
    if draft.action is Action.NOOP:
        draft.action, draft.reason = Action.UPDATE, Reason.RESTORE_ARCHIVED
    elif draft.action is Action.UPDATE and draft.reason is None:
        draft.reason = Reason.RESTORE_ARCHIVED


def _version_plan(
    resource: DesiredResource, asset: LiveAsset | None, again: bool, state: DesiredState
) -> Draft | str:
    """The draft change of the import's data, or a message when the plan cannot be made."""
    spec = resource.imported
    versions = asset.versions if asset else ()
    jobs = asset.jobs if asset else ()
    pinned = spec.version
    current = (
        next((v for v in versions if v.version == pinned), None)
        if pinned
        else (asset.latest_version() if asset else None)
    )
    definition = spec.definition.to_dict()
    same = current is not None and (
        current.fingerprint == spec.fingerprint or spec.definition.same_data(current.definition)
    )
    if current is not None and same and again:
        if pinned:
            return (
                f"--replace {resource.address}: version {pinned} is pinned and exists; a new "
                "snapshot needs a new version (bump it, or remove it to number automatically)"
            )
        assert asset is not None
        return Draft(
            resource,
            Action.MATERIALIZE,
            definition,
            reason=Reason.REPLACE_REQUESTED,
            version=asset.next_version(),
        )
    owed = current is not None and same and not pinned  # a pinned version is never moved
    unfinished = _failed_since(jobs, spec, current.version) if owed and current else None
    if unfinished is not None:  # a newer run of this definition (e.g. --replace) failed
        assert asset is not None
        return Draft(
            resource,
            Action.MATERIALIZE,
            definition,
            reason=Reason.RETRY_FAILED,
            version=asset.next_version(),
            detail=unfinished.error or unfinished.status.lower(),
        )
    newer = _running_since(jobs, spec, current.version) if owed and current else None
    if newer is not None:  # a newer version of this definition is being made (--replace)
        return Draft(
            resource,
            Action.IN_PROGRESS,
            reason=Reason.IMPORT_RUNNING,
            version=newer.version,
            detail=newer.id,
        )
    if current is not None and same:
        metadata = _metadata(current, spec)
        fields = diff_specs(Kind.IMPORT, metadata, _wanted(spec))
        action = Action.UPDATE if fields else Action.NOOP
        return Draft(resource, action, metadata, fields, version=current.version)
    moved = repointed(spec.definition, state.moves)
    if current is not None and moved is not None and _made_with(current, moved):
        return _repoint(resource, current, moved)
    if pinned and current is not None:
        return (
            f"data asset {resource.name} version {pinned} already exists with a different "
            "definition, and versions are immutable; bump the version (or remove it to number "
            "versions automatically)"
        )
    running = next((j for j in jobs if j.active and _same_job(j, spec)), None)
    if running is not None:
        return Draft(
            resource,
            Action.IN_PROGRESS,
            reason=Reason.IMPORT_RUNNING,
            version=running.version,
            detail=running.id,
        )
    return _new_version(resource, asset, current, jobs)


def _new_version(
    resource: DesiredResource,
    asset: LiveAsset | None,
    current: AssetVersion | None,
    jobs: tuple[ImportJob, ...],
) -> Draft:
    """A version with the declared definition: the first, after a change, or a retry."""
    spec = resource.imported
    version = spec.version or (asset.next_version() if asset else "1")
    last = next((j for j in reversed(jobs) if j.fingerprint == spec.fingerprint), None)
    before = current.definition.to_dict() if current and current.definition else None
    detail: str | None
    if last is not None and last.status.unsuccessful:
        reason, detail = Reason.RETRY_FAILED, last.error or last.status.lower()
    elif current is None:
        reason, detail = Reason.FIRST_VERSION, None
    else:
        reason, detail = Reason.DEFINITION_CHANGED, current.version
    # the new version is made with the declared metadata: show it too
    wanted = {**spec.definition.to_dict(), **_wanted(spec)}
    fields = (
        diff_specs(Kind.IMPORT, {**before, **_metadata(current, spec)}, wanted)
        if before and current
        else [FieldChange(path=k, after=v) for k, v in flatten(wanted)]
    )
    return Draft(
        resource,
        Action.MATERIALIZE,
        before,
        fields,
        reason=reason,
        version=version,
        detail=detail,
    )


def _made_with(version: AssetVersion, definition: ImportDefinition) -> bool:
    return version.fingerprint == definition.fingerprint or definition.same_data(version.definition)


def _repoint(resource: DesiredResource, current: AssetVersion, moved: ImportDefinition) -> Draft:
    """The same data read or written through a moved connection or datastore: its recorded
    definition (and fingerprint) name the new one; nothing is imported again."""
    spec = resource.imported
    before = {**(current.definition or moved).to_dict(), **_metadata(current, spec)}
    wanted = {**spec.definition.to_dict(), **_wanted(spec)}
    return Draft(
        resource,
        Action.UPDATE,
        before,
        diff_specs(Kind.IMPORT, before, wanted),
        reason=Reason.MOVED_DEPENDENCY,
        version=current.version,
    )


def _metadata(version: AssetVersion, spec: ImportEssence) -> dict[str, Any]:
    """What a version has of the metadata an import declares (``auto_delete_setting`` only
    where either side has one: most imports never do)."""
    found: dict[str, Any] = {"description": version.description, "tags": version.tags}
    if version.auto_delete is not None or spec.auto_delete_setting is not None:
        found[AUTO_DELETE_FIELD] = version.auto_delete.to_dict() if version.auto_delete else None
    return found


def _wanted(spec: ImportEssence) -> dict[str, Any]:
    wanted: dict[str, Any] = {"description": spec.description, "tags": spec.tags}
    if spec.auto_delete_setting is not None:
        wanted[AUTO_DELETE_FIELD] = spec.auto_delete_setting.to_dict()
    return wanted


AUTO_DELETE_FIELD = "auto_delete_setting"


def _failed_since(
    jobs: tuple[ImportJob, ...], spec: ImportEssence, version: str
) -> ImportJob | None:
    """The newest run of this definition when it failed or was cancelled after ``version``
    was made: an asked-for new version (``--replace``) that is still owed, as Terraform keeps
    a resource whose replacement failed tainted."""
    newest = next((j for j in reversed(jobs) if _same_job(j, spec)), None)
    if newest is None or not newest.status.unsuccessful:
        return None
    return newest if version_key(newest.version) > version_key(version) else None


def _running_since(
    jobs: tuple[ImportJob, ...], spec: ImportEssence, version: str
) -> ImportJob | None:
    """The newest run of this definition when it is still running and makes a version after
    ``version`` (a ``--replace``, or an interrupted apply's whose lease has not run out): the
    workspace has not converged until it ends."""
    newest = next((j for j in reversed(jobs) if _same_job(j, spec)), None)
    if newest is None or not newest.active or not newest.version:
        return None
    return newest if version_key(newest.version) > version_key(version) else None


def _same_job(job: ImportJob, spec: ImportEssence) -> bool:
    return job.fingerprint == spec.fingerprint or spec.definition.same_data(job.definition)
