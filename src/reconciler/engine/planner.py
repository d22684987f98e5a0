"""build_plan(desired, reader) -> Plan. Reads only; the same input gives the same plan.

Desired and live resources are reduced to essences and diffed field by field; secrets are
compared through their stored salted hashes; imports are planned by fingerprint (a new
version is materialised only when the definition changed, never twice for the same one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.core.desired import DesiredResource, DesiredState
from reconciler.core.errors import ConfigError, Problem
from reconciler.core.essences import ImportEssence, Kind, address
from reconciler.core.live import AssetVersion, ImportJob, LiveAsset, LiveResource, LiveState
from reconciler.core.plan import (
    ARCHIVED_FIELD,
    Action,
    Change,
    FieldChange,
    IgnoredResource,
    Orphan,
    Plan,
    Reason,
    ResourceChange,
)
from reconciler.core.secrets import SecretHasher
from reconciler.core.vocabulary import version_key
from reconciler.core.workspace import WorkspaceReader
from reconciler.engine.diff import diff_specs, secret_change
from reconciler.engine.guards import (
    DataIndex,
    dependents,
    import_guard,
    is_ours,
    overlap_problem,
    owner_of,
    protection,
    protection_change,
    takeover,
)
from reconciler.engine.order import order
from reconciler.engine.targeting import Scope

_RESOURCE_KINDS = (Kind.CONNECTION, Kind.DATASTORE, Kind.SCHEDULE)


def read_live(reader: WorkspaceReader, import_names: Iterable[str], owner: str) -> LiveState:
    """Every kind, the declared imports, the owner's imported assets and (when imports are
    declared) where every other asset's data is, read at once: against a remote workspace each
    is a chain of page requests, and the longest chain, not their sum, should bound the time."""
    names = sorted(import_names)
    pool = ThreadPoolExecutor(max_workers=len(_RESOURCE_KINDS) + 3)
    try:
        kinds = [pool.submit(reader.list_resources, kind) for kind in _RESOURCE_KINDS]
        assets = pool.submit(reader.list_assets, names)
        imported = pool.submit(reader.list_imported_assets, owner)
        elsewhere = pool.submit(reader.list_other_data, names) if names else None
        resources = tuple(r for read in kinds for r in read.result())
        return LiveState(
            resources,
            tuple(assets.result()),
            tuple(imported.result()),
            tuple(elsewhere.result()) if elsewhere else (),
        )
    finally:  # a failed or timed-out read does not wait for the others to give up
        pool.shutdown(wait=False, cancel_futures=True)


def build_plan(
    desired: DesiredState,
    reader: WorkspaceReader,
    *,
    prune: bool = False,
    hasher: SecretHasher | None = None,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
) -> Plan:
    """The plan for ``desired`` against what ``reader`` reads. ``targets`` limits it to those
    addresses and what they depend on (as Terraform's -target); ``replace`` asks for a new
    version of unchanged imports (or a delete + create of other resources)."""
    hasher = hasher or SecretHasher()
    imports = [r.name for r in desired.of_kind(Kind.IMPORT)]
    live = read_live(reader, imports, desired.owner)
    prune = prune or desired.prune
    scope = Scope.of(desired, live, targets, replace)
    changes, problems = _plan_changes(desired, live, hasher, scope)
    orphans, pruned, prune_problems = _orphans(desired, live, prune)
    problems += prune_problems
    if problems:
        raise ConfigError(problems=problems)
    return Plan(
        environment=desired.environment,
        workspace=reader.describe(),
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
    data = DataIndex((*live.elsewhere, *(d for a in live.assets for d in a.data())))
    changes: list[ResourceChange] = []
    problems: list[Problem] = []
    for resource in desired.resources:
        again = resource.address in scope.replace
        if resource.kind is Kind.IMPORT:
            change = _plan_import(resource, assets.get(resource.name), again)
            if isinstance(change, str):
                where = (*resource.config_path, "version")
                problems.append(desired.locator.problem(where, change))
                continue
            change, problem = import_guard(resource, assets.get(resource.name), change, desired)
            if problem is None and change.action is Action.MATERIALIZE:  # it would write
                found = data.around(resource.imported.path, besides=resource.name)
                problem = overlap_problem(resource, found, desired) if found else None
            if problem is not None:
                problems.append(problem)
        else:
            existing = by_address.get(resource.address)
            change = _plan_resource(resource, existing, desired, hasher)
            if again and change.action in (Action.NOOP, Action.UPDATE):
                change = change.model_copy(
                    update={
                        "action": Action.REPLACE,
                        "action_reason": Reason.REPLACE_REQUESTED,
                        "change": change.change.model_copy(
                            update={"actions": Action.REPLACE.terraform_actions}
                        ),
                    }
                )
            if existing is not None:
                change, problem = takeover(resource, existing, change, desired)
                if problem is not None:
                    problems.append(problem)
                change = change.model_copy(update={"last_changed_by": existing.provenance})
            refusal = protection(resource, existing, change)
            if refusal is not None:
                where = (*resource.config_path, "lifecycle", "prevent_destroy")
                problems.append(desired.locator.problem(where, refusal))
            if change.action is Action.REPLACE:
                affected = dependents(resource.kind, resource.name, desired.resources, live.assets)
                change = change.model_copy(update={"dependents": affected})
        changes.append(change)
    return changes, problems


def _orphans(
    desired: DesiredState, live: LiveState, prune: bool
) -> tuple[tuple[Orphan, ...], list[ResourceChange], list[Problem]]:
    """What this project and environment manage but no longer declare: drift. With prune,
    deletions (data assets: archives)."""
    wanted = {r.address for r in desired.resources}
    orphans: list[Orphan] = []
    pruned: list[ResourceChange] = []
    problems: list[Problem] = []
    for existing in live.resources:
        if existing.address in wanted or existing.system or not is_ours(existing, desired.owner):
            continue
        if not prune:
            orphans.append(Orphan(address=existing.address, with_prune=Action.DELETE))
            continue
        change = _delete(existing).model_copy(
            update={
                "dependents": dependents(
                    existing.kind, existing.name, desired.resources, live.assets
                ),
                "last_changed_by": existing.provenance,
            }
        )
        refusal = protection(None, existing, change)
        if refusal is not None:
            problems.append(Problem("platform.yaml", None, None, existing.address, refusal))
        pruned.append(change)
    for name in live.imported:
        if address(Kind.IMPORT, name) in wanted:
            continue
        if prune:
            pruned.append(_archive(name))
        else:
            orphans.append(Orphan(address=address(Kind.IMPORT, name), with_prune=Action.ARCHIVE))
    return tuple(sorted(orphans, key=lambda o: o.address)), pruned, problems


def _plan_resource(
    desired: DesiredResource,
    live: LiveResource | None,
    state: DesiredState,
    hasher: SecretHasher,
) -> ResourceChange:
    refs = {path: str(ref) for path, ref in desired.secrets.items()}
    spec = desired.spec
    if live is None:
        fields = [FieldChange(path=k, after=v) for k, v in flatten(spec)]
        fields += [secret_change(path) for path in desired.secrets]
        fields.sort(key=lambda f: f.path)
        change = _change(desired, Action.CREATE, None, tuple(fields), refs)
        return change.model_copy(update={"prevent_destroy": desired.protected(False)})
    fields = diff_specs(desired.kind, live.spec, spec)
    lifted = protection_change(desired, live.prevent_destroy)
    if lifted is not None:
        fields.append(lifted)
    fields = [f for f in fields if not (f.path in live.unreadable and f.before is None)]
    for path in sorted(desired.secrets):
        if not state.secrets.resolved:
            fields.append(secret_change(path, unknown=True))
            continue
        stored = live.secret_hashes.get(path)
        value = state.secrets.get(desired.address, path)
        if stored is None or value is None or not hasher.matches(value, stored):
            fields.append(secret_change(path))
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
    change = _change(desired, action, live.spec, tuple(fields), refs, reason, replace)
    return change.model_copy(update={"prevent_destroy": desired.protected(live.prevent_destroy)})


def _change(
    desired: DesiredResource,
    action: Action,
    before: dict[str, Any] | None,
    fields: tuple[FieldChange, ...],
    refs: dict[str, str],
    reason: Reason | None = None,
    replace_paths: tuple[str, ...] = (),
    version: str | None = None,
    detail: str | None = None,
) -> ResourceChange:
    return ResourceChange(
        address=desired.address,
        type=desired.kind,
        name=desired.name,
        action=action,
        change=Change(
            actions=action.terraform_actions,
            before=before,
            after=desired.spec,
            replace_paths=replace_paths,
        ),
        action_reason=reason,
        reason_detail=detail,
        fields=fields,
        depends_on=desired.depends_on,
        version=version,
        secret_refs=refs,
    )


def _plan_import(
    desired: DesiredResource, asset: LiveAsset | None, again: bool = False
) -> ResourceChange | str:
    """The import's change, or a message when the plan cannot be made. ``again``: a new
    version of an unchanged definition was asked for (``--replace``). A data asset archived
    (by ``--prune`` or by hand) and declared again is restored along with that change."""
    change = _plan_import_data(desired, asset, again)
    if isinstance(change, str) or asset is None:
        return change
    made = asset.acted_on(desired.imported.version)
    if made is not None and made.provenance:
        change = change.model_copy(update={"last_changed_by": made.provenance})
    if not asset.archived:
        return change
    if change.action is Action.IN_PROGRESS:
        return change
    restore = FieldChange(path=ARCHIVED_FIELD, before=True, after=False)
    update: dict[str, Any] = {"fields": tuple(sorted((*change.fields, restore), key=_path))}
    if change.action is Action.NOOP:
        update |= {
            "action": Action.UPDATE,
            "action_reason": Reason.RESTORE_ARCHIVED,
            "change": change.change.model_copy(update={"actions": Action.UPDATE.terraform_actions}),
        }
    elif change.action is Action.UPDATE and change.action_reason is None:
        update["action_reason"] = Reason.RESTORE_ARCHIVED
    return change.model_copy(update=update)


def _path(field: FieldChange) -> str:
    return field.path


def _plan_import_data(
    desired: DesiredResource, asset: LiveAsset | None, again: bool
) -> ResourceChange | str:
    spec = desired.imported
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
                f"--replace {desired.address}: version {pinned} is pinned and exists; a new "
                "snapshot needs a new version (bump it, or remove it to number automatically)"
            )
        assert asset is not None
        return _change(
            desired,
            Action.MATERIALIZE,
            definition,
            (),
            {},
            Reason.REPLACE_REQUESTED,
            version=asset.next_version(),
        )
    owed = current is not None and same and not pinned  # a pinned version is never moved
    unfinished = _failed_since(jobs, spec, current.version) if owed and current else None
    if unfinished is not None:  # a newer run of this definition (e.g. --replace) failed
        assert asset is not None
        return _change(
            desired,
            Action.MATERIALIZE,
            definition,
            (),
            {},
            Reason.RETRY_FAILED,
            version=asset.next_version(),
            detail=unfinished.error or unfinished.status.lower(),
        )
    if current is not None and same:
        metadata = _metadata(current)
        wanted = {"description": spec.description, "tags": spec.tags}
        fields = tuple(diff_specs(Kind.IMPORT, metadata, wanted))
        action = Action.UPDATE if fields else Action.NOOP
        return _change(desired, action, metadata, fields, {}, version=current.version)
    if pinned and current is not None:
        return (
            f"data asset {desired.name} version {pinned} already exists with a different "
            "definition, and versions are immutable; bump the version (or remove it to number "
            "versions automatically)"
        )
    running = next(
        (j for j in jobs if j.active and _same_job(j, spec)),
        None,
    )
    if running is not None:
        return _change(
            desired,
            Action.IN_PROGRESS,
            None,
            (),
            {},
            Reason.IMPORT_RUNNING,
            version=running.version,
            detail=running.id,
        )
    version = pinned or (asset.next_version() if asset else "1")
    last = next((j for j in reversed(jobs) if j.fingerprint == spec.fingerprint), None)
    before = current.definition.to_dict() if current and current.definition else None
    detail: str | None
    if last is not None and last.status.unsuccessful:
        reason, detail = Reason.RETRY_FAILED, last.error or last.status.lower()
    elif current is None:
        reason, detail = Reason.FIRST_VERSION, None
    else:
        reason, detail = Reason.DEFINITION_CHANGED, current.version
    # the new version is made with the declared description and tags: show them too
    wanted = {**definition, "description": spec.description, "tags": spec.tags}
    fields = (
        tuple(diff_specs(Kind.IMPORT, {**before, **_metadata(current)}, wanted))
        if before and current
        else tuple(FieldChange(path=k, after=v) for k, v in flatten(wanted))
    )
    return _change(
        desired, Action.MATERIALIZE, before, fields, {}, reason, version=version, detail=detail
    )


def _metadata(version: AssetVersion) -> dict[str, Any]:
    return {"description": version.description, "tags": version.tags}


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


def _same_job(job: ImportJob, spec: ImportEssence) -> bool:
    return job.fingerprint == spec.fingerprint or spec.definition.same_data(job.definition)


def flatten(spec: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Leaf fields as (dotted path, value), sorted; empty mappings stay as one field."""
    out: list[tuple[str, Any]] = []
    for key in sorted(spec):
        value = spec[key]
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out += flatten(value, path + ".")
        elif value is not None and value != {}:
            out.append((path, value))
    return out


def _archive(name: str) -> ResourceChange:
    return ResourceChange(
        address=address(Kind.IMPORT, name),
        type=Kind.IMPORT,
        name=name,
        action=Action.ARCHIVE,
        change=Change(actions=Action.ARCHIVE.terraform_actions),
        action_reason=Reason.ARCHIVE_NOT_DECLARED,
    )


def _delete(live: LiveResource) -> ResourceChange:
    return ResourceChange(
        address=live.address,
        type=live.kind,
        name=live.name,
        action=Action.DELETE,
        change=Change(actions=Action.DELETE.terraform_actions, before=live.spec, after=None),
        action_reason=Reason.DELETE_NOT_DECLARED,
    )


def _ignored(desired: DesiredState, live: LiveState) -> tuple[IgnoredResource, ...]:
    wanted = {r.address for r in desired.resources}
    out = []
    for resource in sorted(live.resources, key=lambda r: (r.kind, r.name)):
        if resource.address in wanted or is_ours(resource, desired.owner):
            continue
        reason = "system resource" if resource.system else owner_of(resource)
        out.append(IgnoredResource(address=resource.address, reason=reason))
    return tuple(out)
