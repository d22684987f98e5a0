"""Deterministic order of plan steps: connections, datastores, imports, schedules; deletes last,
in reverse. Within a kind, names sort. The same input always yields the same order."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.plan import Action, ResourceChange
from reconciler.resources import KINDS

_RANK: dict[str, int] = {kind: index for index, kind in enumerate(KINDS)}


def order(changes: Iterable[ResourceChange]) -> tuple[ResourceChange, ...]:
    items = list(changes)
    forward = sorted(
        (c for c in items if c.action is not Action.DELETE), key=lambda c: (_RANK[c.type], c.name)
    )
    deletes = sorted(
        (c for c in items if c.action is Action.DELETE),
        key=lambda c: (-_RANK[c.type], c.name),
    )
    return (*forward, *deletes)


def blocked_by(change: ResourceChange, failed: set[str]) -> str | None:
    """The first failed or skipped dependency of ``change``, if any."""
    return next((dep for dep in change.depends_on if dep in failed), None)
