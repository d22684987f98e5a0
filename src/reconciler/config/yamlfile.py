"""YAML to plain data, remembering where every value came from and refusing duplicate keys.

PyYAML silently keeps the last of two equal keys; a desired state must not, because the
first value would vanish without review. We compose the node tree with the C parser (fast)
and build the data ourselves, recording ``path -> (file, line, column)`` on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ConfigError, FieldPath, Position, Problem, dotted

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader


@dataclass
class YamlDocument:
    data: dict[str, Any]
    positions: dict[FieldPath, Position]
    file: str


def read_yaml(path: Path, display: str) -> YamlDocument:
    """Parse one YAML file into a mapping; every problem becomes a located `ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            problems=[Problem(display, None, None, "", f"cannot read: {exc}")]
        ) from exc
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        message = f"not valid YAML: {exc.problem or exc.context}"
        raise ConfigError(problems=[Problem(display, line, column, "", message)]) from exc
    if node is None:
        return YamlDocument({}, {}, display)
    builder = _Builder(display)
    data = builder.build(node, ())
    if builder.problems:
        raise ConfigError(problems=builder.problems)
    if not isinstance(data, dict):
        problem = Problem(display, node.start_mark.line + 1, 1, "", "the file must hold a mapping")
        raise ConfigError(problems=[problem])
    return YamlDocument(data, builder.positions, display)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[FieldPath, Position] = {}
        self.problems: list[Problem] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        self.positions[path] = Position(
            self.file, node.start_mark.line + 1, node.start_mark.column + 1
        )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._problem(
                    key_node, path, "YAML merge keys (<<) are not supported; repeat the fields"
                )
                continue
            key = self._constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                first = self.positions[(*path, key)]
                self._problem(
                    key_node,
                    (*path, key),
                    f"duplicate key {key!r} (first defined at line {first.line}); "
                    "remove one of them",
                )
                continue
            result[key] = self.build(value_node, (*path, key))
            self.positions[(*path, key)] = Position(
                self.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1
            )
        return result

    def _problem(self, node: yaml.Node, path: FieldPath, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, dotted(path), message)
        )
