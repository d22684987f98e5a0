"""Find, read, merge and validate the desired state of one environment.

``platform.yaml`` is the base; ``environments/<env>.yaml`` is deep-merged over it (mappings
merge by key, scalars and lists replace). Variables come from the process environment, over the
``env_file`` list named by the merged state (later files over earlier ones; an ``optional`` file
that does not exist is skipped), over an optional project ``.env``. Validation runs once, and
every problem of every file is reported together with file:line:column.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.config.dotenv import read_dotenv
from reconciler.config.leaks import variable_uses
from reconciler.config.model.platform import EnvFile, EnvFiles, Platform
from reconciler.config.references import check_references
from reconciler.config.yamlfile import YamlDocument, quote_hint, read_yaml, shown
from reconciler.core.desired import PLATFORM_FILE, Locator
from reconciler.core.errors import ConfigError, FieldPath, Position, Problem, ReconcileError
from reconciler.core.limits import MAX_RESOURCES, MAX_VERSION

ENVIRONMENTS_DIR = "environments"
_ENV_FILES: TypeAdapter[list[EnvFile]] = TypeAdapter(EnvFiles)


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
    if not platform_path.exists() and not platform_path.is_symlink():
        raise ReconcileError(
            f"no {PLATFORM_FILE} in {project_dir}",
            hint="run reconcile in the repository that holds platform.yaml, or pass -C DIR",
        )
    base = read_yaml(platform_path, PLATFORM_FILE)
    name = environment or _default_environment(project_dir, base)
    overlay = _read_overlay(project_dir, name)
    data, positions, texts = _merge(base, overlay)
    too_many = _too_many(data, positions)
    if too_many:
        raise ConfigError(problems=too_many)
    variables = _variables(project_dir, data, positions, texts)
    uses, leaks = variable_uses(data, Locator(positions))  # needs no secret: validate too
    try:
        platform = Platform.model_validate(data, context={"env": variables})
    except ValidationError as exc:
        problems = [*_problems(exc, data, positions, texts), *leaks]
        raise ConfigError(problems=by_location(problems)) from None
    loaded = LoadedConfig(platform, name, project_dir, variables, positions, uses)
    problems = [*check_references(loaded), *leaks]
    if problems:
        raise ConfigError(problems=by_location(problems))
    return loaded


def by_location(problems: list[Problem]) -> list[Problem]:
    """platform.yaml first, then the overlays; by line and column within a file."""
    return sorted(
        problems, key=lambda p: (p.file != PLATFORM_FILE, p.file, p.line or 0, p.column or 0)
    )


def _default_environment(project_dir: Path, base: YamlDocument) -> str:
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


def _too_many(data: dict[str, Any], positions: Mapping[FieldPath, Position]) -> list[Problem]:
    """Sections larger than `MAX_RESOURCES`, refused before anything validates them."""
    problems = []
    for section in ("connections", "datastores", "imports"):
        items = data.get(section)
        if isinstance(items, dict) and len(items) > MAX_RESOURCES:
            problems.append(
                _located(
                    positions,
                    (section,),
                    f"{len(items):,} {section}; at most {MAX_RESOURCES:,} fit one desired state",
                    "split the resources over several projects (each with its own platform.yaml)",
                )
            )
    return problems


def _variables(
    project_dir: Path,
    data: dict[str, Any],
    positions: Mapping[FieldPath, Position],
    texts: Mapping[FieldPath, str],
) -> dict[str, str]:
    """The process environment, over the env files (later over earlier), over ``.env``."""
    variables: dict[str, str] = {}
    dotenv = project_dir / ".env"
    if dotenv.exists() or dotenv.is_symlink():
        variables.update(read_dotenv(dotenv, ".env"))
    problems: list[Problem] = []
    for entry, where in _env_files(data, positions, texts):
        try:
            variables.update(_read_env_file(project_dir, entry, where, positions))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems=problems)
    variables.update(os.environ)
    return variables


def _env_files(
    data: dict[str, Any], positions: Mapping[FieldPath, Position], texts: Mapping[FieldPath, str]
) -> list[tuple[EnvFile, FieldPath]]:
    """``env_file`` as a list of files, each with the field path where it is written."""
    raw = data.get("env_file")

    def written(loc: tuple[int | str, ...]) -> FieldPath:
        """Where the file at ``loc`` (of the list form) is written in the YAML."""
        if not isinstance(raw, list):
            return ("env_file",)  # one path: `env_file: FILE`
        if loc and isinstance(loc[0], int) and loc[0] < len(raw) and isinstance(raw[loc[0]], str):
            return ("env_file", loc[0])  # a path in the list
        return ("env_file", *loc)

    try:
        files = _ENV_FILES.validate_python(raw)
    except ValidationError as exc:
        errors = [
            {**error, "loc": written(error["loc"])}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise ConfigError(problems=_problems_of(errors, data, positions, texts)) from None
    return [(file, written((index, "path"))) for index, file in enumerate(files)]


def _read_env_file(
    project_dir: Path, entry: EnvFile, where: FieldPath, positions: Mapping[FieldPath, Position]
) -> dict[str, str]:
    reason = _escapes(project_dir, entry.path)
    if reason:
        raise ConfigError(
            problems=[
                _located(
                    positions,
                    where,
                    f"must stay inside the project: {reason}",
                    "write a path relative to the folder of platform.yaml, such as "
                    "environments/local.env",
                )
            ]
        )
    path = project_dir / entry.path
    if not path.exists() and not path.is_symlink():
        if entry.optional:
            return {}
        raise ConfigError(
            problems=[
                _located(
                    positions,
                    where,
                    f"{entry.path!r} does not exist",
                    "fix the path, remove it from env_file, or mark it "
                    f"{{path: {entry.path}, optional: true}} if a tool writes it",
                )
            ]
        )
    return read_dotenv(path, entry.path)


def _escapes(project_dir: Path, relative: str) -> str | None:
    """Why ``relative`` would leave the project folder (symlinks included), or None."""
    if "\\" in relative or PurePosixPath(relative).is_absolute():
        return "write it relative to the project, with '/' between folders"
    if ".." in PurePosixPath(relative).parts:
        return "'..' is not allowed"
    root = project_dir.resolve()
    target = (project_dir / relative).resolve()
    if target != root and root not in target.parents:
        return "it is a symlink that points outside the project"
    return None


def _located(
    positions: Mapping[FieldPath, Position], path: FieldPath, message: str, hint: str | None = None
) -> Problem:
    return Locator(positions).problem(path, message, hint)


def _problems(
    exc: ValidationError,
    data: dict[str, Any],
    positions: Mapping[FieldPath, Position],
    texts: Mapping[FieldPath, str],
) -> list[Problem]:
    return _problems_of(exc.errors(include_url=False, include_input=False), data, positions, texts)


def _problems_of(
    errors: Sequence[Any],
    data: dict[str, Any],
    positions: Mapping[FieldPath, Position],
    texts: Mapping[FieldPath, str],
) -> list[Problem]:
    problems = []
    for error in errors:
        path = _real_path(error["loc"], data)
        if error["type"] == "union_tag_invalid":
            path = (*path, str(error.get("ctx", {}).get("discriminator", "type")).strip("'"))
        message, hint = _message(error), None
        if error["type"] == "string_type":
            message, hint = _not_text(path, data, texts)
        problems.append(_located(positions, path, message, hint))
    return by_location(problems)


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


def _not_text(
    path: FieldPath, data: dict[str, Any], texts: Mapping[FieldPath, str]
) -> tuple[str, str | None]:
    """A text field holding something else: say what YAML read, and how to quote it."""
    value: Any = data
    for part in path:
        value = value[part] if isinstance(value, dict | list) else None  # type: ignore[index]
    text = texts.get(path)
    if isinstance(value, dict):
        return "expected text, found a mapping", None
    if isinstance(value, list):
        return "expected text, found a list", None
    if text is None:
        return "expected text", None
    read = (
        "null (no value)"
        if value is None
        else "true/false"
        if isinstance(value, bool)
        else "a number"
    )
    return (
        f"this field is text, but YAML reads the unquoted {shown(text)} as {read}",
        quote_hint(path, text),
    )


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
    if kind == "string_too_long":
        limit = error.get("ctx", {}).get("max_length", 0)
        what = "tag key" if error["loc"][-1:] == ("[key]",) else "value"
        return f"this {what} is longer than the {limit:,} characters allowed"
    if kind == "string_pattern_mismatch" and error["loc"][-1:] == ("version",):
        return (
            f"a version is 1-{MAX_VERSION} letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    message = str(error["msg"]).removeprefix("Value error, ")
    return (
        "expected " + message.removeprefix("Input should be ")
        if message.startswith("Input should be ")
        else message
    )


_EXPECTED = {
    "dict_type": "expected a mapping (indented 'key: value' lines)",
    "list_type": "expected a list",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
}
