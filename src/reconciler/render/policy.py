"""What every renderer says about the policies, the same way: the verdict in one line, then each
result; and the lines of ``reconcile policy test``. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from reconciler.core.policy import Decision, Level, PolicyReport, PolicyResult

if TYPE_CHECKING:
    from reconciler.policy.tests import TestResult

LEVEL_ORDER = {Level.HARD: 0, Level.SOFT: 1, Level.ADVISORY: 2}
MARKS = {Level.HARD: "✗", Level.SOFT: "✗", Level.ADVISORY: "!"}


def verdict(report: PolicyReport) -> str:
    """``Policy check (policies): passed (3 policies, 1 advisory).`` and the like."""
    count = _counts(report)
    detail = f" ({count})" if count else ""
    line = {
        Decision.PASSED: "passed",
        Decision.OVERRIDDEN: f"soft failures overridden: {report.override}",
        Decision.SOFT_FAILED: "soft-failed: apply needs --policy-override REASON from a policy "
        "owner",
        Decision.HARD_FAILED: "hard-failed: this plan cannot be applied",
    }[report.decision]
    return f"Policy check ({', '.join(report.sources)}): {line}{detail}."


def _counts(report: PolicyReport) -> str:
    parts = [f"{report.packages} polic{'y' if report.packages == 1 else 'ies'}"]
    for level in (Level.HARD, Level.SOFT, Level.ADVISORY):
        found = len(report.of_level(level))
        if found:
            parts.append(f"{found} {level.value}")
    return ", ".join(parts)


def ordered(report: PolicyReport) -> list[PolicyResult]:
    """Hard first, then soft, then advisory; by package and message within a level."""
    return sorted(
        report.results, key=lambda r: (LEVEL_ORDER[r.level], r.package, r.rule, r.message)
    )


def result_line(result: PolicyResult) -> str:
    """``✗ hard  reconciler.datastore_identity: datastore.raw: prod datastores must …``"""
    return f"{MARKS[result.level]} {result.level.value:<8} {result.package}: {result.message}"


def markdown_lines(report: PolicyReport) -> list[str]:
    """The policy section of a pull-request comment (above the per-resource details)."""
    alert = {
        Decision.HARD_FAILED: "CAUTION",
        Decision.SOFT_FAILED: "WARNING",
        Decision.OVERRIDDEN: "WARNING",
        Decision.PASSED: "NOTE" if report.results else "TIP",
    }[report.decision]
    lines = [f"> [!{alert}]", f"> **{_escape(verdict(report))}**"]
    for result in ordered(report)[:MARKDOWN_RESULTS]:
        lines.append(f"> - **{result.level.value}** `{result.package}`: {_escape(result.message)}")
    if len(report.results) > MARKDOWN_RESULTS:
        lines.append(f"> - … and {len(report.results) - MARKDOWN_RESULTS} more")
    return [*lines, ""]


MARKDOWN_RESULTS = 30


def _escape(text: str) -> str:
    """Policy messages are the policy author's text: no HTML, no mentions, one line."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("@", "@\u200b")


def render_tests(results: Sequence[TestResult]) -> str:
    """``reconcile policy test``'s report, as ``opa test -v`` prints it."""
    lines = []
    for result in results:
        lines.append(f"{result.status:<5} {result.name}  ({result.where})")
        if result.detail:
            lines.append(f"      {result.detail}")
    failed = sum(r.status != "PASS" for r in results)
    errors = sum(r.status == "ERROR" for r in results)
    summary = f"{len(results) - failed} passed, {failed - errors} failed"
    if errors:
        summary += f", {errors} error(s)"
    if not results:
        summary = "no test_ rules found"
    return "\n".join([*lines, summary]) + "\n"
