"""YAML to plain data as people mean it, in bounded work, remembering where each value came from.

We read the C parser's events (fast) and build the data ourselves, because loading YAML the usual
way is wrong for a desired state in four ways:

- two equal keys: PyYAML keeps the last silently, so the first value would vanish without review.
  We refuse the second.
- numbers nobody means: YAML 1.1 reads ``version: 010`` as 8 (octal), ``1:30`` as 90 (base 60),
  ``0x1F`` as 31 and ``1_0`` as 10. We refuse those forms with a hint to quote; plain decimal
  numbers are read as numbers. Keys are always their source text (``010:`` names "010"), and
  plain timestamps stay text (no field is a date).
- unbounded work: aliases repeat whole subtrees, so a 340-byte file can stand for billions of
  values. Values repeated through aliases count against `MAX_ALIAS_VALUES`, every key and value
  against `MAX_NODES`, nesting against `MAX_DEPTH`, all checked as the events arrive: a bomb
  stops in milliseconds.
- tags: ``!!python/...``, ``!!binary``, ``!!set`` or ``!custom`` construct objects or fail. Only
  ``!!str``, ``!!map`` and ``!!seq`` are accepted.

A plain scalar that is read as something other than text (a number, true/false, null) keeps its
source text in `YamlDocument.texts`, so that a later "this field is text" error can show what was
written and how to quote it. Values of secret fields are never recorded or echoed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from reconciler.config.text import read_text
from reconciler.core.connection_kinds import secret_field
from reconciler.core.errors import ConfigError, FieldPath, Position, Problem, dotted
from reconciler.core.limits import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_NODES,
    MAX_SCALAR_CHARS,
    code_point,
    text_problem,
)

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

_YAML_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = (f"{_YAML_TAG}{kind}" for kind in ("str", "map", "seq"))
_MAX_INT_DIGITS = 18
_CANONICAL_INT = re.compile(rf"-?(?:0|[1-9][0-9]{{0,{_MAX_INT_DIGITS - 1}}})")
# plain scalars starting with a letter that YAML 1.1 reads as other than text
_WORDS = frozenset(
    variant
    for word in ("yes", "no", "true", "false", "on", "off", "null")
    for variant in (word, word.capitalize(), word.upper())
)


@dataclass
class YamlDocument:
    data: dict[str, Any]
    positions: dict[FieldPath, Position]
    file: str
    texts: dict[FieldPath, str] = field(default_factory=dict)
    """Source text of plain scalars YAML read as something other than text."""


def read_yaml(path: Path, display: str) -> YamlDocument:
    """Read and parse one YAML file into a mapping; every problem is a located `ConfigError`."""
    return parse_yaml(read_text(path, display), display)


def parse_yaml(text: str, display: str) -> YamlDocument:
    events = yaml.parse(text, Loader=_Loader)
    composer = _Composer(events, display)
    try:
        data = composer.document()
    except _Stop as stop:
        raise ConfigError(problems=[*composer.problems, stop.problem]) from None
    except yaml.YAMLError as exc:
        problem = _syntax(exc, display, composer.entries)
        raise ConfigError(problems=[*composer.problems, problem]) from None
    except StopIteration:  # pragma: no cover - the parser ends every stream it starts
        problem = Problem(display, None, None, "", "not valid YAML: the file ends unexpectedly")
        raise ConfigError(problems=[*composer.problems, problem]) from None
    finally:
        close = getattr(events, "close", None)  # a generator: let the parser free its buffers
        if close is not None:
            close()
    if composer.problems:
        raise ConfigError(problems=composer.problems)
    if data is None:
        return YamlDocument({}, {}, display)
    if not isinstance(data, dict):
        root = composer.positions().get(())
        line = root.line if root else 1
        raise ConfigError(problems=[Problem(display, line, 1, "", "the file must hold a mapping")])
    return YamlDocument(data, composer.positions(), display, composer.texts())


_INDENTATION = (
    "keys of one mapping start in the same column, and a key's value is indented further; "
    "check the indentation of this line and of the lines just above it"
)
_SYNTAX_HINTS = (  # PyYAML's wording -> what usually causes it
    ("tab character", "YAML indents with spaces only: replace the tab with spaces"),
    ("found character '\\t'", "YAML indents with spaces only: replace the tab with spaces"),
    (
        "cannot start any token",
        "YAML indents with spaces only (a tab cannot indent), and a value starting with @ or "
        "` needs quotes",
    ),
    (
        "mapping values are not allowed",
        "a line is indented deeper than the key above it, or a value holding ': ' needs "
        'quotes (query: "a: b"); ' + _INDENTATION.split("; ")[1],
    ),
    ("did not find expected key", _INDENTATION),
    ("expected <block end>", _INDENTATION),
    ("expected ',' or ']'", "a [list] is not closed, or an item holding ',' needs quotes"),
    ("expected ',' or '}'", "a {mapping} is not closed, or a value holding ',' needs quotes"),
    ("found unexpected end of stream", "a quoted string is not closed"),
)


def _syntax(exc: yaml.YAMLError, display: str, read: list[_Entry]) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    detail = getattr(exc, "problem", None) or getattr(exc, "context", None) or "cannot be parsed"
    hint = next((h for pattern, h in _SYNTAX_HINTS if pattern in str(detail)), None)
    last = next((e for e in reversed(read) if e[0] and (line is None or e[1].line <= line)), None)
    if last is not None:
        after = f"the last field read is {'.'.join(map(str, last[0]))} (line {last[1].line})"
        hint = f"{hint}; {after}" if hint else after
    return Problem(display, line, column, "", f"not valid YAML: {detail}", hint)


class _Stop(Exception):
    """A limit was reached: stop reading at once."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class _Anchor:
    path: FieldPath
    value: Any
    start: int  # the anchored subtree's entries: entries[start:end]
    end: int


_Entry = tuple[FieldPath, Position, str | None]


class _Composer:
    """Builds data from parser events; recursion is bounded by `MAX_DEPTH`."""

    def __init__(self, events: Iterator[yaml.Event], file: str) -> None:
        self.events = events
        self.file = file
        self.problems: list[Problem] = []
        self.entries: list[_Entry] = []
        self.anchors: dict[str, _Anchor] = {}
        self.pending: set[str] = set()
        self.nodes = 0
        self.repeated = 0
        self.resolver = Resolver()
        self.constructor = SafeConstructor()

    def positions(self) -> dict[FieldPath, Position]:
        return {path: position for path, position, _ in self.entries}

    def texts(self) -> dict[FieldPath, str]:
        return {path: text for path, _, text in self.entries if text is not None}

    # --- the document ------------------------------------------------------------------------

    def document(self) -> Any:
        self._expect(yaml.StreamStartEvent)
        event = next(self.events)
        if isinstance(event, yaml.StreamEndEvent):
            return None
        data = self.node(next(self.events), (), 1, self._position(event))
        self._expect(yaml.DocumentEndEvent)
        event = next(self.events)
        if not isinstance(event, yaml.StreamEndEvent):
            self._problem(event, (), "holds a second YAML document; keep one document per file")
        return data

    def _expect(self, kind: type) -> None:
        event = next(self.events)
        if not isinstance(event, kind):  # pragma: no cover - the parser guarantees the grammar
            raise _Stop(self._make(event, (), f"unexpected {type(event).__name__}"))

    # --- nodes -------------------------------------------------------------------------------

    def node(self, event: yaml.Event, path: FieldPath, depth: int, where: Position) -> Any:
        """Build the value that starts with ``event``; ``where`` is recorded as its position."""
        self._count(event, 1)
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, path, where)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.pending.add(anchor)
        start = len(self.entries)
        value: Any
        if isinstance(event, yaml.ScalarEvent):
            value, text = self._scalar(event, path)
            self.entries.append((path, where, text))
        elif isinstance(event, yaml.SequenceStartEvent):
            self.entries.append((path, where, None))
            self._collection(event, path, depth, _SEQ)
            value = []
            while not isinstance(item := next(self.events), yaml.SequenceEndEvent):
                child = (*path, len(value))
                value.append(self.node(item, child, depth + 1, self._position(item)))
        elif isinstance(event, yaml.MappingStartEvent):
            self.entries.append((path, where, None))
            self._collection(event, path, depth, _MAP)
            value = self._mapping(path, depth)
        else:  # pragma: no cover - the parser guarantees the grammar
            raise _Stop(self._make(event, path, f"unexpected {type(event).__name__}"))
        if anchor is not None:
            self.pending.discard(anchor)
            self.anchors[anchor] = _Anchor(path, value, start, len(self.entries))
        return value

    def _mapping(self, path: FieldPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first: dict[str, Position] = {}
        while not isinstance(key_event := next(self.events), yaml.MappingEndEvent):
            key = self._key(key_event, path)
            value_event = next(self.events)
            if key is None:
                self._skip(value_event)
                continue
            where = self._position(key_event)
            if key in first:
                self._problem(
                    key_event,
                    (*path, key),
                    f"duplicate key {key!r} (first defined at line {first[key].line}); "
                    "remove one of them",
                )
                self._skip(value_event)
                continue
            first[key] = where
            result[key] = self.node(value_event, (*path, key), depth + 1, where)
        return result

    def _key(self, event: yaml.Event, path: FieldPath) -> str | None:
        """A key is its source text; anything else is a problem (and is skipped)."""
        self._count(event, 1)
        if not isinstance(event, yaml.ScalarEvent):
            self._problem(event, path, "a key must be plain text, not an alias, list or mapping")
            if not isinstance(event, yaml.AliasEvent):
                self._skip_rest(event)
            return None
        key = str(event.value)
        problem = text_problem(key, MAX_SCALAR_CHARS)
        if problem is not None:  # a key is a name, and names appear in every message
            self._problem(event, path, f"this key {problem}")
            return None
        if not self._tag_ok(event, path, _STR):
            return None
        if not key.isascii() and path[-1:] != ("tags",):
            self._problem(event, (*path, key), _non_ascii_key(key))
            return None
        if event.implicit[0] and key == "<<":
            self._problem(event, path, "YAML merge keys (<<) are not supported; repeat the fields")
            return None
        return key

    def _alias(self, event: yaml.AliasEvent, path: FieldPath, where: Position) -> Any:
        name = str(event.anchor)
        anchor = self.anchors.get(name)
        if anchor is None:
            why = "refers to a value that contains it" if name in self.pending else "is not defined"
            self._problem(event, path, f"the alias *{name} {why}")
            return None
        repeated = anchor.end - anchor.start
        self.repeated += repeated
        if self.repeated > MAX_ALIAS_VALUES:
            raise _Stop(
                self._make(
                    event,
                    path,
                    f"aliases here repeat more than {MAX_ALIAS_VALUES:,} values in all; reading "
                    "stopped at this alias",
                    "this is how an alias bomb looks; write the values out, or repeat fewer",
                )
            )
        self._count(event, repeated - 1)  # an alias costs every value it stands for
        cut = len(anchor.path)
        for index in range(anchor.start, anchor.end):
            old, position, text = self.entries[index]
            position = where if old == anchor.path else position
            self.entries.append(((*path, *old[cut:]), position, text))
        return anchor.value

    def _skip(self, event: yaml.Event) -> None:
        """Consume a value that will not be used, counting it against the limits."""
        self._count(event, 1)
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self._skip_rest(event)

    def _skip_rest(self, event: yaml.Event) -> None:
        open_ = 1 if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent) else 0
        while open_:
            event = next(self.events)
            self._count(event, 1)
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                open_ += 1
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                open_ -= 1

    # --- scalars -----------------------------------------------------------------------------

    def _scalar(self, event: yaml.ScalarEvent, path: FieldPath) -> tuple[Any, str | None]:
        """The value and, when YAML reads it as other than text, its source text."""
        text = str(event.value)
        if len(text) > MAX_SCALAR_CHARS:
            self._problem(event, path, f"this value is longer than {MAX_SCALAR_CHARS:,} characters")
            return None, None
        if not self._tag_ok(event, path, _STR):
            return None, None
        plain = event.tag is None and event.implicit[0]
        if not plain or _is_secret(path):
            return text, None  # quoted, block, !!str, or a secret field: always the text
        if text[:1].isalpha() and text not in _WORDS:
            return text, None  # the common case, decided without the resolver's regexes
        if _CANONICAL_INT.fullmatch(text):
            return int(text), text
        tag = self.resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        kind = str(tag).removeprefix(_YAML_TAG)
        if kind == "null":
            return None, text
        if kind == "bool":
            return self.constructor.bool_values[text.lower()], text
        if kind == "int":
            return self._int(event, path, text), text
        if kind == "float":
            return self._float(event, path, text), text
        return text, None  # str, and timestamps, '=' and '<<' as values: the text as written

    def _int(self, event: yaml.ScalarEvent, path: FieldPath, text: str) -> int | None:
        if _CANONICAL_INT.fullmatch(text):
            return int(text)
        if text.lstrip("+-").isdigit() and len(text.lstrip("+-0")) > _MAX_INT_DIGITS:
            read = f"a number of {len(text):,} digits (numbers have at most {_MAX_INT_DIGITS})"
        elif len(text) > 30:
            read = f"a {len(text):,}-character number ({_int_form(text)})"
        else:
            value = self.constructor.construct_yaml_int(yaml.ScalarNode(_YAML_TAG + "int", text))
            read = f"the number {value} ({_int_form(text)})"
        self._misread(event, path, text, read)
        return None

    def _float(self, event: yaml.ScalarEvent, path: FieldPath, text: str) -> float | None:
        node = yaml.ScalarNode(_YAML_TAG + "float", text)
        value = self.constructor.construct_yaml_float(node)
        if ":" in text or "_" in text:
            form = "base 60" if ":" in text else "its underscores are dropped"
            self._misread(event, path, text, f"the number {value} ({form})")
            return None
        return float(value)

    def _misread(self, event: yaml.ScalarEvent, path: FieldPath, text: str, read: str) -> None:
        line, column = _mark(event)
        self.problems.append(
            Problem(
                self.file,
                line,
                column,
                dotted(path),
                f"YAML reads the unquoted {shown(text)} as {read}",
                f"if it is text, {quote_hint(path, text)}; if it is a number, write it in "
                "plain decimal",
            )
        )

    def _tag_ok(self, event: yaml.NodeEvent, path: FieldPath, allowed: str) -> bool:
        tag = getattr(event, "tag", None)
        if tag in (None, "!", allowed):
            return True
        shown = "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag
        self._problem(
            event,
            path,
            f"the YAML tag {shown} is not supported; remove it (quote the value if it is text)",
        )
        return False

    # --- limits and problems -----------------------------------------------------------------

    def _collection(self, event: yaml.NodeEvent, path: FieldPath, depth: int, tag: str) -> None:
        self._tag_ok(event, path, tag)
        if depth > MAX_DEPTH:
            raise _Stop(
                self._make(
                    event,
                    path,
                    f"nests lists and mappings more than {MAX_DEPTH} levels deep; reading "
                    "stopped here",
                )
            )

    def _count(self, event: yaml.Event, n: int) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise _Stop(
                self._make(
                    event,
                    (),
                    f"holds more than {MAX_NODES:,} keys and values; reading stopped here",
                    "split the desired state over several projects, each with its own "
                    "platform.yaml",
                )
            )

    def _position(self, event: yaml.Event) -> Position:
        return Position(self.file, *_mark(event))

    def _make(
        self, event: yaml.Event, path: FieldPath, message: str, hint: str | None = None
    ) -> Problem:
        line, column = _mark(event)
        return Problem(self.file, line, column, dotted(path), message, hint)

    def _problem(self, event: yaml.Event, path: FieldPath, message: str) -> None:
        self.problems.append(self._make(event, path, message))


def _mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _non_ascii_key(key: str) -> str:
    """Why a key outside ``tags`` must be ASCII: field names and resource names are, so a
    non-ASCII letter there is a look-alike (a Cyrillic or Greek letter) or a typo."""
    char = next(c for c in key if not c.isascii())
    return (
        f"this key holds {code_point(char)}: field names and resource names are ASCII, and a "
        "letter like this can look exactly like an ASCII one (Cyrillic \u0430, \u0435, \u043e, "
        "\u0440); retype "
        "the key in ASCII"
    )


def _is_secret(path: FieldPath) -> bool:
    return secret_field(path) or path == ("settings", "secret_key")


def _int_form(text: str) -> str:
    bare = text.lstrip("+-")
    if ":" in text:
        return "base 60"
    if bare.startswith(("0x", "0X")):
        return "hexadecimal"
    if bare.startswith(("0b", "0B")):
        return "binary"
    if "_" in text:
        return "its underscores are dropped"
    if bare.startswith("0") and len(bare) > 1:
        return "octal, because of the leading 0"
    return "its + sign is dropped" if text.startswith("+") else "not plain decimal"


def shown(text: str) -> str:
    """A scalar as written, shortened for a message."""
    return text if len(text) <= 40 else f"{text[:20]}…"


def quote_hint(path: FieldPath, text: str) -> str:
    """'quote it: version: '010'' for a short value, 'put it in quotes' for a long one."""
    key = next((p for p in reversed(path) if isinstance(p, str)), None)
    if key is None or len(text) > 40 or "'" in text:
        return "put it in quotes"
    return f"quote it: {key}: '{text}'"
