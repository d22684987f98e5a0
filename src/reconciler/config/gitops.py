"""Read platform.yaml's ``gitops:`` section on its own, as the workflows need it.

The workflows ask which environments to plan and in which stages to apply them before any
environment's variables exist, so this reads platform.yaml alone (no overlay, no variable
filled) and validates only the section, with the same located problems as the rest: each
environment it names must have its ``environments/<name>.yaml`` (checked here, where the flow
starts: a project copied without every overlay still plans its own). Every command validates
the section's form (it is part of `Platform`); an overlay may not set it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.config.model.fields import plain_variables
from reconciler.config.model.gitops import GitOps
from reconciler.config.overlays import ENVIRONMENTS_DIR, known_environments, read_overlay
from reconciler.config.problems import by_location, located, problems_of
from reconciler.config.yamlfile import YamlDocument, read_yaml
from reconciler.core.desired import PLATFORM_FILE
from reconciler.core.errors import ConfigError, Problem, ReconcileError

SECTION = "gitops"


def load_gitops(project_dir: Path) -> GitOps:
    """platform.yaml's ``gitops:`` section, validated; `ConfigError` lists every problem."""
    path = project_dir / PLATFORM_FILE
    if not path.is_file():
        raise ReconcileError(
            f"no {PLATFORM_FILE} in {project_dir}",
            hint="run reconcile in the repository that holds platform.yaml, or pass -C DIR",
        )
    document = read_yaml(path, PLATFORM_FILE)
    section = document.data.get(SECTION)
    if section is None:
        raise ReconcileError(
            f"{PLATFORM_FILE} has no {SECTION}: section",
            hint="declare the environments and their order, e.g. gitops: {promote: [dev, prod]}",
        )
    gitops = _validated(section, document)
    problems = missing_overlays(gitops, document, project_dir)
    if not gitops.names:
        problems.append(
            located(
                document.positions,
                (SECTION,),
                "the gitops section names no environment",
                "list them in promote, e.g. promote: [dev, prod]",
            )
        )
    if problems:
        raise ConfigError(problems=by_location(problems))
    return gitops


def _validated(section: Any, document: YamlDocument) -> GitOps:
    try:
        return GitOps.model_validate(section)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        for error in errors:
            error["loc"] = (SECTION, *error["loc"])
        problems = problems_of(errors, document.data, document.positions, document.texts)
        raise ConfigError(problems=problems) from None


def missing_overlays(gitops: GitOps, document: YamlDocument, project_dir: Path) -> list[Problem]:
    """Each environment the section names needs its environments/<name>.yaml."""
    known = set(known_environments(project_dir))
    problems = []
    for index, stage in enumerate(gitops.promote):
        for position, name in enumerate(stage):
            if name in known:
                continue
            path: tuple[str | int, ...] = (SECTION, "promote", index)
            if isinstance(document.data[SECTION]["promote"][index], list):
                path = (*path, position)
            problems.append(_unknown(document, path, name))
    for name in gitops.environments:
        if name not in known:
            problems.append(_unknown(document, (SECTION, "environments", name), name))
    return problems


def _unknown(document: YamlDocument, path: tuple[str | int, ...], name: str) -> Problem:
    return located(
        document.positions,
        path,
        f"environment {name!r} has no {ENVIRONMENTS_DIR}/{name}.yaml",
        f"create {ENVIRONMENTS_DIR}/{name}.yaml, or correct the name",
    )


def overlay_problem(overlay: YamlDocument | None) -> Problem | None:
    """An environment file that sets ``gitops:``, which belongs to platform.yaml only."""
    if overlay is None or SECTION not in overlay.data:
        return None
    return located(
        overlay.positions,
        (SECTION,),
        "the gitops section belongs in platform.yaml: it describes every environment",
        "move it to platform.yaml",
    )


_SECRET = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


def referenced_names(project_dir: Path, environment: str) -> tuple[list[str], list[str]]:
    """The variables (``${NAME}``) and the secrets (``${env:NAME}``) that platform.yaml and
    ``environments/<environment>.yaml`` reference, each sorted: what a job of the flow must
    pass to reconcile, by name. Read as written (nothing validated or filled)."""
    base = read_yaml(project_dir / PLATFORM_FILE, PLATFORM_FILE)
    overlay = read_overlay(project_dir, environment)
    variables: set[str] = set()
    secrets: set[str] = set()
    for document in (base, overlay):
        for text in _strings(document.data if document else {}):
            secrets.update(_SECRET.findall(text))
            variables.update(plain_variables(text))
    return sorted(variables), sorted(secrets)


def connection_secrets(
    project_dir: Path, environment: str, connections: Iterable[str]
) -> list[str]:
    """The secrets (``${env:NAME}``) the named connections reference in platform.yaml and the
    environment's overlay, sorted: what a source check of them sends."""
    wanted = set(connections)
    found: set[str] = set()
    for document in (read_yaml(project_dir / PLATFORM_FILE, PLATFORM_FILE),
                     read_overlay(project_dir, environment)):  # fmt: skip
        section = document.data.get("connections") if document else None
        if isinstance(section, dict):
            for name in wanted & set(section):
                for text in _strings(section[name]):
                    found.update(_SECRET.findall(text))
    return sorted(found)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
