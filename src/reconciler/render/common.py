"""What every renderer says the same way: markers, action phrases, value formatting."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan import SENSITIVE, Action, FieldChange, ResourceChange

MARKERS = {
    Action.CREATE: "+",
    Action.MATERIALIZE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "±",
    Action.DELETE: "-",
    Action.NOOP: " ",
    Action.IN_PROGRESS: "…",
}


def describe(change: ResourceChange) -> str:
    """``create``, ``materialize version 2 (definition changed since version 1)``, …"""
    action = change.action
    if action is Action.MATERIALIZE:
        text = f"materialize version {change.version}"
    elif action is Action.IN_PROGRESS:
        text = f"in progress (version {change.version})"
    elif action is Action.REPLACE:
        text = "replace (" + ", ".join(change.change.replace_paths) + " cannot change in place)"
    elif action is Action.UPDATE and change.action_reason == "adopt_unmanaged":
        text = "update (adopt: not yet managed by reconciler)"
    else:
        text = action.value
    if change.action_reason and action in (Action.MATERIALIZE, Action.IN_PROGRESS):
        text += f": {change.action_reason}"
    return text


def value(item: Any) -> str:
    if item == SENSITIVE:
        return SENSITIVE
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def field_line(change: ResourceChange, field: FieldChange) -> str:
    """One field's change: ``path: before → after`` (just the new value on create)."""
    suffix = "  # forces replacement" if field.forces_replacement else ""
    if change.action in (Action.CREATE,) or (
        change.action is Action.MATERIALIZE and change.change.before is None
    ):
        return f"{field.path}: {value(field.after)}"
    if field.sensitive:
        return f"{field.path}: {SENSITIVE} (changed){suffix}"
    if field.before is None:
        return f"{field.path}: (none) → {value(field.after)}{suffix}"
    if field.after is None:
        return f"{field.path}: {value(field.before)} → (none){suffix}"
    return f"{field.path}: {value(field.before)} → {value(field.after)}{suffix}"


def visible(changes: tuple[ResourceChange, ...]) -> list[ResourceChange]:
    """Changes worth a line: everything but plain no-ops."""
    return [c for c in changes if c.action is not Action.NOOP]
