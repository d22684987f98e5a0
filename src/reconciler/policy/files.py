"""A team's policy folders, read once: every Rego module with its package, its conftest rules
and the enforcement level its package declares.

Conventions are conftest's: rules named ``deny``, ``violation`` or ``warn`` (or one of them with
a ``_suffix``) in any package (as ``conftest test --all-namespaces``). Files ending in
``_test.rego`` are unit tests: `reconcile policy test` runs them, a plan never loads them (a
broken test must not block every plan). A package declares its level in an OPA metadata
block above its ``package`` line, which OPA, Regal and conftest all read as ordinary metadata::

    # METADATA
    # title: No deletes in prod without an override
    # custom:
    #   enforcement: soft
    package reconciler.no_delete_in_prod

Without one: ``hard`` for deny/violation; ``warn`` is always advisory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from reconciler.core.errors import PolicyError, Problem
from reconciler.core.policy import Level
from reconciler.policy.rego import Rego, RegoError

SUFFIX = ".rego"
TEST_SUFFIX = "_test.rego"
MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 1000
# conftest's rule names at the start of a line (a rule head)
_RULE = re.compile(r"^((?:deny|violation|warn)(?:_\w+)?)\b", re.M)
_TEST = re.compile(r"^(test_\w+)\b", re.M)
_METADATA = re.compile(r"^# METADATA[ \t]*\n((?:#[^\n]*\n)*)package[ \t]", re.M)
_LEVELS = ", ".join(level.value for level in Level)


@dataclass(frozen=True)
class Module:
    """One Rego file, parsed."""

    shown: str  # the path as messages name it (relative to the project when inside it)
    text: str
    package: str  # reconciler.no_delete_in_prod
    level: Level | None  # as its package's metadata declares, if it does
    rules: tuple[str, ...]  # its conftest rules (deny, warn_tags, ...)
    tests: tuple[tuple[str, int], ...]  # its test_* rules and the line each starts on

    def where(self, line: int) -> str:
        return f"{self.shown}:{line}"


@dataclass(frozen=True)
class PolicyFiles:
    """The modules of some policy folders: the policies, and (apart) their unit tests."""

    sources: tuple[str, ...]
    policies: tuple[Module, ...]
    tests: tuple[Module, ...]

    def levels(self) -> dict[str, Level]:
        """Each policy package's declared level (hard when it declares none)."""
        found: dict[str, Level] = {}
        for module in self.policies:
            found.setdefault(module.package, Level.HARD)
            if module.level is not None:
                found[module.package] = module.level
        return found

    def rules(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, set[str]] = {}
        for module in self.policies:
            found.setdefault(module.package, set()).update(module.rules)
        return {package: tuple(sorted(rules)) for package, rules in sorted(found.items())}


def read_policies(folders: Sequence[Path], root: Path, *, tests: bool = False) -> PolicyFiles:
    """Every ``.rego`` file under ``folders`` (``root``: the project, for the paths messages
    show), each parsed: a syntax error, an unreadable file or a bad enforcement level is a
    `PolicyError` at its file:line:column, all of them at once. The ``*_test.rego`` files are
    read only with ``tests`` (a plan never reads them)."""
    modules: list[Module] = []
    problems: list[Problem] = []
    for path in _rego_files(folders, problems):
        shown = _shown(path, root)
        if path.name.endswith(TEST_SUFFIX) and not tests:
            continue
        try:
            modules.append(_module(path, shown))
        except PolicyError as exc:
            problems += exc.problems
    problems += _conflicting_levels(modules)
    if problems:
        raise PolicyError(problems=problems)
    return PolicyFiles(
        tuple(_shown(folder, root) for folder in folders),
        tuple(m for m in modules if not m.shown.endswith(TEST_SUFFIX)),
        tuple(m for m in modules if m.shown.endswith(TEST_SUFFIX)),
    )


def _rego_files(folders: Sequence[Path], problems: list[Problem]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            problems.append(Problem(str(folder), None, None, "", "no such policy folder"))
            continue
        found += sorted(p for p in folder.rglob(f"*{SUFFIX}") if p.is_file())
    if len(found) > MAX_FILES:
        problems.append(
            Problem(str(folders[0]), None, None, "", f"more than {MAX_FILES} policy files")
        )
        return []
    return found


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _module(path: Path, shown: str) -> Module:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _problem(shown, None, None, f"larger than {MAX_FILE_BYTES // 1024} KiB")
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _problem(shown, None, None, "is not UTF-8 text") from None
    except OSError as exc:
        raise _problem(shown, None, None, f"cannot be read: {exc.strerror or exc}") from None
    try:
        with Rego() as rego:
            package = rego.add_module(shown, text)
    except RegoError as exc:
        raise _problem(
            exc.file or shown,
            exc.line,
            exc.column,
            exc.message,
            "policies are Rego v1, as in OPA 1.0 and conftest 0.60 and later: `import rego.v1` "
            "is optional, rule bodies need `if` and multi-value rules `contains` (deny "
            "contains msg if { ... })"
            if "keyword is required" in exc.message
            else None,
        ) from None
    tests: dict[str, int] = {}
    for found in _TEST.finditer(text):  # a test may have several bodies: run it once
        tests.setdefault(found[1], text.count("\n", 0, found.start()) + 1)
    return Module(
        shown,
        text,
        package,
        _level(text, shown),
        tuple(sorted(set(_RULE.findall(text)))),
        tuple(tests.items()),
    )


def _level(text: str, shown: str) -> Level | None:
    """The ``custom.enforcement`` of the metadata block right above ``package``, if any."""
    found = _METADATA.search(text)
    if found is None:
        return None
    first = text.count("\n", 0, found.start()) + 2
    block = "\n".join(line[1:].removeprefix(" ") for line in found[1].splitlines())
    try:
        metadata = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first + mark.line if mark is not None else first
        raise _problem(shown, line, None, f"the METADATA block is not YAML: {exc}") from None
    custom = metadata.get("custom") if isinstance(metadata, dict) else None
    value = custom.get("enforcement") if isinstance(custom, dict) else None
    if value is None:
        return None
    try:
        return Level(str(value))
    except ValueError:
        line = first + next(
            (i for i, row in enumerate(block.splitlines()) if "enforcement" in row), 0
        )
        raise _problem(
            shown,
            line,
            None,
            f"custom.enforcement is {value!r}; write one of {_LEVELS}",
        ) from None


def _conflicting_levels(modules: Iterable[Module]) -> list[Problem]:
    """A package spread over several files declares one level."""
    seen: dict[str, Module] = {}
    problems = []
    for module in modules:
        if module.level is None:
            continue
        first = seen.setdefault(module.package, module)
        if first.level is not module.level:
            problems.append(
                Problem(
                    module.shown,
                    None,
                    None,
                    "",
                    f"package {module.package} is {module.level} here but {first.level} in "
                    f"{first.shown}; declare its enforcement once",
                )
            )
    return problems


def _problem(
    file: str, line: int | None, column: int | None, message: str, hint: str | None = None
) -> PolicyError:
    return PolicyError(problems=[Problem(file, line, column, "", message, hint)])
