"""Does a fresh plan agree with the plan that was reviewed? What may apply, and what may not.

A saved plan is applied only where a plan made now, from the same checkout and the live
workspace, agrees with it: for every address the reviewed plan changes, the fresh plan makes
the same change (same action and the same field changes; a secret the reviewed plan could not
compare matches whatever is found; an automatically numbered import version may move). An
address that has meanwhile converged (no change left) agrees and needs nothing. Changes the
fresh plan has at addresses the reviewed plan did not change are not applied: nobody reviewed
them. The one exception is a resource whose only change is a secret the reviewed plan showed as
"compared at apply": the reviewer was told it would be, so it applies (a rotated secret).

Pure: two plans in, one `Review` out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reconciler.core.errors import StalePlanError
from reconciler.core.plan import Action, FieldChange, Plan, ResourceChange


@dataclass(frozen=True)
class Difference:
    address: str
    reviewed: str  # what the reviewed plan said, in words
    now: str  # what a plan made now says


@dataclass(frozen=True)
class Review:
    to_apply: tuple[ResourceChange, ...]  # fresh changes the reviewed plan agrees with
    differences: tuple[Difference, ...]  # reviewed addresses where the fresh plan differs
    unreviewed: tuple[ResourceChange, ...]  # fresh changes nobody reviewed: not applied

    @property
    def agrees(self) -> bool:
        return not self.differences

    def restrict(self, fresh: Plan) -> Plan:
        """What of ``fresh`` may be applied: the changes the reviewed plan agrees with, and
        what needs nothing (so the plan still shows it); never a change nobody reviewed."""
        agreed = {c.address for c in self.to_apply}
        kept = tuple(c for c in fresh.resource_changes if c.address in agreed or not c.is_change)
        return fresh.model_copy(update={"resource_changes": kept})


def check_environment(saved: Plan, environment: str) -> None:
    """A saved plan is applied only to its own environment: checked first, before anything
    (a secret store, the workspace, its lock) is contacted for another one."""
    if saved.environment != environment:
        raise StalePlanError(
            f"the plan is for environment {saved.environment!r}, not {environment!r}",
            hint=f"apply it with --env {saved.environment} (or without --env)",
        )


def check_binding(saved: Plan, environment: str, project: str, workspace: str) -> None:
    """A saved plan is applied only by the project, to the environment and workspace, it was
    made for: checked before the workspace is locked or written (nothing is created)."""
    check_environment(saved, environment)
    if saved.project != project:
        made = f"project {saved.project!r}" if saved.project else "no project (an older plan)"
        raise StalePlanError(
            f"the plan was made by {made}, not by project {project!r}; nothing was changed",
            hint="plan again in this project: reconcile plan --out FILE",
        )
    if saved.workspace != workspace:
        raise StalePlanError(
            f"the plan is for workspace {saved.workspace}, not {workspace}; nothing was changed",
            hint="plan again against this workspace",
        )


def review(saved: Plan, fresh: Plan) -> Review:
    check_binding(saved, fresh.environment, fresh.project, fresh.workspace)
    now = {c.address: c for c in fresh.resource_changes}
    agreed: list[str] = []
    differences: list[Difference] = []
    reviewed_addresses = set()
    for change in saved.resource_changes:
        current = now.get(change.address)
        if not change.is_change:
            if current is not None and _secret_rotation(change, current):
                agreed.append(change.address)
                reviewed_addresses.add(change.address)
            continue
        reviewed_addresses.add(change.address)
        if current is None or not current.is_change:
            continue  # converged meanwhile: nothing left to do
        if _same(change, current):
            agreed.append(change.address)
        else:
            differences.append(
                Difference(change.address, _words(change, current), _words(current, change))
            )
    to_apply = tuple(c for c in fresh.resource_changes if c.address in agreed)
    unreviewed = tuple(c for c in fresh.steps if c.address not in reviewed_addresses)
    return Review(to_apply, tuple(differences), unreviewed)


def _same(reviewed: ResourceChange, now: ResourceChange) -> bool:
    if reviewed.action is not now.action or reviewed.previous_address != now.previous_address:
        return False
    if reviewed.change.after != now.change.after:
        return False
    if reviewed.action is Action.MATERIALIZE:
        # What gets imported is the same definition. An automatically numbered version may
        # move and the field diff is against whatever version is latest, both because a
        # scheduled run registered a version meanwhile; a pinned version may not move.
        pinned = (reviewed.change.after or {}).get("version")
        return not pinned or reviewed.version == now.version
    unknown = {f.path for f in reviewed.fields if f.unknown}
    return _known(reviewed.fields, unknown) == _known(now.fields, unknown)


def _known(fields: tuple[FieldChange, ...], unknown: set[str]) -> list[tuple[object, ...]]:
    return [
        (f.path, f.before, f.after, f.sensitive, f.forces_replacement)
        for f in fields
        if f.path not in unknown
    ]


def _secret_rotation(reviewed: ResourceChange, now: ResourceChange) -> bool:
    """A no-op with secrets compared at apply, now an update of exactly those secrets."""
    unknown = {f.path for f in reviewed.fields if f.unknown}
    return (
        bool(unknown)
        and now.action is Action.UPDATE
        and reviewed.change.after == now.change.after
        and bool(now.fields)
        and all(f.sensitive and f.path in unknown for f in now.fields)
    )


def _words(change: ResourceChange, other: ResourceChange) -> str:
    """``change`` in a line, its long values cut where they differ from ``other``'s."""
    if not change.is_change:
        return change.action.value
    theirs = {f.path: f for f in other.fields}
    fields = "; ".join(_field(f, theirs.get(f.path)) for f in change.fields if not f.unknown)
    version = f" version {change.version}" if change.action is Action.MATERIALIZE else ""
    moved = f" moved from {change.previous_address}" if change.previous_address else ""
    return f"{change.action.value}{version}{moved}" + (f" ({fields})" if fields else "")


def _field(change: FieldChange, other: FieldChange | None) -> str:
    """``tags.owner: "a" → "b"`` (secrets as sensitive). A long value is cut around where it
    first differs from the other plan's, or else from its own other side: the two plans'
    lines never read the same when they differ."""
    if change.sensitive:
        return f"{change.path}: (sensitive) " + ("changed" if change.before else "not compared")
    before, after = _text(change.before), _text(change.after)
    own = _first_difference(before, after)
    if other is None:
        at_before = at_after = own
    else:
        at_before = _first_difference(before, _text(other.before), own)
        at_after = _first_difference(after, _text(other.after), own)
    return f"{change.path}: {_cut(before, at_before)} → {_cut(after, at_after)}"


def _text(value: object) -> str:
    return "(none)" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _first_difference(one: str, two: str, same: int | None = None) -> int:
    """Where ``one`` and ``two`` first differ; ``same`` when they are equal."""
    if one == two:
        return 0 if same is None else same
    found = next((i for i, (a, b) in enumerate(zip(one, two, strict=False)) if a != b), None)
    return min(len(one), len(two)) if found is None else found


def _cut(text: str, difference: int, width: int = 60, lead: int = 20) -> str:
    """``text`` within ``width`` characters, showing where it differs."""
    if len(text) <= width:
        return text
    start = max(0, difference - lead)
    if start == 0:
        return text[: width - 1] + "…"
    end = start + width - 2
    return "…" + text[start:end] + ("…" if end < len(text) else "")
