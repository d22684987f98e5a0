"""Keep secret values out of plain fields, where they would be stored and shown in clear.

A secret field (``password``, ``account_key``, …) is write-only on the service. Every other
field (a user name, a target, a query, a description, a tag) is plain metadata: shown in plans
and stored where anyone who may read the workspace reads it. Two checks keep a secret's value
out of them:

- `variable_uses` reads the YAML as written and needs no secret, so ``validate`` runs it: a
  variable that fills a secret reference (``${env:NAME}``) may not also fill a plain field
  (``${NAME}``).
- `value_problems` runs once secrets are resolved (plan, apply): no plain field may contain a
  secret's value, however it got there (another variable holding the same value, a literal, a
  Key Vault secret).

Messages name fields, variables and secret references, never a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

from reconciler.config.model.fields import plain_variables
from reconciler.core.connection_kinds import secret_field
from reconciler.core.desired import PLATFORM_FILE, DesiredResource, Locator, plain_strings
from reconciler.core.errors import FieldPath, Problem, dotted
from reconciler.core.essences import Kind
from reconciler.core.secrets import KEY_ADDRESS, SecretValues

if TYPE_CHECKING:
    from reconciler.config.loader import LoadedConfig

PLAIN_SECTIONS = ("workspace", "connections", "datastores", "imports")
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
# parts of an essence that are not written from a field of their own: a digest, and a
# schedule's copy of its import's name and definition (checked at the import)
_NOT_FIELDS = frozenset({"fingerprint", "import", "import_definition"})
_NAMES = {Kind.CONNECTION: "connection", Kind.DATASTORE: "datastore", Kind.IMPORT: "data asset"}


def variable_uses(
    data: Mapping[str, Any], locator: Locator
) -> tuple[dict[FieldPath, tuple[str, ...]], list[Problem]]:
    """Each plain field of the YAML as written -> the variables ``${NAME}`` that fill it; and a
    problem, at the plain field, for each variable that fills a secret reference too."""
    uses: dict[FieldPath, tuple[str, ...]] = {}
    secret: dict[str, FieldPath] = {}
    for path, text in _written(data):
        if secret_field(path):
            for name in _ENV_REF.findall(text):
                secret.setdefault(name, path)
        elif names := plain_variables(text):
            uses[path] = names
    settings = data.get("settings")
    key = settings.get("secret_key") if isinstance(settings, Mapping) else None
    for name in _ENV_REF.findall(key) if isinstance(key, str) else ():
        secret.setdefault(name, KEY_ADDRESS)
    problems = []
    for path, names in uses.items():
        for name in (n for n in names if n in secret):
            problems.append(
                locator.problem(
                    path,
                    f"variable {name} is a secret (it fills ${{env:{name}}} at "
                    f"{dotted(secret[name])}), so ${{{name}}} here would store and show its "
                    "value in clear",
                    "fill this field from a variable that holds no secret; a secret's "
                    "variable may fill only secret fields",
                )
            )
    return uses, problems


def value_problems(
    config: LoadedConfig, resources: Iterable[DesiredResource], secrets: SecretValues
) -> list[Problem]:
    """Every plain field (and name, and tag key) that contains a resolved secret's value."""
    resources = tuple(resources)
    refs = {(r.address, p): str(ref) for r in resources for p, ref in r.secrets.items()}
    if config.platform.settings.secret_key is not None:
        refs[KEY_ADDRESS] = str(config.platform.settings.secret_key)
    problems: list[Problem] = []

    def check(path: FieldPath, text: str, what: str | None = None) -> None:
        found = secrets.found_in(text)
        if found:
            matches = sorted({refs[key] for key in found})
            uses = () if what else config.variable_uses.get(path, ())
            held = tuple(n for n in uses if secrets.found_in(config.variables.get(n, "")))
            problems.append(_exposed(config.locator, path, matches, uses, held, what))

    for path, text in plain_strings(config.platform.workspace.model_dump(), ("workspace",)):
        check(path, text)
    for resource in _suspects(resources, secrets):
        here = resource.config_path
        spec = resource.spec
        if resource.kind in _NAMES:
            check(here, resource.name, f"this {_NAMES[resource.kind]} name")
        for key in spec.get("tags") or {}:
            check((*here, "tags", key), key, "a tag key")
        fields = {k: v for k, v in spec.items() if k not in _NOT_FIELDS}
        for path, text in plain_strings(fields):
            check((*here, *path), text)
    return problems


def _suspects(
    resources: tuple[DesiredResource, ...], secrets: SecretValues
) -> list[DesiredResource]:
    """The resources whose name or essence, as JSON, holds a secret's value as JSON: a quick
    filter, sound because JSON escapes each character on its own (so a value inside a string
    is, escaped, inside the escaped string), that spares walking every field of every one."""
    needles = [to_json(value)[1:-1] for value in secrets.values()]
    if not needles:
        return []
    found = []
    for resource in resources:
        blob = to_json(resource.name) + resource.essence.model_dump_json().encode()
        if any(needle in blob for needle in needles):
            found.append(resource)
    return found


def _exposed(
    locator: Locator,
    path: FieldPath,
    matches: list[str],
    uses: tuple[str, ...],
    holders: tuple[str, ...],
    what: str | None,
) -> Problem:
    secret = f"the secret {matches[0]}" if len(matches) == 1 else f"secrets {', '.join(matches)}"
    if what is not None:  # a name or a tag key: the path would show it, so name its parent
        where = locator.where(path)
        return Problem(
            where.file if where else PLATFORM_FILE,
            where.line if where else None,
            where.column if where else None,
            dotted(path[:-1]),
            f"{what} contains the value of {secret}; it would be stored and shown in clear",
            "rename it, or give the secret another value (rotate it: it is written in a file)",
        )
    if holders:
        filled = ", ".join(f"${{{name}}}" for name in holders)
        return locator.problem(
            path,
            f"this field, filled by {filled}, contains the value of {secret}; it would be "
            "stored and shown in clear",
            f"{' and '.join(holders)} must not hold a secret's value: give this field a value "
            "that is not secret, or give the secret another value",
        )
    written = ", ".join(f"${{{name}}}" for name in uses)
    return locator.problem(
        path,
        f"this field contains the value of {secret}; it would be stored and shown in clear",
        "remove the secret's value from this field"
        + (f" (as written here, or as filled by {written})" if uses else "")
        + "; a secret written in a file needs rotating",
    )


def _written(data: Mapping[str, Any]) -> Iterable[tuple[FieldPath, str]]:
    """The text fields of the YAML as written, in the sections whose fields are interpolated."""
    for section in PLAIN_SECTIONS:
        if section in data:
            yield from plain_strings(data[section], (section,))
