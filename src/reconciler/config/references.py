"""Checks that span resources: what one resource names must exist and fit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.core.connection_kinds import connection_types
from reconciler.core.errors import Problem
from reconciler.core.essences import schedule_name
from reconciler.core.limits import MAX_NAME
from reconciler.core.names import (
    ASSET_NAME,
    CONNECTION_NAME,
    CONNECTION_RULE,
    DATASTORE_NAME,
    data_key,
    service_placed,
)
from reconciler.core.sql import dialect_of, statement_problem
from reconciler.core.vocabulary import MANAGED_DATASTORE, SYSTEM_DATASTORES

_NAME_RULES = (
    ("connections", "connection", CONNECTION_NAME, CONNECTION_RULE),
    (
        "datastores",
        "datastore",
        DATASTORE_NAME,
        f"1-{MAX_NAME} letters, digits, '_' or '-', starting with a letter or digit",
    ),
    (
        "imports",
        "data asset",
        ASSET_NAME,
        f"1-{MAX_NAME} letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
)

if TYPE_CHECKING:
    from reconciler.config.loader import LoadedConfig


def check_references(config: LoadedConfig) -> list[Problem]:
    platform = config.platform
    problems: list[Problem] = []
    for section, what, pattern, rule in _NAME_RULES:
        for name in getattr(platform, section):
            if not pattern.fullmatch(name):
                shown = repr(name) if len(name) <= 64 else f"of {len(name)} characters"
                problems.append(
                    config.problem((section, name), f"{what} name {shown} is not valid: {rule}")
                )
    for section in ("connections", "datastores"):
        for key, item in getattr(platform, section).items():
            if item.name is not None and item.name != key:
                problems.append(
                    config.problem(
                        (section, key, "name"),
                        f"name {item.name!r} differs from the key it is declared under ({key!r})",
                        "the key is the name: remove the name line, or make the two agree",
                    )
                )
    for name, item in platform.imports.items():
        scheduled = schedule_name(name)
        named = item.schedule is not None and item.schedule.name is not None
        if (
            item.schedule is not None
            and not named
            and len(scheduled) > MAX_NAME
            and len(name) <= MAX_NAME
        ):
            problems.append(
                config.problem(
                    ("imports", name, "schedule"),
                    f"the schedule of this import would be named {name[:20]}…"
                    f"{scheduled[len(name) :]} ({len(scheduled)} characters), but Azure ML "
                    f"schedule names have at most {MAX_NAME}",
                    f"shorten the data asset name to {MAX_NAME - len(scheduled) + len(name)} "
                    "characters or fewer, or name the schedule (schedule: {name: ...})",
                )
            )
    for name, item in platform.imports.items():
        here = ("imports", name)
        connection = platform.connections.get(item.source.connection)
        if connection is None:
            declared = ", ".join(sorted(platform.connections)) or "none"
            problems.append(
                config.problem(
                    (*here, "source", "connection"),
                    f"connection {item.source.connection!r} is not declared (declared: {declared})",
                    "declare it under connections: or fix the name",
                )
            )
        else:
            wanted = connection_types(item.source.type)
            query = getattr(item.source, "query", None)
            problem = statement_problem(query, dialect_of(connection.type)) if query else None
            if problem is not None and connection.type in wanted:
                problems.append(
                    config.problem(
                        (*here, "source", "query"),
                        problem,
                        "a data import reads; anything else belongs in the database's own "
                        "deployment",
                    )
                )
            if connection.type not in wanted:
                problems.append(
                    config.problem(
                        (*here, "source", "connection"),
                        f"a {item.source.type} source needs a connection of type "
                        f"{' or '.join(wanted)}, but {item.source.connection!r} is "
                        f"{connection.type}",
                    )
                )
        datastore = item.datastore
        known = datastore in platform.datastores or datastore in SYSTEM_DATASTORES
        if not known and datastore != MANAGED_DATASTORE:
            declared = ", ".join(sorted(platform.datastores)) or "none"
            problems.append(
                config.problem(
                    (*here, "path"),
                    f"datastore {datastore!r} is not declared (declared: {declared}; "
                    f"system: {', '.join(sorted(SYSTEM_DATASTORES))})",
                    "declare it under datastores: or target a system datastore",
                )
            )
    problems += _overlapping_paths(config)
    problems += _shared_schedule_names(config)
    return problems


def _shared_schedule_names(config: LoadedConfig) -> list[Problem]:
    """Two imports whose schedules would have one name: the second would overwrite the first."""
    seen: dict[str, str] = {}
    problems = []
    for name, item in config.platform.imports.items():
        if item.schedule is None:
            continue
        scheduled = item.schedule.name or schedule_name(name)
        if scheduled in seen:
            problems.append(
                config.problem(
                    ("imports", name, "schedule", "name"),
                    f"schedule {scheduled!r} is already the schedule of import {seen[scheduled]!r}",
                    "give each import's schedule a name of its own",
                )
            )
        seen[scheduled] = name
    return problems


def _overlapping_paths(config: LoadedConfig) -> list[Problem]:
    """Imports whose target folders are the same or one inside the other: both would write
    into the same data, and a data version is immutable (a datastore's root holds everything
    on it). Sorted by folder, a folder's contents follow it, so one pass with the enclosing
    folders on a stack finds every pair. Imports into the managed datastore name no folder:
    the service gives each run its own."""
    keyed = sorted(
        (key, name)
        for name, item in config.platform.imports.items()
        if (key := data_key(item.path)) and not service_placed(item.path)
    )
    problems: list[Problem] = []
    enclosing: list[tuple[str, str]] = []
    for key, name in keyed:
        while enclosing and not key.startswith(enclosing[-1][0]):
            enclosing.pop()
        if enclosing:
            problems.append(_overlap(config, name, enclosing[-1][1], key == enclosing[-1][0]))
        enclosing.append((key, name))
    return problems


def _overlap(config: LoadedConfig, name: str, other: str, same: bool) -> Problem:
    where = config.locator.where(("imports", other, "path"))
    at = f" ({where.file}:{where.line})" if where else ""
    relation = "is the same folder as" if same else "is inside"
    return config.problem(
        ("imports", name, "path"),
        f"{config.platform.imports[name].path} {relation} the path of import {other!r}{at}; "
        "two imports writing into one folder would overwrite each other's data, and data "
        "versions are immutable",
        f"give each import a folder of its own, e.g. azureml://datastores/"
        f"{config.platform.imports[name].datastore}/paths/{name}",
    )
