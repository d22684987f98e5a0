"""Replay every vendored specification example against a fresh emulator and compare.

Each example (an ``x-ms-examples`` file: request parameters and the responses the
specification shows) is sent to its own emulator, started on the example's subscription,
resource group and workspace, as plain HTTP requests (as `replay` sends recordings). An example
that reads, lists or deletes a resource first creates it from the family's seed example.

The answer is compared as fidelity compares recordings, loosened for made-up values:

* the status must be one the example lists;
* every field of the example's answer (for that status) must be in the emulator's, with the
  same JSON type (``null`` in the example matches any type; list items are compared by
  position);
* values are compared only where the example echoes its request: a request value that comes
  back at the same place in the answer (``properties.*``, the resource ``name``) must come
  back equal. Placeholders such as ``id: "string"`` are not compared.

Fields only the emulator has are notes, not differences. Out of scope: examples whose
operation, datastore type or connection category the emulator does not model (`OUT_OF_SCOPE`).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from reconciler_testing.emulator import Emulator
from tests.fidelity.replay import send
from tests.fidelity.swagger import ROOT, Operation, Spec

Outcome = Literal["match", "mismatch", "out_of_scope"]
# example file (relative to its api-version folder) -> why it is out of scope
_ABSENT = "not vendored: the search index the specification was read through does not hold it"
_UNREAD = "not vendored: left unread to keep within the look-up budget (spec/README.md)"
OUT_OF_SCOPE: dict[str, str] = {
    "examples/WorkspaceConnection/list.json": _ABSENT,
    "examples/WorkspaceConnection/delete.json": _ABSENT,
    "examples/Workspace/DataVersionBase/get.json": _ABSENT,
    "examples/Workspace/DataContainer/list.json": _UNREAD,
    "examples/Workspace/DataContainer/delete.json": _UNREAD,
    "examples/Workspace/DataVersionBase/list.json": _UNREAD,
    "examples/Workspace/DataVersionBase/delete.json": _UNREAD,
}
# examples that read a resource unlike the family's seed: seeded from their own answer
SEEDED_FROM_ANSWER = frozenset({"examples/WorkspaceConnection/listSecrets.json"})
# collection path (under the workspace) -> the example that creates what the others read
SEEDS = {
    "/datastores": "examples/Datastore/AzureBlobWAccountKey/createOrUpdate.json",
    "/connections": "examples/WorkspaceConnection/create.json",
    "/data": "examples/Workspace/DataVersionBase/createOrUpdate.json",
}
_NOT_QUERY = {"subscriptionId", "resourceGroupName", "workspaceName", "body", "$skipToken"}


@dataclass(frozen=True)
class ExampleResult:
    operation: str
    example: str  # path relative to the spec root
    outcome: Outcome
    differences: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.operation.split("_", 1)[0]


def replay_examples(spec: Spec) -> list[ExampleResult]:
    return [replay_example(spec, op, path) for op, _title, path in spec.examples()]


def replay_example(spec: Spec, op: Operation, path: Path) -> ExampleResult:
    relative = path.relative_to(ROOT).as_posix()
    local = _local(op, path)
    if local in OUT_OF_SCOPE:
        return ExampleResult(op.id, relative, "out_of_scope", (OUT_OF_SCOPE[local],))
    example = json.loads(path.read_text(encoding="utf-8"))
    params = example["parameters"]
    with tempfile.TemporaryDirectory(prefix="spec-example-") as tmp:
        scope = {
            "subscription_id": params["subscriptionId"],
            "resource_group": params["resourceGroupName"],
            "workspace_name": params["workspaceName"],
        }
        with Emulator(Path(tmp), tls=False, **scope) as emulator:
            if local in SEEDED_FROM_ANSWER:
                _seed_from_answer(spec, op, emulator.base_url, example)
            elif op.method != "PUT":
                _seed(spec, op, emulator.base_url, params)
            answer = send(op.method, emulator.base_url + _url(op, params), params.get("body"))
            emulator.wait_for_jobs(30)
    responses = example["responses"]
    if str(answer.status) not in responses:
        message = json.dumps(answer.body)[:200] if answer.body is not None else ""
        expected = "/".join(responses)
        return ExampleResult(
            op.id, relative, "mismatch", (f"status {answer.status}, expected {expected} {message}",)
        )
    wanted = responses[str(answer.status)].get("body")
    differences: list[str] = []
    notes: list[str] = []
    _shape("$", wanted, answer.body, differences, notes)
    _echoes(params.get("body"), params, answer.body, differences)
    outcome: Outcome = "mismatch" if differences else "match"
    return ExampleResult(op.id, relative, outcome, tuple(differences), tuple(notes))


def _local(op: Operation, path: Path) -> str:
    folder = ROOT / op.file
    return path.relative_to(folder.parent).as_posix()


def _url(op: Operation, params: dict[str, Any]) -> str:
    url = op.template
    for name, value in params.items():
        url = url.replace("{" + name + "}", quote(str(value), safe=""))
    query = {k: _query_value(v) for k, v in params.items() if k not in _NOT_QUERY}
    query = {k: v for k, v in query.items() if "{" + k + "}" not in op.template}
    return url + "?" + urlencode(query)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _seed(spec: Spec, op: Operation, base_url: str, wanted: dict[str, Any]) -> None:
    """Create what ``op`` reads from the seed example of its collection, in the example's
    workspace and under the example's resource names."""
    for collection, seed in SEEDS.items():
        if not _in_collection(op.template, collection):
            continue
        seed_example = json.loads(((ROOT / op.file).parent / seed).read_text(encoding="utf-8"))
        put = next(o for o in spec.operations if o.method == "PUT" and _shows(o, seed))
        params = {**seed_example["parameters"]}
        params.update({k: v for k, v in wanted.items() if "{" + k + "}" in put.template})
        answer = send("PUT", base_url + _url(put, params), params["body"])
        if answer.status not in (200, 201):
            raise AssertionError(f"seed {seed} refused: {answer.status} {answer.body}")


def _seed_from_answer(spec: Spec, op: Operation, base_url: str, example: dict[str, Any]) -> None:
    """Create the resource the example reads as its answer shows it (credentials included)."""
    params = example["parameters"]
    put = next(
        o
        for o in spec.operations
        if o.method == "PUT" and o.template == op.template.rsplit("/", 1)[0]
    )
    body = {"properties": example["responses"]["200"]["body"]["properties"]}
    answer = send("PUT", base_url + _url(put, params), body)
    if answer.status not in (200, 201):
        raise AssertionError(f"seed from the answer refused: {answer.status} {answer.body}")


def _in_collection(template: str, collection: str) -> bool:
    rest = template.split("{workspaceName}", 1)[-1]
    return rest == collection or rest.startswith(collection + "/")


def _shows(op: Operation, example: str) -> bool:
    refs = op.spec.get("x-ms-examples", {}).values()
    return any(str(ref["$ref"]).removeprefix("./") == example for ref in refs)


def _type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else "null"
    )


def _shape(where: str, wanted: Any, got: Any, differences: list[str], notes: list[str]) -> None:
    if wanted is None:
        return
    if _type(wanted) != _type(got):
        differences.append(f"{where}: {_type(got)}, the example has {_type(wanted)}")
        return
    if isinstance(wanted, dict):
        for key, value in wanted.items():
            if key not in got:
                differences.append(f"{where}.{key}: missing")
            else:
                _shape(f"{where}.{key}", value, got[key], differences, notes)
        notes += [f"{where}.{key}: only the emulator" for key in got if key not in wanted]
    elif isinstance(wanted, list):
        for i, item in enumerate(wanted[: len(got)]):
            _shape(f"{where}[{i}]", item, got[i], differences, notes)
        if len(got) < len(wanted):
            differences.append(f"{where}: {len(got)} items, the example has {len(wanted)}")


def _echoes(request: Any, params: dict[str, Any], got: Any, differences: list[str]) -> None:
    """Request values that the answer carries at the same place must come back equal."""
    if not isinstance(got, dict):
        return
    if "name" in params and "name" in got and got["name"] != params["name"]:
        differences.append(f"$.name: {got['name']!r}, the request named {params['name']!r}")
    if isinstance(request, dict):
        _echo("$", request, got, differences)


def _echo(where: str, sent: Any, got: Any, differences: list[str]) -> None:
    if isinstance(sent, dict) and isinstance(got, dict):
        for key, value in sent.items():
            if key in got:
                _echo(f"{where}.{key}", value, got[key], differences)
    elif not isinstance(sent, dict | list) and sent is not None and got != sent:
        differences.append(f"{where}: {got!r}, the request sent {sent!r}")
