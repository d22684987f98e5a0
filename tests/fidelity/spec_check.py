"""What the emulator answered, captured in-process, and checked against the REST specification.

`capture()` records every answer any `Emulator` in this process gives while it is active
(method, path, status, body), whatever drives it: the fidelity replay, or the real azure-ai-ml
SDK in the contract suite. `check()` finds each answer's operation in the vendored
specification (`swagger.Spec`) and validates its body against that operation's response
schema for the status given. Answers to operations the vendored files do not hold (other
resource kinds, long-running-operation polls) are counted as such, not validated.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler_testing.emulator import Emulator
from reconciler_testing.emulator.protocol import Request, Response
from reconciler_testing.emulator.routes import Router
from tests.fidelity.swagger import Spec, Violation


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    body: Any


@contextlib.contextmanager
def capture() -> Iterator[list[Exchange]]:
    """Every answer of every emulator in this process while the block runs."""
    exchanges: list[Exchange] = []
    lock = threading.Lock()
    original = Emulator.handle

    def handle(self: Emulator, req: Request, router: Router) -> Response | None:
        response = original(self, req, router)
        if response is not None and not req.path.startswith("/_emulator/"):
            body = None if response.empty else response.body
            with lock:
                exchanges.append(Exchange(req.method, req.path, response.status, body))
        return response

    Emulator.handle = handle  # type: ignore[method-assign]
    try:
        yield exchanges
    finally:
        Emulator.handle = original  # type: ignore[method-assign]


@dataclass(frozen=True)
class Finding:
    operation: str
    status: int
    violation: Violation

    def __str__(self) -> str:
        return f"{self.operation} {self.status} {self.violation}"


@dataclass
class Report:
    validated: Counter[str] = field(default_factory=Counter)  # operationId -> answers
    not_in_spec: Counter[str] = field(default_factory=Counter)  # "METHOD kind" -> answers
    findings: list[Finding] = field(default_factory=list)

    @property
    def answers(self) -> int:
        return sum(self.validated.values())

    def distinct(self) -> dict[str, Finding]:
        """One finding per (operation, status, field, message), in order of first sight."""
        seen: dict[str, Finding] = {}
        for finding in self.findings:
            seen.setdefault(key(finding), finding)
        return seen


def key(finding: Finding) -> str:
    return f"{finding.operation} {finding.status} {finding.violation}"


def check(spec: Spec, exchanges: list[Exchange], report: Report | None = None) -> Report:
    report = report if report is not None else Report()
    for exchange in exchanges:
        op = spec.operation(exchange.method, exchange.path)
        if op is None:
            report.not_in_spec[f"{exchange.method} {_kind(exchange.path)}"] += 1
            continue
        report.validated[op.id] += 1
        for violation in spec.validate(op, exchange.status, exchange.body):
            report.findings.append(Finding(op.id, exchange.status, violation))
    return report


def _kind(path: str) -> str:
    parts = path.split("/workspaces/", 1)
    if len(parts) == 1:
        return "operation status" if "mfeOperation" in path else path
    rest = parts[1].split("/")[1:]
    return rest[0] if rest else "workspace"
