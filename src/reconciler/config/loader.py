"""Find, read, merge and validate the desired state of one environment.

``platform.yaml`` is the base; ``environments/<env>.yaml`` is deep-merged over it (mappings
merge by key, scalars and lists replace). Variables come from the process environment, over the
``env_file`` list named by the merged state (later files over earlier ones; an ``optional`` file
that does not exist is skipped), over an optional project ``.env``. Validation runs once, and
every problem of every file is reported together with file:line:column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from reconciler.config.envfiles import variables
from reconciler.config.gitops import overlay_problem
from reconciler.config.leaks import variable_uses
from reconciler.config.model.platform import Platform
from reconciler.config.overlays import (
    default_environment,
    merge,
    overlay_path,
    read_overlay,
    too_many,
)
from reconciler.config.problems import by_location, validation_problems
from reconciler.config.projectfiles import require_inside
from reconciler.config.refactoring import check_refactoring
from reconciler.config.references import check_references
from reconciler.config.resolve import unset_env_secrets
from reconciler.config.yamlfile import read_yaml
from reconciler.core.desired import PLATFORM_FILE, Locator
from reconciler.core.errors import ConfigError, FieldPath, Position, Problem, ReconcileError


@dataclass(frozen=True)
class LoadedConfig:
    """A validated platform.yaml (+ overlay) and everything needed to explain it."""

    platform: Platform
    environment: str
    project_dir: Path
    variables: Mapping[str, str]
    positions: Mapping[FieldPath, Position]
    variable_uses: Mapping[FieldPath, tuple[str, ...]] = field(default_factory=dict)
    """Each plain field as written -> the variables ``${NAME}`` that fill it."""
    sources: tuple[Path, ...] = ()
    """Every file read (platform.yaml, the overlay, env files), resolved."""

    @property
    def locator(self) -> Locator:
        return Locator(self.positions)

    def problem(self, path: FieldPath, message: str, hint: str | None = None) -> Problem:
        return self.locator.problem(path, message, hint)


def load(
    project_dir: Path, environment: str | None = None, *, with_secrets: bool = False
) -> LoadedConfig:
    """Load and validate; raise `ConfigError` listing every problem found (``with_secrets``:
    for a command that will read secrets, also every ``${env:NAME}`` secret whose variable is
    unset, so that one round names every variable to set)."""
    platform_path = project_dir / PLATFORM_FILE
    if not platform_path.exists() and not platform_path.is_symlink():
        raise ReconcileError(
            f"no {PLATFORM_FILE} in {project_dir}",
            hint="run reconcile in the repository that holds platform.yaml, or pass -C DIR",
        )
    base = read_yaml(require_inside(project_dir, platform_path, PLATFORM_FILE), PLATFORM_FILE)
    name = environment or default_environment(project_dir, base)
    overlay = read_overlay(project_dir, name)
    data, positions, texts = merge(base, overlay)
    oversized = too_many(data, positions)
    if oversized:
        raise ConfigError(problems=oversized)
    values, env_paths = variables(project_dir, data, positions, texts)
    sources = tuple(
        p.resolve() for p in (platform_path, overlay_path(project_dir, name), *env_paths)
    )
    uses, leaks = variable_uses(data, Locator(positions))  # needs no secret: validate too
    misplaced = [p for p in (overlay_problem(overlay),) if p is not None]
    try:
        platform = Platform.model_validate(data, context={"env": values})
    except ValidationError as exc:
        problems = [*validation_problems(exc, data, positions, texts), *leaks, *misplaced]
        if with_secrets:
            problems += unset_env_secrets(data, Locator(positions), values)
        raise ConfigError(problems=by_location(problems)) from None
    loaded = LoadedConfig(platform, name, project_dir, values, positions, uses, sources)
    problems = [*check_references(loaded), *check_refactoring(loaded), *leaks, *misplaced]
    if problems:
        if with_secrets:
            problems += unset_env_secrets(data, Locator(positions), values)
        raise ConfigError(problems=by_location(problems))
    return loaded
