"""In GitHub Actions, each located problem of an invalid desired state also becomes an
``::error`` annotation on its file and line, so a pull request shows it where it is written."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from reconciler.core.errors import ConfigError


def github_annotations(exc: ConfigError, environ: Mapping[str, str] = os.environ) -> Iterator[str]:
    """The workflow commands for ``exc``'s problems (none outside GitHub Actions)."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return
    for problem in exc.problems:
        where = f"file={problem.file}"
        if problem.line is not None:
            where += f",line={problem.line}"
            if problem.column is not None:
                where += f",col={problem.column}"
        text = f"{problem.path}: {problem.message}" if problem.path else problem.message
        yield f"::error {where},title=reconciler::{_escape(text)}\n"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
