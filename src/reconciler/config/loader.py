"""Find, read, merge and validate the desired state of one environment.

``platform.yaml`` is the base; ``environments/<env>.yaml`` is deep-merged over it (mappings
merge by key, scalars and lists replace). Variables come from the process environment, over an
optional ``env_file`` named by the merged state, over an optional project ``.env``. Validation
runs once, and every problem of every file is reported together with file:line:column.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.config.dotenv import read_dotenv
from reconciler.config.references import check_references
from reconciler.config.yamlfile import YamlDocument, read_yaml
from reconciler.desired import PLATFORM_FILE, Locator
from reconciler.errors import ConfigError, FieldPath, Position, Problem, ReconcileError, dotted
from reconciler.model import Platform

ENVIRONMENTS_DIR = "environments"


@dataclass(frozen=True)
class LoadedConfig:
    """A validated platform.yaml (+ overlay) and everything needed to explain it."""

    platform: Platform
    environment: str
    project_dir: Path
    variables: Mapping[str, str]
    positions: Mapping[FieldPath, Position]

    @property
    def locator(self) -> Locator:
        return Locator(self.positions)

    def problem(self, path: FieldPath, message: str, hint: str | None = None) -> Problem:
        return self.locator.problem(path, message, hint)


def known_environments(project_dir: Path) -> list[str]:
    folder = project_dir / ENVIRONMENTS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load(project_dir: Path, environment: str | None = None) -> LoadedConfig:
    """Load and validate; raise `ConfigError` listing every problem found."""
    platform_path = project_dir / PLATFORM_FILE
    if not platform_path.is_file():
        raise ReconcileError(
            f"no {PLATFORM_FILE} in {project_dir}",
            hint="run reconcile in the repository that holds platform.yaml, or pass -C DIR",
        )
    base = read_yaml(platform_path, PLATFORM_FILE)
    name = environment or str(base.data.get("default_environment") or "local")
    overlay = _read_overlay(project_dir, name)
    data, positions = _merge(base, overlay)
    variables = _variables(project_dir, data.get("env_file"))
    try:
        platform = Platform.model_validate(data, context={"env": variables})
    except ValidationError as exc:
        raise ConfigError(problems=_problems(exc, data, positions)) from None
    loaded = LoadedConfig(platform, name, project_dir, variables, positions)
    problems = check_references(loaded)
    if problems:
        raise ConfigError(problems=problems)
    return loaded


def _read_overlay(project_dir: Path, name: str) -> YamlDocument | None:
    known = known_environments(project_dir)
    if name not in known:
        listed = ", ".join(known) if known else "none"
        raise ReconcileError(
            f"unknown environment {name!r}; known environments: {listed}",
            hint=f"create {ENVIRONMENTS_DIR}/{name}.yaml or choose one of the known ones",
        )
    path = project_dir / ENVIRONMENTS_DIR / f"{name}.yaml"
    return read_yaml(path, f"{ENVIRONMENTS_DIR}/{name}.yaml")


def _merge(
    base: YamlDocument, overlay: YamlDocument | None
) -> tuple[dict[str, Any], dict[FieldPath, Position]]:
    positions = dict(base.positions)
    if overlay is None:
        return base.data, positions

    def merge(left: Any, right: Any, path: FieldPath) -> Any:
        if isinstance(left, dict) and isinstance(right, dict):
            out = dict(left)
            for key, value in right.items():
                out[key] = merge(left.get(key), value, (*path, key)) if key in left else value
            return out
        # scalars and lists replace: forget the base's positions below this path
        for stale in [p for p in positions if p[: len(path)] == path and len(p) > len(path)]:
            del positions[stale]
        return right

    data = merge(base.data, overlay.data, ())
    positions.update({p: pos for p, pos in overlay.positions.items() if p})
    return data, positions


def _variables(project_dir: Path, env_file: Any) -> dict[str, str]:
    variables: dict[str, str] = {}
    dotenv = project_dir / ".env"
    if dotenv.is_file():
        variables.update(read_dotenv(dotenv, ".env"))
    if isinstance(env_file, str) and env_file:
        path = project_dir / env_file
        if not path.is_file():
            raise ReconcileError(
                f"env_file {env_file!r} does not exist", hint="fix the path or remove env_file"
            )
        variables.update(read_dotenv(path, env_file))
    variables.update(os.environ)
    return variables


def _problems(
    exc: ValidationError, data: dict[str, Any], positions: Mapping[FieldPath, Position]
) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        path = _real_path(error["loc"], data)
        if error["type"] == "union_tag_invalid":
            path = (*path, str(error.get("ctx", {}).get("discriminator", "type")).strip("'"))
        position = None
        for end in range(len(path), -1, -1):
            position = positions.get(path[:end])
            if position is not None:
                break
        message = _message(error)
        problems.append(
            Problem(
                position.file if position else PLATFORM_FILE,
                position.line if position else None,
                position.column if position else None,
                dotted(path),
                message,
            )
        )
    problems.sort(key=lambda p: (p.file != PLATFORM_FILE, p.file, p.line or 0, p.column or 0))
    return problems


def _real_path(loc: tuple[int | str, ...], data: Any) -> FieldPath:
    """Drop the union tags pydantic puts into ``loc``; keep the keys that exist in the data."""
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            path.append(part)
            current = current[part]
        elif index == len(loc) - 1 and isinstance(part, str) and "[" not in part:
            path.append(part)  # a missing field: located at its parent
    return tuple(path)


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field; check the spelling (reconcile schema lists every field)"
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        return f"unknown type; expected one of: {expected}"
    if kind == "union_tag_not_found":
        return "a 'type' field is required here"
    return str(error["msg"]).removeprefix("Value error, ")
