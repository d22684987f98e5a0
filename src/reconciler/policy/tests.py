"""``reconcile policy test``: a team's own ``test_*`` rules, run as ``opa test`` runs them.

Every module of the folders (policies and ``*_test.rego`` files) is loaded into one engine; each
``test_*`` rule is queried on its own: it passes when it is defined and not false, fails when it
is undefined or false, and is an error (with file:line:column) when evaluating it fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.policy.files import PolicyFiles
from reconciler.policy.rego import Rego, RegoError

Status = Literal["PASS", "FAIL", "ERROR"]


@dataclass(frozen=True)
class TestResult:
    status: Status
    name: str  # data.<package>.test_<name>
    where: str  # file:line of the test
    detail: str = ""  # an error's location and message

    __test__ = False  # not a pytest test class


def run_tests(files: PolicyFiles) -> list[TestResult]:
    modules = (*files.policies, *files.tests)
    results = []
    with Rego() as rego:
        for module in modules:
            rego.add_module(module.shown, module.text)
        rego.set_input({})
        for module in modules:
            for name, line in module.tests:
                results.append(_run(rego, f"data.{module.package}.{name}", module.where(line)))
    return results


def _run(rego: Rego, query: str, where: str) -> TestResult:
    try:
        values = rego.query(query)
    except RegoError as exc:
        at = f"{exc.file}:{exc.line}:{exc.column}: " if exc.file else ""
        return TestResult("ERROR", query, where, at + exc.message)
    passed = bool(values) and values[0] is not False
    return TestResult("PASS" if passed else "FAIL", query, where)
