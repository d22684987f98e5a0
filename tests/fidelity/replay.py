"""Replay one recording, request by request, against a fresh in-process emulator.

The emulator runs with its default knobs (as a user starts it) on plain HTTP: the transport is
not what is measured here, and TLS would only add a certificate per recording. Each in-scope
request is rewritten to the emulator's host and workspace (`normalise.rescope`) and sent as
recorded; the answer is compared with the recorded one (`compare`).

Three things a straight replay cannot do on its own are handled explicitly, and reported:

* *Seeds*: a resource the recording reads before any request of it creates it (made by an
  unrecorded fixture of the original test) is first created through the emulator's own API
  from its recorded body. Seeds are not counted as requests.
* *Operation polls*: a recorded poll of ``.../mfeOperationsStatus/<id>`` is sent to the
  ``Azure-AsyncOperation`` URL the emulator gave last, as azure-core would; if the emulator gave
  none, the poll is a mismatch.
* *Foreign list items*: see `compare`.
"""

from __future__ import annotations

import json
import re
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from reconciler_testing.emulator import Emulator
from tests.fidelity.compare import (
    Context,
    Difference,
    compare_bodies,
    compare_headers,
    error_summary,
)
from tests.fidelity.normalise import MANAGEMENT, Ranks, Target, canonical, rescope
from tests.fidelity.recording import AMBIENT_DATASTORES, Entry, Recording, out_of_scope

SUB = "11111111-2222-3333-4444-555555555555"
RG = "rg-fidelity"
WS = "ws-fidelity"
Outcome = Literal["match", "mismatch", "out_of_scope"]
_RESOURCE = re.compile(
    r"/workspaces/[^/]+/(?P<kind>connections|datastores|schedules|jobs|data)/(?P<name>[^/?]+)"
    r"(?:/versions/(?P<version>[^/?]+))?(?P<tail>/[^?]*)?$"
)
_OPERATION = re.compile(r"/(mfeOperationsStatus|mfeOperationResults)/", re.I)


@dataclass(frozen=True)
class RequestResult:
    index: int
    method: str
    route: str
    outcome: Outcome
    reason: str = ""  # why out of scope
    differences: tuple[Difference, ...] = ()
    notes: tuple[str, ...] = ()  # foreign items dropped, fields only the emulator has


@dataclass(frozen=True)
class RecordingResult:
    key: str
    source: str
    results: tuple[RequestResult, ...]
    seeds: tuple[str, ...] = ()

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def requests(self) -> int:
        return len(self.results)

    @property
    def matching(self) -> int:
        return self.count("match")

    @property
    def mismatching(self) -> int:
        return self.count("mismatch")

    @property
    def out_of_scope(self) -> int:
        return self.count("out_of_scope")

    def mismatches(self) -> dict[int, RequestResult]:
        return {r.index: r for r in self.results if r.outcome == "mismatch"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def send(method: str, url: str, body: Any) -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return _answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return _answer(error.code, dict(error.headers), error.read())


def _answer(status: int, headers: dict[str, str], raw: bytes) -> Answer:
    return Answer(status, headers, json.loads(raw) if raw.strip() else None)


def route(entry: Entry) -> str:
    """``GET datastores/{name}``-style label of a recorded request."""
    path = entry.path
    if entry.host != "management.azure.com":
        return f"{entry.method} {entry.host.split('.', 1)[1] if '.' in entry.host else entry.host}"
    if _OPERATION.search(path):
        return f"{entry.method} operation status"
    match = _RESOURCE.search(path)
    if match is None:
        rest = re.sub(r"^.*/workspaces/[^/]+", "", path) or "{workspace}"
        return f"{entry.method} {rest.strip('/')}"
    label = f"{match['kind']}/{{name}}"
    if match["version"]:
        label += "/versions/{version}"
    elif match["tail"]:
        label += match["tail"]
    return f"{entry.method} {label}"


@dataclass
class _Replay:
    recording: Recording
    target: Target
    known: set[str] = field(default_factory=set)  # names created, seeded or ambient
    seeds: list[str] = field(default_factory=list)
    last_operation: str | None = None
    recorded_ranks: Ranks = field(default_factory=Ranks)
    emulator_ranks: Ranks = field(default_factory=Ranks)

    def run(self) -> RecordingResult:
        self.known |= AMBIENT_DATASTORES
        self._seed()
        results = tuple(self._one(entry) for entry in self.recording.entries)
        return RecordingResult(
            self.recording.key, self.recording.source, results, tuple(self.seeds)
        )

    # --- seeds -----------------------------------------------------------------------------

    def _seed(self) -> None:
        """Create what the recording reads before it writes it (data versions: the only kind
        the recordings need), and learn the names the recording creates."""
        written: set[str] = set()
        for entry in self.recording.entries:
            if out_of_scope(entry) or _OPERATION.search(entry.path):
                continue
            match = _RESOURCE.search(entry.path)
            if match is None:
                continue
            resource = match[0].split("/", 3)[-1].lower()
            if entry.method == "PUT":
                written.add(resource)
                self.known.add(match["version"] or match["name"])
                continue
            seedable = entry.method == "GET" and entry.status == 200 and match["version"]
            if seedable and resource not in written and not match["tail"]:
                self._seed_data_version(entry)
                written.add(resource)

    def _seed_data_version(self, entry: Entry) -> None:
        props = dict(entry.body["properties"])
        url = rescope(entry.uri, self.recording.scope, self.target)
        answer = send("PUT", url, {"properties": props})
        label = f"PUT {urlsplit(url).path.split('/workspaces/', 1)[1]}"
        self.seeds.append(f"{label} -> {answer.status}")
        self.known.add(entry.body["name"])

    # --- one request -----------------------------------------------------------------------

    def _one(self, entry: Entry) -> RequestResult:
        label = route(entry)
        reason = out_of_scope(entry)
        if reason is not None:
            return RequestResult(entry.index, entry.method, label, "out_of_scope", reason)
        operation = bool(_OPERATION.search(entry.path))
        if operation:
            if self.last_operation is None:
                diff = Difference(
                    "status",
                    entry.status,
                    "no request: the emulator's answer had no Azure-AsyncOperation header to poll",
                )
                return RequestResult(entry.index, entry.method, label, "mismatch", "", (diff,))
            answer = send("GET", self.last_operation, None)
        else:
            url = rescope(entry.uri, self.recording.scope, self.target)
            body = rescope(entry.request_body, self.recording.scope, self.target)
            answer = send(entry.method, url, body)
        async_url = {k.lower(): v for k, v in answer.headers.items()}.get("azure-asyncoperation")
        if async_url:
            self.last_operation = async_url
        diffs, notes = self._compare(entry, answer, operation)
        outcome: Outcome = "mismatch" if diffs else "match"
        return RequestResult(entry.index, entry.method, label, outcome, "", tuple(diffs), notes)

    def _compare(
        self, entry: Entry, answer: Answer, operation: bool
    ) -> tuple[list[Difference], tuple[str, ...]]:
        if answer.status != entry.status:
            diffs = [Difference("status", entry.status, answer.status)]
            code, message, _ = error_summary(answer.body)
            if message != "<missing>":
                diffs.append(Difference("emulator error", None, f"{code}: {message}"))
            return diffs, ()
        resource = urlsplit(entry.uri).path
        expected, foreign = self._drop_foreign(entry.body)
        bases = (MANAGEMENT, self.target.base)
        expected = canonical(self.recorded_ranks.apply(expected, resource), bases)
        actual_resource = urlsplit(rescope(entry.uri, self.recording.scope, self.target)).path
        actual = canonical(self.emulator_ranks.apply(answer.body, actual_resource), bases)
        if operation and isinstance(expected, dict) and isinstance(actual, dict):
            for side in (expected, actual):
                if "name" in side:
                    side["name"] = "{op}"
        ctx = Context(
            ambient=AMBIENT_DATASTORES,
            operation=operation,
            generated_secret=entry.path.endswith("/listSecrets") and _ambient_secret(entry),
        )
        diffs, extra = compare_bodies(expected, actual, ctx)
        diffs += compare_headers(entry.headers, answer.headers, lambda v: canonical(v, bases))
        notes = []
        if foreign:
            notes.append(f"{foreign} foreign list item(s) dropped (not made by this test)")
        if extra:
            notes.append("fields only the emulator has: " + ", ".join(sorted(set(extra))))
        return diffs, tuple(notes)

    def _drop_foreign(self, body: Any) -> tuple[Any, int]:
        if not (isinstance(body, dict) and isinstance(body.get("value"), list)):
            return body, 0
        items = body["value"]
        kept = [i for i in items if not isinstance(i, dict) or i.get("name") in self.known]
        return {**body, "value": kept}, len(items) - len(kept)


def _ambient_secret(entry: Entry) -> bool:
    match = re.search(r"/datastores/([^/]+)/listSecrets", entry.path)
    return bool(match and match[1] in AMBIENT_DATASTORES)


def replay(recording: Recording, **knobs: Any) -> RecordingResult:
    """Replay ``recording`` against a fresh emulator with its default knobs (or ``knobs``)."""
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        with Emulator(
            Path(tmp), subscription_id=SUB, resource_group=RG, workspace_name=WS, tls=False, **knobs
        ) as emulator:
            target = Target(emulator.base_url, SUB, RG, WS)
            result = _Replay(recording, target).run()
            emulator.wait_for_jobs(30)
        return result
