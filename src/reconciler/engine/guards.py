"""What a plan may touch: ownership, protection from deletion, and what a delete would break.

- Ownership: a resource is this desired state's when it carries ``managed-by: reconciler`` and
  the owner ``<project>/<environment>``; a data asset, when the latest version reconciler
  tagged does (a schedule's run registers its version bare, which changes nothing). Prune and
  replace touch only those, and versions are added only to those. Taking over anything else
  (made by hand, or by another project or environment) needs ``lifecycle.adopt: true``,
  except a hand-made resource or data asset that already matches, whose adoption only adds
  reconciler's tags (and writes secrets, which nothing can compare).
- Protection: ``lifecycle.prevent_destroy`` (recorded on the resource, so it outlives its
  declaration; only an explicit ``false`` lifts it) makes any plan that would delete or replace
  it fail with a located error.
- Immutable data: an import never writes where another data asset's data is (a version's
  folder, or a running import's), nor around it; `DataIndex` finds such folders.
- Dependents: deleting or replacing a connection or datastore names the imports that use it
  and the data versions stored on it.

Pure functions of desired and live values. They return decisions (`Verdict`, a refusal's
message, a field change); the planner applies them to the change it builds.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.core.desired import DesiredResource, DesiredState
from reconciler.core.errors import Problem
from reconciler.core.essences import ImportDefinition, Kind, ScheduleEssence, narrow
from reconciler.core.live import AssetVersion, DataLocation, LiveAsset, LiveResource
from reconciler.core.names import DatastoreUri, data_key
from reconciler.core.plan import PREVENT_DESTROY_FIELD, Action, FieldChange, Reason
from reconciler.core.sql import canonical
from reconciler.core.vocabulary import version_key


def owner_of(live: LiveResource | AssetVersion) -> str:
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


@dataclass(frozen=True)
class Verdict:
    """What a guard decides about a planned change: nothing (the default), another action or
    reason (adopting writes reconciler's tags: an update), or a refusal. The planner applies it
    to the change it is building; guards never build changes."""

    action: Action | None = None
    reason: Reason | None = None
    detail: str | None = None
    problem: Problem | None = None


LEAVE = Verdict()


def takeover(
    desired: DesiredResource,
    live: LiveResource,
    action: Action,
    fields: Sequence[FieldChange],
    state: DesiredState,
) -> Verdict:
    """What may happen to a declared resource that exists but is not this desired state's."""
    if live.system or (live.managed and live.owner in (None, state.owner)):
        return LEAVE  # ours (or written before owners were recorded: adopted)
    if desired.adopt:
        if action in (Action.UPDATE, Action.NOOP):
            return Verdict(action=Action.UPDATE, reason=Reason.TAKE_OVER)
        return LEAVE
    if not live.managed and action is not Action.REPLACE and not _known(fields):
        return LEAVE  # it already matches: adopting only adds reconciler's tags
    what = "replace it" if action is Action.REPLACE else "overwrite it"
    return Verdict(problem=_not_yours(desired, state, f"exists and is {owner_of(live)}", what))


def asset_takeover(
    desired: DesiredResource,
    made: AssetVersion | None,
    action: Action,
    fields: Sequence[FieldChange],
    version: str | None,
    state: DesiredState,
) -> Verdict:
    """What may happen to a declared import whose data asset exists but is not this desired
    state's: ``made`` is the version ownership is read from (the latest reconciler tagged, else
    the latest: a hand-made asset). Adding a version or changing metadata needs
    ``lifecycle.adopt``; a hand-made asset that already matches is adopted by writing
    reconciler's tags on the version the plan acts on."""
    if made is None or (made.managed and made.owner in (None, state.owner)):
        return LEAVE
    if action is Action.IN_PROGRESS:
        return LEAVE  # nothing is written while its import runs
    if desired.adopt:
        if action is Action.MATERIALIZE:
            return Verdict(reason=Reason.TAKE_OVER, detail=owner_of(made))
        return Verdict(action=Action.UPDATE, reason=Reason.TAKE_OVER)
    if not made.managed and action in (Action.NOOP, Action.UPDATE) and not _known(fields):
        return Verdict(action=Action.UPDATE, reason=Reason.ADOPT)
    what = {
        Action.MATERIALIZE: f"add version {version} to it",
        Action.UPDATE: "overwrite its metadata",
    }.get(action, "manage it as this project's")
    where = f"exists and is {owner_of(made)} (version {made.version})"
    return Verdict(problem=_not_yours(desired, state, where, what, f"data asset {desired.name}"))


def _known(fields: Sequence[FieldChange]) -> bool:
    """Whether a field can be compared, other than the protection (which adopting a matching
    resource writes along with reconciler's other tags)."""
    return any(not f.sensitive and f.path != PREVENT_DESTROY_FIELD for f in fields)


def _not_yours(
    desired: DesiredResource, state: DesiredState, where: str, what: str, name: str = ""
) -> Problem:
    return state.locator.problem(
        desired.config_path,
        f"{name or desired.address} {where}; this plan would {what}",
        "to take it over, set lifecycle: {adopt: true} on it and review the plan; or rename yours",
    )


def protection(
    desired: DesiredResource | None, live: LiveResource | None, action: Action, address: str
) -> str | None:
    """Why a delete or replace must not happen, or None. Protected is as declared when
    ``prevent_destroy`` is written, else as recorded on the resource."""
    if action not in (Action.DELETE, Action.REPLACE):
        return None
    recorded = live is not None and live.prevent_destroy
    if not (desired.protected(recorded) if desired is not None else recorded):
        return None
    verb = "delete" if action is Action.DELETE else "replace"
    if desired is None:
        how = (
            "it is no longer declared, but its protection is recorded on it: declare it again "
            "with lifecycle.prevent_destroy: false and apply, then remove it"
        )
    elif desired.prevent_destroy:
        how = "set lifecycle.prevent_destroy: false on it if it really must go"
    else:
        how = (
            "its protection is recorded on it, and removing the line does not lift it: set "
            "lifecycle.prevent_destroy: false on it if it really must go"
        )
    return f"{address} is protected by lifecycle.prevent_destroy; this plan would {verb} it; {how}"


def protection_change(desired: DesiredResource, recorded: bool) -> FieldChange | None:
    """The ``lifecycle.prevent_destroy`` field change when the declaration would change what
    is recorded (a protection is recorded so that it outlives its declaration)."""
    after = desired.protected(recorded)
    if after == recorded:
        return None
    return FieldChange(path=PREVENT_DESTROY_FIELD, before=recorded, after=after)


class UnreadData(Exception):
    """A change would write a new data version, and where other assets' data is has not been
    read yet: the planner reads it and plans again."""


class DataIndex:
    """Where every data asset's data is (`DataLocation`), indexed by folder, to find quickly
    what an import writing to a folder would overwrite or write into."""

    def __init__(self, locations: Iterable[DataLocation]) -> None:
        unique = dict.fromkeys(locations)  # an asset may be read twice (declared, undeclared)
        keyed = sorted(
            ((key, location) for location in unique if (key := data_key(location.path))),
            key=lambda item: (item[0], item[1].asset, version_key(item[1].version)),
        )
        self._keys = [key for key, _ in keyed]
        self._locations = [location for _, location in keyed]

    def around(self, path: str, *, besides: str) -> list[DataLocation]:
        """Data of assets other than ``besides`` at ``path``, inside it, or holding it."""
        key = data_key(path)
        if key is None:
            return []
        found: list[DataLocation] = []
        cut = 0
        while (cut := key.find("/", cut) + 1) and cut < len(key):  # the folders holding it
            at = bisect_left(self._keys, key[:cut])
            while at < len(self._keys) and self._keys[at] == key[:cut]:
                found.append(self._locations[at])
                at += 1
        at = bisect_left(self._keys, key)  # the folder itself and everything inside it
        while at < len(self._keys) and self._keys[at].startswith(key):
            found.append(self._locations[at])
            at += 1
        return [location for location in found if location.asset != besides]


def overlap_problem(
    desired: DesiredResource, found: list[DataLocation], state: DesiredState
) -> Problem:
    """The located refusal of an import whose target holds, or lies in, other assets' data."""
    first = found[0]
    what = (
        f"data asset {first.asset} version {first.version}"
        if not first.running
        else f"the running import of data asset {first.asset} (version {first.version})"
    )
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    return state.locator.problem(
        (*desired.config_path, "path"),
        f"{desired.imported.path} overlaps the data of {what}, stored at {first.path}{more}; "
        "data versions are immutable, and this import would write there",
        "give this import a path of its own that holds no other asset's data and lies in none "
        "(e.g. azureml://datastores/<datastore>/paths/" + desired.name + ")",
    )


def duplicate_schedule(
    desired: DesiredResource, action: Action, live: Iterable[LiveResource], state: DesiredState
) -> Problem | None:
    """A schedule this plan would create beside one that already imports the same data asset
    from the same source (made by hand, or under another name): the asset would be imported
    twice per period. Declaring the existing schedule's name adopts it instead."""
    if action is not Action.CREATE:
        return None
    mine = narrow(desired.essence, ScheduleEssence)
    for other in live:
        if other.kind is not Kind.SCHEDULE or other.name == desired.name:
            continue
        theirs = narrow(other.essence, ScheduleEssence)
        if theirs.import_name != mine.import_name or not _same_source(
            theirs.import_definition, mine.import_definition
        ):
            continue
        return state.locator.problem(
            desired.config_path,
            f"schedule {other.name} already imports data asset {mine.import_name} from the same "
            f"source ({owner_of(other)}); this plan would add {desired.name} beside it, and the "
            "asset would be imported twice",
            f"adopt it: write name: {other.name} under this schedule (with lifecycle: {{adopt: "
            "true}} if it is not made by hand); or delete it first",
        )
    return None


def _same_source(one: ImportDefinition, other: ImportDefinition) -> bool:
    return one.source.model_copy(update={"query": None}) == other.source.model_copy(
        update={"query": None}
    ) and canonical(one.source.query or "") == canonical(other.source.query or "")


def dependents(
    kind: Kind, name: str, desired: Iterable[DesiredResource], assets: Iterable[LiveAsset]
) -> tuple[str, ...]:
    """What deleting or replacing a connection or datastore affects."""
    found: list[str] = []
    for resource in desired:
        if resource.kind is not Kind.IMPORT:
            continue
        definition = resource.imported.definition
        uses = (
            definition.source.connection == name
            if kind is Kind.CONNECTION
            else _on_datastore(definition.path, name)
        )
        if uses:
            found.append(
                f"{resource.address} (imports {'from' if kind is Kind.CONNECTION else 'to'} it)"
            )
    if kind is Kind.DATASTORE:
        for asset in assets:
            stored = [v.version for v in asset.versions if _on_datastore(v.path, name)]
            if stored:
                found.append(f"data asset {asset.name} versions {', '.join(stored)} (stored on it)")
    return tuple(found)


def _on_datastore(uri: str, datastore: str) -> bool:
    parsed = DatastoreUri.parse(uri)
    return parsed is not None and parsed.datastore == datastore
