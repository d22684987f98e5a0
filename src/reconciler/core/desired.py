"""The desired state as one value: what the config layer hands to everything else, once.

`DesiredState` holds an environment's desired resources (typed essences), their resolved secret
values (or none, for a plan that reads no secret), the workspace it targets and a `Locator` that
turns a field path into a located `Problem`. The planner, apply, source checks and the CLI's
redaction take this value; none of them imports the config loader.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from reconciler.core.consumers import ConsumerWindow
from reconciler.core.errors import FieldPath, Position, Problem, dotted
from reconciler.core.essences import AnyEssence, ImportEssence, Kind, address, narrow
from reconciler.core.secrets import SecretRef, SecretValues

PLATFORM_FILE = "platform.yaml"


@dataclass(frozen=True)
class Locator:
    """Where each field of the desired state was written (file, line, column)."""

    positions: Mapping[FieldPath, Position] = field(default_factory=dict)

    def where(self, path: FieldPath) -> Position | None:
        """The position of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            position = self.positions.get(path[:end])
            if position is not None:
                return position
        return None

    def problem(self, path: FieldPath, message: str, hint: str | None = None) -> Problem:
        position = self.where(path)
        return Problem(
            position.file if position else PLATFORM_FILE,
            position.line if position else None,
            position.column if position else None,
            dotted(path),
            message,
            hint,
        )


def plain_strings(
    data: object, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string value in plain data (mappings, lists), with its path (list items share
    their list's path). Keys are not included: callers check the keys that are free text."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, Mapping):
        for key, value in data.items():
            yield from plain_strings(value, (*path, str(key)))
    elif isinstance(data, list | tuple):
        for item in data:
            yield from plain_strings(item, path)


@dataclass(frozen=True)
class DesiredResource:
    kind: Kind
    name: str
    essence: AnyEssence  # the kind's essence type
    secrets: dict[str, SecretRef] = field(default_factory=dict)  # field path -> reference
    depends_on: tuple[str, ...] = ()
    config_path: tuple[str, ...] = ()  # where it is declared, for error locations
    # lifecycle.prevent_destroy as written; None when not written (the recorded value stands)
    prevent_destroy: bool | None = None
    adopt: bool = False

    def protected(self, recorded: bool) -> bool:
        """Whether it is protected once this declaration is applied: as declared when written,
        else as recorded on the live resource (a removed line never lifts a protection)."""
        return recorded if self.prevent_destroy is None else self.prevent_destroy

    @property
    def address(self) -> str:
        return address(self.kind, self.name)

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self._spec)

    @cached_property
    def _spec(self) -> dict[str, Any]:
        """Built once: planning asks for it three times per resource."""
        return self.essence.to_dict()

    @property
    def imported(self) -> ImportEssence:
        """An import's essence (for ``kind`` import only)."""
        return narrow(self.essence, ImportEssence)


@dataclass(frozen=True)
class Move:
    """``moved: {from: <kind>.<old>, to: <kind>.<new>}``, a chain of moves already followed to
    the address declared now (Terraform's ``moved`` block)."""

    kind: Kind
    old: str
    new: str
    config_path: tuple[str | int, ...] = ()

    @property
    def old_address(self) -> str:
        return address(self.kind, self.old)

    @property
    def new_address(self) -> str:
        return address(self.kind, self.new)


@dataclass(frozen=True)
class Removal:
    """``removed: {from: <kind>.<name>, destroy: false}``: stop managing it, leave it in place
    (``destroy: true``: delete it, as an undeclared resource is pruned; imports are archived)."""

    kind: Kind
    name: str
    destroy: bool
    config_path: tuple[str | int, ...] = ()

    @property
    def address(self) -> str:
        return address(self.kind, self.name)


@dataclass(frozen=True)
class WorkspaceTarget:
    """Which workspace: ``local`` (a folder) or ``azureml`` (subscription, group, name)."""

    provider: str
    path: Path | None = None  # local: absolute folder
    label: str = ""  # local: the folder as written
    subscription_id: str = ""
    resource_group: str = ""
    workspace_name: str = ""


@dataclass(frozen=True)
class DesiredState:
    environment: str
    project_dir: Path
    workspace: WorkspaceTarget
    prune: bool
    resources: tuple[DesiredResource, ...]
    secrets: SecretValues
    locator: Locator
    project: str = ""  # ownership scope: the project's name (defaults to its folder name)
    moves: tuple[Move, ...] = ()
    removals: tuple[Removal, ...] = ()
    sources: tuple[Path, ...] = ()  # the files it was read from, resolved: never overwritten
    consumers: ConsumerWindow | None = field(default_factory=ConsumerWindow)  # None: off
    policy_dirs: tuple[Path, ...] = ()  # folders of Rego policies every plan evaluates

    def of_kind(self, kind: Kind) -> list[DesiredResource]:
        return list(self._by_kind.get(kind, ()))

    def get(self, address: str) -> DesiredResource | None:
        return self._by_address.get(address)

    @cached_property
    def _by_address(self) -> dict[str, DesiredResource]:
        """Built once: looked up per resource, a scan made planning quadratic."""
        return {r.address: r for r in self.resources}

    @cached_property
    def _by_kind(self) -> dict[Kind, tuple[DesiredResource, ...]]:
        found: dict[Kind, list[DesiredResource]] = {}
        for item in self.resources:
            found.setdefault(item.kind, []).append(item)
        return {kind: tuple(items) for kind, items in found.items()}

    @property
    def owner(self) -> str:
        """The ownership scope written on every resource this desired state manages."""
        return f"{self.project}/{self.environment}"
