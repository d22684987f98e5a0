"""The plan's order: connections, datastores, imports, schedules; deletes last, in reverse;
names sorted within a kind. Deterministic, so the same input prints a byte-identical plan."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.core.essences import KINDS
from reconciler.core.plan import Action, ResourceChange

_RANK = {kind: index for index, kind in enumerate(KINDS)}


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
