"""Problems of a desired state, located and said so a person can fix them.

A pydantic validation error becomes a `Problem` at the field's file:line:column (the union
tags pydantic puts in a location are dropped), in words: "required field is missing", "expected
a mapping", a text field that YAML read as a number says what was written and how to quote it.
Problems are reported platform.yaml first, then the overlays, by line.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from reconciler.config.yamlfile import quote_hint, shown
from reconciler.core.desired import PLATFORM_FILE, Locator
from reconciler.core.errors import FieldPath, Position, Problem
from reconciler.core.limits import MAX_VERSION


def by_location(problems: list[Problem]) -> list[Problem]:
    """platform.yaml first, then the overlays; by line and column within a file."""
    return sorted(
        problems, key=lambda p: (p.file != PLATFORM_FILE, p.file, p.line or 0, p.column or 0)
    )


def located(
    positions: Mapping[FieldPath, Position], path: FieldPath, message: str, hint: str | None = None
) -> Problem:
    return Locator(positions).problem(path, message, hint)


def validation_problems(
    exc: ValidationError,
    data: dict[str, Any],
    positions: Mapping[FieldPath, Position],
    texts: Mapping[FieldPath, str],
) -> list[Problem]:
    return problems_of(exc.errors(include_url=False, include_input=False), data, positions, texts)


def problems_of(
    errors: Sequence[Any],
    data: dict[str, Any],
    positions: Mapping[FieldPath, Position],
    texts: Mapping[FieldPath, str],
) -> list[Problem]:
    problems = []
    for error in errors:
        path = _real_path(error["loc"], data)
        message, hint = _message(error), None
        if error["type"] in ("union_tag_invalid", "unknown_type"):
            tag = str(error.get("ctx", {}).get("discriminator", "type")).strip("'")
            parent = _value_at(data, path)
            if not isinstance(parent, dict):  # e.g. a field indented one level too little
                message = (
                    f"expected the fields of {_named(path)} (a mapping), found {_kind(parent)}"
                )
                hint = "check the indentation: is it a field of the entry above?"
            elif tag not in parent:
                path = (*path, tag)
                message = "required field is missing" + (
                    f"; {message.split('; ', 1)[1]}" if "; " in message else ""
                )
            else:
                path = (*path, tag)
        elif error["type"] == "model_attributes_type":  # an entry that is not a mapping
            found = _kind(_value_at(data, path))
            message = f"expected the fields of {_named(path)} (a mapping), found {found}"
            hint = "check the indentation: is it a field of the entry above?"
        elif error["type"] == "extra_forbidden" and path and isinstance(path[-1], str):
            hint = _did_you_mean(path[-1])
        if error["type"] == "string_type":
            message, hint = _not_text(path, data, texts)
        problems.append(located(positions, path, message, hint))
    return by_location(problems)


def _did_you_mean(key: str) -> str | None:
    if key in _field_names():
        return f"{key!r} is a field, but not at this level: check its indentation"
    close = difflib.get_close_matches(key, _field_names(), n=1, cutoff=0.75)
    return f"did you mean {close[0]!r}?" if close else None


@functools.cache
def _field_names() -> frozenset[str]:
    """Every field name platform.yaml has, anywhere (from its JSON Schema)."""
    from reconciler.config.model.platform import Platform

    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            fields = node.get("properties")
            if isinstance(fields, dict):
                names.update(str(name) for name in fields)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(Platform.model_json_schema(mode="validation"))
    return frozenset(names)


def _value_at(data: Any, path: FieldPath) -> Any:
    value = data
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _named(path: FieldPath) -> str:
    return f"{path[0]} entry {path[-1]!r}" if len(path) == 2 else "this entry"


def _kind(value: Any) -> str:
    if value is None:
        return "no value"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool | int | float):
        return "a number or true/false"
    return "text"


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
        elif index == len(loc) - 1 and isinstance(part, str) and not set("[:") & set(part):
            path.append(part)  # a missing field (union tags hold "[" or ":"): at its parent
    return tuple(path)


def _not_text(
    path: FieldPath, data: dict[str, Any], texts: Mapping[FieldPath, str]
) -> tuple[str, str | None]:
    """A text field holding something else: say what YAML read, and how to quote it."""
    value: object = data
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            value = None
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
