"""``moved:`` and ``removed:`` against the declaration: located checks, then the values.

As Terraform checks its ``moved`` blocks: a ``from`` still declared is an error (the move would
have nothing to move); the address a chain of moves ends at must be declared; two entries may not
move from, or into, the same address; a chain may not loop. A ``removed`` address may not be
declared, nor moved. Chains are followed here, so a `Move` goes from each address a resource had
to the one declared now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.core.desired import Move, Removal
from reconciler.core.errors import Problem
from reconciler.core.essences import Kind, address, schedule_name

if TYPE_CHECKING:
    from reconciler.config.loader import LoadedConfig

_SECTIONS = {"connection": "connections", "datastore": "datastores", "import": "imports"}


def declared_addresses(config: LoadedConfig) -> set[str]:
    platform = config.platform
    found = {address(Kind.CONNECTION, n) for n in platform.connections}
    found |= {address(Kind.DATASTORE, n) for n in platform.datastores}
    found |= {address(Kind.IMPORT, n) for n in platform.imports}
    for name, item in platform.imports.items():
        if item.schedule is not None:
            found.add(address(Kind.SCHEDULE, item.schedule.name or schedule_name(name)))
    return found


def check_refactoring(config: LoadedConfig) -> list[Problem]:
    platform = config.platform
    declared = declared_addresses(config)
    problems: list[Problem] = []
    targets: dict[str, int] = {}
    sources: dict[str, int] = {}
    for index, item in enumerate(platform.moved):
        here = ("moved", index)
        old, new = item.from_, item.to
        if old == new:
            problems.append(config.problem((*here, "to"), f"{old} is moved to itself"))
            continue
        if old.partition(".")[0] != new.partition(".")[0]:
            problems.append(
                config.problem(
                    (*here, "to"),
                    f"{old} cannot move to {new}: a move keeps the kind of resource",
                )
            )
            continue
        if old in declared:
            problems.append(
                config.problem(
                    (*here, "from"),
                    f"{old} is still declared; a moved entry's from is the address it no "
                    "longer has",
                    f"remove its declaration under {_SECTIONS[old.partition('.')[0]]}: (it is "
                    f"declared as {new} now), or remove this entry",
                )
            )
        for seen, what, key in ((sources, "from", old), (targets, "to", new)):
            if key in seen:
                problems.append(
                    config.problem(
                        (*here, what),
                        f"moved entry {seen[key] + 1} already moves {what} {key}; each address "
                        f"may be moved {what} once",
                    )
                )
            seen[key] = index
    if problems:
        return problems
    chain = {item.from_: item.to for item in platform.moved}
    for index, item in enumerate(platform.moved):
        final, steps = item.to, {item.from_}
        while final in chain and final not in steps:
            steps.add(final)
            final = chain[final]
        if final in steps:
            problems.append(
                config.problem(("moved", index, "to"), f"the moves from {item.from_} loop")
            )
        elif final not in declared:
            section = _SECTIONS[final.partition(".")[0]]
            problems.append(
                config.problem(
                    ("moved", index, "to"),
                    f"{final} is not declared; a move ends at an address declared under {section}:",
                    f"declare {final.partition('.')[2]} under {section}: or fix the address",
                )
            )
    moved = set(chain) | set(chain.values())
    removed: dict[str, int] = {}
    for index, entry in enumerate(platform.removed):
        where = ("removed", index, "from")
        name = entry.from_
        if name in declared:
            problems.append(
                config.problem(
                    where,
                    f"{name} is declared; a removed entry names what is no longer declared",
                    "remove its declaration, or this entry",
                )
            )
        elif name in moved:
            problems.append(config.problem(where, f"{name} is also named by a moved entry"))
        elif name in removed:
            problems.append(
                config.problem(where, f"removed entry {removed[name] + 1} already names {name}")
            )
        removed[name] = index
    return problems


def moves(config: LoadedConfig) -> tuple[Move, ...]:
    """Every move, followed to the address declared now (checked by `check_refactoring`)."""
    chain = {item.from_: item.to for item in config.platform.moved}
    found = []
    for index, item in enumerate(config.platform.moved):
        final = item.to
        while final in chain:
            final = chain[final]
        kind, _, old = item.from_.partition(".")
        found.append(Move(Kind(kind), old, final.partition(".")[2], ("moved", index)))
    return tuple(found)


def removals(config: LoadedConfig) -> tuple[Removal, ...]:
    return tuple(
        Removal(Kind(kind), name, entry.destroys, ("removed", index))
        for index, entry in enumerate(config.platform.removed)
        for kind, _, name in [entry.from_.partition(".")]
    )
