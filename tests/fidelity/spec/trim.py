"""Trim full copies of the Azure ML REST specification to what the emulator is checked against.

The vendored files under ``specification/`` are the output of this script run on full copies of
the same files from Azure/azure-rest-api-specs (paths and commits in README.md)::

    python -m tests.fidelity.spec.trim FULL_ROOT tests/fidelity/spec

``FULL_ROOT`` is a checkout (or a folder holding the files below at their repository paths).
What is kept, mechanically:

* the operations in ``OPERATIONS`` (path and method), with every other path dropped;
* the local parameters they name (``#/parameters/...``, workspaceRP.json has them), sorted;
* the definitions they reach through local ``$ref``s, and, for a definition with a
  ``discriminator``, every definition that names it in its ``allOf`` (its subtypes), except
  the subtypes in ``EXCLUDED_SUBTYPES``; in the common-types file, the definitions and
  parameters the kept files name;
* string-valued ``description``, ``summary``, ``title`` and ``example`` keys are dropped
  everywhere, and ``x-ms-enum.values`` (their per-value descriptions): documentation only.

Running it on the vendored files themselves gives them back unchanged (the closure is
complete); `tests/fidelity/test_spec.py` checks that.
"""

from __future__ import annotations

import json
import posixpath
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MLS = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices"
COMMON = "specification/common-types/resource-management/v3/types.json"
WS = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
    "Microsoft.MachineLearningServices/workspaces/{workspaceName}"
)
# spec file -> (path under the workspace, method) kept
OPERATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    f"{MLS}/preview/2024-04-01-preview/workspaceRP.json": (
        ("/connections", "get"),
        ("/connections/{connectionName}", "delete"),
        ("/connections/{connectionName}", "get"),
        ("/connections/{connectionName}", "put"),
        ("/connections/{connectionName}/listsecrets", "post"),
    ),
    f"{MLS}/preview/2023-04-01-preview/mfe.json": (
        ("/data", "get"),
        ("/data/{name}", "delete"),
        ("/data/{name}", "get"),
        ("/data/{name}", "put"),
        ("/data/{name}/versions", "get"),
        ("/data/{name}/versions/{version}", "delete"),
        ("/data/{name}/versions/{version}", "get"),
        ("/data/{name}/versions/{version}", "put"),
    ),
    f"{MLS}/preview/2024-10-01-preview/mfe.json": (
        ("/datastores", "get"),
        ("/datastores/{name}", "delete"),
        ("/datastores/{name}", "get"),
        ("/datastores/{name}", "put"),
        ("/datastores/{name}/listSecrets", "post"),
    ),
}
# subtypes left out: the data import entity shares uri_folder with UriFolderDataVersion (the
# emulator's versions are the latter)
EXCLUDED_SUBTYPES: dict[str, frozenset[str]] = {
    f"{MLS}/preview/2023-04-01-preview/mfe.json": frozenset({"DataImport"}),
}
_DOCS = frozenset({"description", "summary", "title", "example"})
JSON = dict[str, Any]


def strip_docs(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _DOCS and isinstance(item, str):
                continue
            if key == "x-ms-enum" and isinstance(item, dict):
                item = {k: v for k, v in item.items() if k != "values"}
            out[key] = strip_docs(item)
        return out
    if isinstance(value, list):
        return [strip_docs(item) for item in value]
    return value


def refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def _subtypes(definitions: JSON, base: str) -> list[str]:
    wanted = {"$ref": f"#/definitions/{base}"}
    return [n for n, d in definitions.items() if wanted in d.get("allOf", [])]


def trim_file(
    full: JSON, operations: tuple[tuple[str, str], ...], file: str
) -> tuple[JSON, set[str]]:
    """The trimmed file and the external ``$ref``s it keeps (``path#/pointer``)."""
    paths: JSON = {}
    for path, item in full["paths"].items():
        kept = {m: op for m, op in item.items() if (path.removeprefix(WS), m) in operations}
        if kept and path.startswith(WS):
            paths[path] = kept
    definitions = full["definitions"]
    excluded = EXCLUDED_SUBTYPES.get(file, frozenset())
    keep: set[str] = set()
    parameters: set[str] = set()
    external: set[str] = set()
    todo = list(refs(paths))
    while todo:
        ref = todo.pop()
        where, _, pointer = ref.partition("#")
        if where:
            external.add(
                posixpath.normpath(posixpath.join(posixpath.dirname(file), where)) + "#" + pointer
            )
            continue
        if pointer.startswith("/parameters/"):
            parameters.add(pointer.removeprefix("/parameters/"))
            continue
        name = pointer.removeprefix("/definitions/")
        if name in keep:
            continue
        keep.add(name)
        todo += refs(definitions[name])
        if "discriminator" in definitions[name]:
            todo += [
                f"#/definitions/{s}" for s in _subtypes(definitions, name) if s not in excluded
            ]
    head: JSON = {k: full[k] for k in ("swagger", "info", "host", "schemes") if k in full}
    out: JSON = {**head, "paths": paths, "definitions": {n: definitions[n] for n in sorted(keep)}}
    if parameters:
        out["parameters"] = {n: full["parameters"][n] for n in sorted(parameters)}
    trimmed: JSON = strip_docs(out)
    return trimmed, external


def trim_common(full: JSON, wanted: set[str]) -> JSON:
    keep: dict[str, set[str]] = {"definitions": set(), "parameters": set()}
    todo = sorted(wanted)
    while todo:
        section, _, name = todo.pop().lstrip("/").partition("/")
        if name in keep[section]:
            continue
        keep[section].add(name)
        todo += [r.partition("#")[2] for r in refs(full[section][name])]
    out: JSON = {k: full[k] for k in ("swagger", "info", "paths")}
    for section in ("definitions", "parameters"):
        out[section] = {n: v for n, v in full[section].items() if n in keep[section]}
    trimmed: JSON = strip_docs(out)
    return trimmed


def trim(full_root: Path, out_root: Path) -> list[Path]:
    written = []
    common: set[str] = set()
    for file, operations in OPERATIONS.items():
        full = json.loads((full_root / file).read_text(encoding="utf-8"))
        trimmed, external = trim_file(full, operations, file)
        common |= {e.partition("#")[2] for e in external if e.startswith(COMMON + "#")}
        written.append(_write(out_root / file, trimmed))
    full = json.loads((full_root / COMMON).read_text(encoding="utf-8"))
    written.append(_write(out_root / COMMON, trim_common(full, common)))
    return written


def _write(path: Path, value: JSON) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    for written in trim(Path(sys.argv[1]), Path(sys.argv[2])):
        print(written)
