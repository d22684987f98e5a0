"""Field-level differences between a desired and a live essence.

Both sides are already essences (see `reconciler.core.essences`), so what remains different is a
real change. deepdiff finds the differences; we turn them into our own `FieldChange` values and
mark the fields Azure ML cannot change in place. deepdiff is imported here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.essences import Kind
from reconciler.core.plan import SENSITIVE, FieldChange
from reconciler.core.vocabulary import DATASTORE_CONTAINER_FIELDS, SECRET_TAG_PREFIX

# Fields Azure ML cannot update in place: changing one means delete + create.
REPLACE_FIELDS: Mapping[Kind, frozenset[str]] = {
    Kind.CONNECTION: frozenset({"type"}),
    Kind.DATASTORE: frozenset(
        {"type", "account_name", "endpoint", "artifact", *DATASTORE_CONTAINER_FIELDS}
    ),
    Kind.IMPORT: frozenset(),
    Kind.SCHEDULE: frozenset(),
}
_MISSING = object()


def diff_specs(kind: Kind, before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Changes from ``before`` (live) to ``after`` (desired); empty when they are equal."""
    if before == after:
        return []
    from deepdiff import DeepDiff  # ~0.1 s to import: only when something differs

    tree = DeepDiff(before, after, view="tree", verbose_level=2)
    paths: set[tuple[str, ...]] = set()
    for level in (lvl for report in tree.values() for lvl in report):
        parts: list[str] = []
        for part in level.path(output_format="list"):
            if isinstance(part, int):
                break  # lists change as a whole
            parts.append(str(part))
        paths.add(tuple(parts))
    changes = []
    for path in sorted(paths):
        old, new = _get(before, path), _get(after, path)
        if path and path[-1] == "query" and _same_query(old, new):
            continue  # layout, case or comments only: the same query
        changes.append(
            FieldChange(
                path=".".join(path),
                before=None if old is _MISSING else old,
                after=None if new is _MISSING else new,
                forces_replacement=bool(path) and path[0] in REPLACE_FIELDS[kind],
            )
        )
    return changes


def secret_change(path: str, *, unknown: bool = False, stored: bool = True) -> FieldChange:
    """A secret field that changed, or (``unknown``) that could not be compared: the plan was
    made without secrets, so apply compares it; or (not ``stored``) that cannot be compared: no
    hash of it is stored (a resource made outside reconciler), so nothing is known of its value
    (``before`` is None) and it is written as declared."""
    before = SENSITIVE if stored else None
    return FieldChange(path=path, before=before, after=SENSITIVE, sensitive=True, unknown=unknown)


GUESSABLE = "scrypt hash (testable offline by any reader)"
KEYED = "keyed hash"


def rehash_change(path: str) -> FieldChange:
    """A secret whose stored hash is legacy scrypt, which anyone who can read the workspace
    can test guesses against: apply rewrites it (the secret with it) as a keyed hash. Shown at
    the tag, with no value: known without the secret, so a plan without secrets shows it too."""
    return FieldChange(path=SECRET_TAG_PREFIX + path, before=GUESSABLE, after=KEYED)


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


def _same_query(before: Any, after: Any) -> bool:
    if not (isinstance(before, str) and isinstance(after, str)):
        return False
    from reconciler.core.sql import canonical

    return canonical(before) == canonical(after)


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
