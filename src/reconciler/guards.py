"""What a plan may touch: ownership, protection from deletion, and what a delete would break.

- Ownership: a resource is this desired state's when it carries ``managed-by: reconciler`` and
  the owner ``<project>/<environment>``. Prune and replace touch only those. Taking over
  anything else (made by hand, or by another project or environment) needs
  ``lifecycle.adopt: true``, except a hand-made resource that already matches, whose adoption
  only adds reconciler's tags (and writes secrets, which nothing can compare).
- Protection: ``lifecycle.prevent_destroy`` (recorded on the resource, so it outlives its
  declaration) makes any plan that would delete or replace it fail with a located error.
- Dependents: deleting or replacing a connection or datastore names the imports that use it
  and the data versions stored on it.

Pure functions of desired and live values; the planner calls them.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.desired import DesiredState
from reconciler.errors import Problem
from reconciler.plan import Action, Reason, ResourceChange
from reconciler.resources import DesiredResource, Kind, LiveAsset, LiveResource


def owner_of(live: LiveResource) -> str:
    """Who manages ``live``, in words."""
    if not live.managed:
        return "not managed by reconciler"
    if live.owner is None:
        return "managed by reconciler, owner not recorded"
    return f"managed by reconciler for {live.owner}"


def is_ours(live: LiveResource, owner: str) -> bool:
    """Ours to prune: managed for this project and environment (a resource written before
    owners were recorded is never pruned: nobody can tell whose it is)."""
    return live.managed and live.owner == owner


def takeover(
    desired: DesiredResource, live: LiveResource, change: ResourceChange, state: DesiredState
) -> tuple[ResourceChange, Problem | None]:
    """The change to a declared resource that exists but is not this desired state's."""
    if live.system or (live.managed and live.owner in (None, state.owner)):
        return change, None  # ours (or written before owners were recorded: adopted)
    if desired.adopt:
        if change.action in (Action.UPDATE, Action.NOOP):
            change = change.model_copy(
                update={"action": Action.UPDATE, "action_reason": Reason.TAKE_OVER}
            )
        return change, None
    known = [f for f in change.fields if not f.sensitive]
    if not live.managed and change.action is not Action.REPLACE and not known:
        return change, None  # it already matches: adopting only adds reconciler's tags
    what = "replace" if change.action is Action.REPLACE else "overwrite"
    problem = state.locator.problem(
        desired.config_path,
        f"{desired.address} exists and is {owner_of(live)}; this plan would {what} it",
        "to take it over, set lifecycle: {adopt: true} on it and review the plan; or rename yours",
    )
    return change, problem


def protection(
    desired: DesiredResource | None, live: LiveResource | None, change: ResourceChange
) -> str | None:
    """Why a delete or replace must not happen, or None."""
    if change.action not in (Action.DELETE, Action.REPLACE):
        return None
    declared = desired is not None and desired.prevent_destroy
    recorded = live is not None and live.prevent_destroy
    if not (declared or recorded):
        return None
    verb = "delete" if change.action is Action.DELETE else "replace"
    how = (
        "set lifecycle.prevent_destroy: false (and apply) first if it really must go"
        if declared
        else "it is no longer declared, but its protection is recorded on it: declare it "
        "again with lifecycle.prevent_destroy: false and apply, then remove it"
    )
    return (
        f"{change.address} is protected by lifecycle.prevent_destroy; this plan would {verb} "
        f"it; {how}"
    )


def dependents(
    kind: Kind, name: str, desired: Iterable[DesiredResource], assets: Iterable[LiveAsset]
) -> tuple[str, ...]:
    """What deleting or replacing a connection or datastore affects."""
    found: list[str] = []
    for resource in desired:
        if resource.kind is not Kind.IMPORT:
            continue
        definition = resource.essence.definition
        uses = (
            definition.source.connection == name
            if kind is Kind.CONNECTION
            else definition.path.startswith(f"azureml://datastores/{name}/")
        )
        if uses:
            found.append(
                f"{resource.address} (imports {'from' if kind is Kind.CONNECTION else 'to'} it)"
            )
    if kind is Kind.DATASTORE:
        prefix = f"azureml://datastores/{name}/"
        for asset in assets:
            stored = [v.version for v in asset.versions if v.path.startswith(prefix)]
            if stored:
                found.append(f"data asset {asset.name} versions {', '.join(stored)} (stored on it)")
    return tuple(found)
