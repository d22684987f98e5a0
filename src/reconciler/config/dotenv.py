"""A small dotenv reader: ``KEY=VALUE`` lines, ``#`` comments, optional quotes and ``export``;
a key set twice is an error (not the last one silently winning).

The file is read like every desired-state file (`reconciler.config.text`): bounded, UTF-8, no
control characters. Problems name the line, never its content: the file holds secrets.
"""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.config.text import read_text
from reconciler.core.errors import ConfigError, Problem

_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def read_dotenv(path: Path, display: str) -> dict[str, str]:
    values: dict[str, str] = {}
    first: dict[str, int] = {}
    problems = []
    for number, raw in enumerate(read_text(path, display).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            problems.append(Problem(display, number, 1, "", "expected KEY=VALUE"))
            continue
        key, value = match.group(1), match.group(2).strip()
        if key in first:  # which one wins would be decided by order, not by a review
            problems.append(
                Problem(
                    display,
                    number,
                    1,
                    "",
                    f"{key} is set again (first at line {first[key]})",
                    "keep one of the two lines",
                )
            )
            continue
        first[key] = number
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    if problems:
        raise ConfigError(problems=problems)
    return values
