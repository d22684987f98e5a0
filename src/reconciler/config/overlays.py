"""Which environment, and platform.yaml with its overlay deep-merged over it.

``environments/<env>.yaml`` is merged over ``platform.yaml``: mappings merge by key, scalars and
lists replace (and the base's positions below a replaced value are forgotten, so a problem
points at the overlay). ``default_environment`` names the environment used without ``--env``.
Sections larger than `MAX_RESOURCES` are refused before anything validates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.config.problems import located
from reconciler.config.projectfiles import require_inside
from reconciler.config.yamlfile import YamlDocument, read_yaml
from reconciler.core.desired import PLATFORM_FILE
from reconciler.core.errors import ConfigError, FieldPath, Position, Problem, ReconcileError
from reconciler.core.limits import MAX_RESOURCES

ENVIRONMENTS_DIR = "environments"


def known_environments(project_dir: Path) -> list[str]:
    folder = project_dir / ENVIRONMENTS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def default_environment(project_dir: Path, base: YamlDocument) -> str:
    """``default_environment`` of platform.yaml, checked where it is written."""
    value = base.data.get("default_environment")
    if value is None:
        return "local"
    known = known_environments(project_dir)
    if isinstance(value, str) and value in known:
        return value
    where = base.positions.get(("default_environment",))
    listed = ", ".join(known) if known else "none"
    message = (
        f"default_environment {value!r} has no {ENVIRONMENTS_DIR}/{value}.yaml"
        if isinstance(value, str)
        else "default_environment must be the name of an environment"
    )
    raise ConfigError(
        problems=[
            Problem(
                PLATFORM_FILE,
                where.line if where else None,
                where.column if where else None,
                "default_environment",
                f"{message}; known environments: {listed}",
                f"create {ENVIRONMENTS_DIR}/<name>.yaml or name a known environment",
            )
        ]
    )


def read_overlay(project_dir: Path, name: str) -> YamlDocument | None:
    """Environment ``name``'s overlay; None for the default ``local`` of a project with no
    environments at all (platform.yaml alone, on the embedded workspace by default)."""
    known = known_environments(project_dir)
    if name == "local" and not (project_dir / ENVIRONMENTS_DIR).exists():
        return None
    if name not in known:
        listed = ", ".join(known) if known else "none"
        raise ReconcileError(
            f"unknown environment {name!r}; known environments: {listed}",
            hint=f"create {ENVIRONMENTS_DIR}/{name}.yaml or choose one of the known ones",
        )
    display = f"{ENVIRONMENTS_DIR}/{name}.yaml"
    return read_yaml(require_inside(project_dir, overlay_path(project_dir, name), display), display)


def overlay_path(project_dir: Path, name: str) -> Path:
    return project_dir / ENVIRONMENTS_DIR / f"{name}.yaml"


def merge(
    base: YamlDocument, overlay: YamlDocument | None
) -> tuple[dict[str, Any], dict[FieldPath, Position], dict[FieldPath, str]]:
    positions = dict(base.positions)
    texts = dict(base.texts)
    if overlay is None:
        return base.data, positions, texts

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
    texts.update(overlay.texts)
    return data, positions, texts


def too_many(data: dict[str, Any], positions: Mapping[FieldPath, Position]) -> list[Problem]:
    """Sections larger than `MAX_RESOURCES`, refused before anything validates them."""
    problems = []
    for section in ("connections", "datastores", "imports"):
        items = data.get(section)
        if isinstance(items, dict) and len(items) > MAX_RESOURCES:
            problems.append(
                located(
                    positions,
                    (section,),
                    f"{len(items):,} {section}; at most {MAX_RESOURCES:,} fit one desired state",
                    "split the resources over several projects (each with its own platform.yaml)",
                )
            )
    return problems
