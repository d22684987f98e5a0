"""The variables ``${NAME}`` and ``${env:NAME}`` are filled from: the process environment, over
the ``env_file`` list (later files over earlier ones; an ``optional`` file that does not exist
is skipped), over an optional project ``.env``. Every env file stays inside the project.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.config.dotenv import read_dotenv
from reconciler.config.model.platform import EnvFile, EnvFiles
from reconciler.config.problems import located, problems_of
from reconciler.config.projectfiles import leaves, require_inside
from reconciler.core.errors import ConfigError, FieldPath, Position, Problem
from reconciler.core.limits import MAX_ENV_BYTES, MAX_ENV_FILES

_ENV_FILES: TypeAdapter[list[EnvFile]] = TypeAdapter(EnvFiles)


def variables(
    project_dir: Path,
    data: dict[str, Any],
    positions: Mapping[FieldPath, Position],
    texts: Mapping[FieldPath, str],
) -> tuple[dict[str, str], list[Path]]:
    """The process environment, over the env files (later over earlier), over ``.env``; and
    the files read."""
    variables: dict[str, str] = {}
    read: list[Path] = []
    dotenv = project_dir / ".env"
    if dotenv.exists() or dotenv.is_symlink():
        variables.update(read_dotenv(require_inside(project_dir, dotenv, ".env"), ".env"))
        read.append(dotenv)
    problems: list[Problem] = []
    entries = env_files(data, positions, texts)
    if len(entries) > MAX_ENV_FILES:
        raise ConfigError(
            problems=[
                located(
                    positions,
                    ("env_file",),
                    f"lists {len(entries)} files; at most {MAX_ENV_FILES} are read",
                    "merge them: one env file per source of variables is enough",
                )
            ]
        )
    total = 0
    for entry, where in entries:
        try:
            total += _size(project_dir / entry.path)
            if total > MAX_ENV_BYTES:
                raise ConfigError(
                    problems=[
                        located(
                            positions,
                            where,
                            f"the env files up to this one hold more than "
                            f"{MAX_ENV_BYTES // 2**20} MiB together; reading stopped here",
                            "env files hold variables, a few lines each: check that these "
                            "are the files you meant",
                        )
                    ]
                )
            variables.update(_read_env_file(project_dir, entry, where, positions))
            read.append(project_dir / entry.path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            if total > MAX_ENV_BYTES:
                break
    if problems:
        raise ConfigError(problems=problems)
    variables.update(os.environ)
    return variables, read


def env_files(
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
        raise ConfigError(problems=problems_of(errors, data, positions, texts)) from None
    return [(file, written((index, "path"))) for index, file in enumerate(files)]


def _read_env_file(
    project_dir: Path, entry: EnvFile, where: FieldPath, positions: Mapping[FieldPath, Position]
) -> dict[str, str]:
    reason = _escapes(project_dir, entry.path)
    if reason:
        raise ConfigError(
            problems=[
                located(
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
                located(
                    positions,
                    where,
                    f"{entry.path!r} does not exist",
                    "fix the path, remove it from env_file, or mark it "
                    f"{{path: {entry.path}, optional: true}} if a tool writes it",
                )
            ]
        )
    return read_dotenv(path, entry.path)


def _size(path: Path) -> int:
    """What reading ``path`` would cost (0 when it is missing or not a regular file: reading it
    says so)."""
    try:
        info = path.stat()
    except OSError:
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _escapes(project_dir: Path, relative: str) -> str | None:
    """Why ``relative`` would leave the project folder (symlinks included), or None."""
    if "\\" in relative or PurePosixPath(relative).is_absolute():
        return "write it relative to the project, with '/' between folders"
    if ".." in PurePosixPath(relative).parts:
        return "'..' is not allowed"
    if leaves(project_dir, project_dir / relative):
        return "it is a symlink that points outside the project"
    return None
