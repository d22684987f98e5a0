"""What a plan is limited to: ``--target`` addresses and everything they depend on, as
Terraform's -target does, and the addresses ``--replace`` names. Unknown addresses are errors
that list what exists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.core.desired import DesiredState
from reconciler.core.errors import ReconcileError
from reconciler.core.live import LiveState


@dataclass(frozen=True)
class Scope:
    targets: tuple[str, ...]
    replace: tuple[str, ...]
    included: frozenset[str] | None  # None: everything

    def includes(self, address: str) -> bool:
        return self.included is None or address in self.included

    @classmethod
    def of(
        cls,
        desired: DesiredState,
        live: LiveState,
        targets: Iterable[str],
        replace: Iterable[str],
    ) -> Scope:
        wanted, again = tuple(sorted(set(targets))), tuple(sorted(set(replace)))
        declared = {r.address: r for r in desired.resources}
        known = set(declared) | {r.address for r in live.resources}
        known |= {f"import.{name}" for name in live.imported}
        _check("--target", wanted, known)
        _check("--replace", again, set(declared))
        if not wanted:
            return cls(wanted, again, None)
        included: set[str] = set()
        todo = list(wanted)
        while todo:
            address = todo.pop()
            if address in included:
                continue
            included.add(address)
            found = declared.get(address)
            if found is not None:
                todo += list(found.depends_on)
        return cls(wanted, again, frozenset(included))


def _check(option: str, addresses: tuple[str, ...], known: set[str]) -> None:
    unknown = [a for a in addresses if a not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise ReconcileError(
            f"{option} {unknown[0]}: no such resource (addresses are KIND.NAME; known: {listed})"
        )
