"""The vendored REST specification (``spec/``) as JSON Schemas, and answers checked against it.

Swagger 2.0 definitions are close to JSON Schema but not the same, so each definition is
converted once:

* ``allOf`` parents are flattened into one object schema (properties and ``required``
  merged), so a subtype's ``additionalProperties: false`` sees its parents' properties;
* a ``$ref`` to a definition with a ``discriminator`` dispatches on that property: the subtype
  whose ``x-ms-discriminator-value`` (or name) matches is checked; any other value is checked
  against the base alone (whose enum then says whether the value is known);
* a property is nullable only with ``x-nullable: true``; ``readOnly``, ``x-ms-*`` and
  ``default`` are ignored; formats ``date-time`` and ``uuid`` are checked.

`Spec.operation(method, path)` finds the operation a request is for, whatever its
api-version: the emulator answers every version alike, so the shape is checked against the
version azure-ai-ml 1.35 sends (research §2).
"""

from __future__ import annotations

import datetime
import functools
import json
import posixpath
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).parent / "spec"
MLS = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices"
# spec file -> the resource kinds it is the reference for (the api-version azure-ai-ml sends)
FILES = {
    f"{MLS}/preview/2024-04-01-preview/workspaceRP.json": ("connections",),
    f"{MLS}/preview/2023-04-01-preview/mfe.json": ("data",),
    f"{MLS}/preview/2024-10-01-preview/mfe.json": ("datastores",),
}
_COPIED: tuple[str, ...] = ("type", "enum", "format", "pattern", "minLength", "maxLength")
_COPIED += ("minimum", "maximum", "uniqueItems", "minItems", "maxItems")
JSON = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    file: str
    method: str
    template: str
    id: str
    spec: JSON  # the operation object

    def response(self, status: int) -> JSON | None:
        """The spec's response for ``status`` (``default`` for errors), None if it has none."""
        responses = self.spec["responses"]
        found = responses.get(str(status))
        if found is None and status >= 400:
            found = responses.get("default")
        return found  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Violation:
    where: str  # JSON path in the body
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class Spec:
    """Every vendored file, its operations, and one JSON Schema registry for its definitions."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self.documents: dict[str, JSON] = {}
        for file in FILES:
            self._load(file)
        self.schemas: JSON = {}
        for file, document in list(self.documents.items()):
            for name in document.get("definitions", {}):
                self._convert_definition(file, name)
        self.operations = tuple(self._operations())

    def _load(self, file: str) -> JSON:
        if file not in self.documents:
            self.documents[file] = json.loads((self.root / file).read_text(encoding="utf-8"))
        return self.documents[file]

    def _operations(self) -> Iterator[Operation]:
        for file in FILES:
            for template, item in self.documents[file]["paths"].items():
                for method, spec in item.items():
                    yield Operation(file, method.upper(), template, spec["operationId"], spec)

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method.upper() and _template(op.template).match(path):
                return op
        return None

    def examples(self) -> Iterator[tuple[Operation, str, Path]]:
        """(operation, example title, example file) for every x-ms-examples entry."""
        for op in self.operations:
            for title, ref in op.spec.get("x-ms-examples", {}).items():
                path = self.root / posixpath.dirname(op.file) / ref["$ref"]
                yield op, title, path

    # --- conversion ------------------------------------------------------------------------

    def _resolve(self, file: str, ref: str) -> tuple[str, str]:
        where, _, pointer = ref.partition("#")
        if where:
            file = posixpath.normpath(posixpath.join(posixpath.dirname(file), where))
            self._load(file)
        return file, pointer.removeprefix("/definitions/")

    def _definition(self, file: str, name: str) -> JSON:
        return self.documents[file]["definitions"][name]  # type: ignore[no-any-return]

    def _uri(self, file: str, name: str, kind: str) -> str:
        return f"urn:spec:{kind}:{name}:{file}"

    def _convert_definition(self, file: str, name: str) -> str:
        """URI of the dispatching schema of ``name`` (its flat schema if it has no subtypes)."""
        union = self._uri(file, name, "union")
        if union in self.schemas:
            return union
        self.schemas[union] = {}  # placeholder: recursive definitions
        flat = self._uri(file, name, "flat")
        self.schemas[flat] = self._flatten(file, name)
        definition = self._definition(file, name)
        schema: JSON = {"$ref": flat}
        key = definition.get("discriminator")
        if key:
            for sub_file, sub in reversed(self._subtypes(file, name)):
                value = self._definition(sub_file, sub).get("x-ms-discriminator-value", sub)
                schema = {
                    "if": {"properties": {key: {"const": value}}, "required": [key]},
                    "then": {"$ref": self._convert_definition(sub_file, sub)},
                    "else": schema,
                }
        self.schemas[union] = {"$id": union, **schema}
        return union

    def _subtypes(self, file: str, name: str) -> list[tuple[str, str]]:
        wanted = {"$ref": f"#/definitions/{name}"}
        found = self.documents[file]["definitions"].items()
        return [(file, n) for n, d in found if wanted in d.get("allOf", [])]

    def _flatten(self, file: str, name: str) -> JSON:
        properties: JSON = {}
        required: list[str] = []
        definition = self._definition(file, name)
        for parent in definition.get("allOf", []):
            parent_file, parent_name = self._resolve(file, parent["$ref"])
            self._convert_definition(parent_file, parent_name)
            flat = self.schemas[self._uri(parent_file, parent_name, "flat")]
            properties.update(flat.get("properties", {}))
            required += flat.get("required", [])
        out = self._schema(file, {k: v for k, v in definition.items() if k != "allOf"})
        properties.update(out.get("properties", {}))
        required += [r for r in out.get("required", []) if r not in required]
        if properties:
            out["properties"] = properties
        if required:
            out["required"] = required
        if definition.get("additionalProperties") is False:
            out["additionalProperties"] = False
        out["$id"] = self._uri(file, name, "flat")
        return out

    def _schema(self, file: str, swagger: JSON) -> JSON:
        nullable = swagger.get("x-nullable") is True
        if "$ref" in swagger:
            target = self._convert_definition(*self._resolve(file, swagger["$ref"]))
            ref: JSON = {"$ref": target}
            return {"anyOf": [{"type": "null"}, ref]} if nullable else ref
        out: JSON = {k: swagger[k] for k in _COPIED if k in swagger}
        if "items" in swagger:
            out["items"] = self._schema(file, swagger["items"])
        if "properties" in swagger:
            out["properties"] = {k: self._schema(file, v) for k, v in swagger["properties"].items()}
        if "required" in swagger:
            out["required"] = list(swagger["required"])
        extra = swagger.get("additionalProperties")
        if isinstance(extra, dict):
            out["additionalProperties"] = self._schema(file, extra)
        if nullable and "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out

    # --- validation ------------------------------------------------------------------------

    def validate(self, op: Operation, status: int, body: Any) -> list[Violation]:
        response = op.response(status)
        if response is None:
            return [Violation("(status)", f"{status} is not a response of {op.id}")]
        schema = response.get("schema")
        if schema is None:
            if body is None:
                return []
            return [Violation("(body)", f"{op.id} answers {status} without a body")]
        file_schema = self._schema(op.file, schema)
        return [
            Violation(_where(error), _message(error))
            for error in sorted(self._validator(json.dumps(file_schema)).iter_errors(body), key=str)
        ]

    @functools.cache  # noqa: B019 (one Spec per session)
    def _validator(self, schema_text: str) -> jsonschema.protocols.Validator:
        from referencing import Registry
        from referencing.jsonschema import DRAFT202012

        resources = [(uri, DRAFT202012.create_resource(s)) for uri, s in self.schemas.items()]
        registry: Registry[Any] = Registry().with_resources(resources)
        cls = jsonschema.Draft202012Validator
        return cls(json.loads(schema_text), registry=registry, format_checker=_FORMATS)


def _template(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
    return re.compile(f"^{regex}$", re.IGNORECASE)


def _where(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator in ("anyOf", "oneOf") and error.context:
        return str(min(error.context, key=lambda e: len(e.message)).message)
    return str(error.message)


_FORMATS = jsonschema.FormatChecker(formats=())


def _date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.datetime.fromisoformat(value))


def _uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


_FORMATS.checks("date-time", raises=ValueError)(_date_time)
_FORMATS.checks("uuid", raises=ValueError)(_uuid)
