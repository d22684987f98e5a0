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

from reconciler.core.errors import FieldPath, Position, Problem, dotted
from reconciler.core.essences import DesiredResource, Kind

SecretKey = tuple[str, str]  # (resource address, field path)
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


@dataclass(frozen=True)
class SecretValues:
    """Resolved secret values by (address, field path). ``resolved`` is False for a plan made
    without secrets: then nothing is held and every secret comparison is deferred to apply."""

    resolved: bool = True
    _values: Mapping[SecretKey, str] = field(default_factory=dict, repr=False)

    def get(self, address: str, path: str) -> str | None:
        return self._values.get((address, path))

    def of(self, address: str) -> dict[str, str]:
        """Field path -> value for one resource."""
        return {p: v for (a, p), v in self._values.items() if a == address}

    def values(self) -> Iterator[str]:
        return iter(set(self._values.values()))

    def found_in(self, text: str) -> list[SecretKey]:
        """The secrets whose value occurs in ``text`` (their keys, never the values). Every
        secret has at least 8 characters, so containment does not fire by chance."""
        found = [keys for value, keys in self._holders.items() if value in text]
        return sorted(key for keys in found for key in keys)

    @cached_property
    def _holders(self) -> dict[str, list[SecretKey]]:
        """Each distinct value -> the secrets that hold it (many share one, as in CI)."""
        holders: dict[str, list[SecretKey]] = {}
        for key, value in self._values.items():
            holders.setdefault(value, []).append(key)
        return holders

    def __repr__(self) -> str:
        return f"SecretValues(resolved={self.resolved}, count={len(self._values)})"


def plain_strings(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
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
    settings: Mapping[str, Any] = field(default_factory=dict)

    def of_kind(self, kind: Kind) -> list[DesiredResource]:
        return [r for r in self.resources if r.kind is kind]

    def get(self, address: str) -> DesiredResource | None:
        return next((r for r in self.resources if r.address == address), None)

    @property
    def owner(self) -> str:
        """The ownership scope written on every resource this desired state manages."""
        return f"{self.project}/{self.environment}"
