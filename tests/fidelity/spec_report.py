"""The specification check's tables for README.md: answers validated, findings, examples.

python -m tests.fidelity.spec_report           # print the tables
python -m tests.fidelity.spec_report --write   # refresh them in README.md
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections import Counter

from tests.fidelity.recording import all_recordings
from tests.fidelity.replay import replay
from tests.fidelity.report import README, write_readme
from tests.fidelity.spec_check import Exchange, Finding, Report, capture, check, key
from tests.fidelity.spec_examples import ExampleResult, replay_examples
from tests.fidelity.spec_expectations import CONTRACT_PREFIXES, VIOLATIONS
from tests.fidelity.swagger import Spec


@functools.cache
def spec() -> Spec:
    return Spec()


@functools.cache
def fidelity_traffic() -> tuple[Exchange, ...]:
    """Every answer the emulator gives while all recordings are replayed."""
    with capture() as exchanges:
        for recording in all_recordings():
            replay(recording)
    return tuple(exchanges)


@functools.cache
def example_results() -> tuple[ExampleResult, ...]:
    return tuple(replay_examples(spec()))


def general(finding: Finding) -> str:
    """`key` with list indexes as ``*``: one line per field, whatever the item."""
    return re.sub(r"\[\d+\]", "[*]", key(finding))


def undocumented(exchanges: list[Exchange], report: Report | None = None) -> list[str]:
    """The findings in ``exchanges`` (added to ``report``) that `spec_expectations` does not
    document: what the provider fixtures assert is empty after each test."""
    found = check(spec(), exchanges)
    if report is not None:
        report.validated.update(found.validated)
        report.not_in_spec.update(found.not_in_spec)
        report.findings.extend(found.findings)
    general_findings = {general(f) for f in found.findings}
    return sorted(
        f
        for f in general_findings
        if f not in VIOLATIONS and not f.startswith(tuple(CONTRACT_PREFIXES))
    )


def validated_table(report: Report) -> list[str]:
    per_op = Counter(general(f).split(" ", 1)[0] for f in report.findings)
    lines = ["| operation | answers validated | violations (field instances) |", "|---|---:|---:|"]
    for op, n in sorted(report.validated.items()):
        lines.append(f"| `{op}` | {n} | {per_op.get(op, 0)} |")
    total = sum(per_op.values())
    lines.append(f"| **total** | **{report.answers}** | **{total}** |")
    other = ", ".join(f"{k} {n}" for k, n in sorted(report.not_in_spec.items()))
    lines.append("")
    lines.append(f"Not validated (operation not vendored yet): {other or 'none'}.")
    return lines


def findings_table(report: Report) -> list[str]:
    lines = [
        "| finding (operation, status, field: violation) | answers | reason |",
        "|---|---:|---|",
    ]
    counts = Counter(general(f) for f in report.findings)
    for finding, n in sorted(counts.items()):
        reason = VIOLATIONS.get(finding, "**undocumented**")
        lines.append(f"| `{finding}` | {n} | {reason.split(']')[0]}] |")
    return lines


def examples_table(results: tuple[ExampleResult, ...]) -> list[str]:
    lines = [
        "| kind | examples | matching | mismatching | out of scope |",
        "|---|---:|---:|---:|---:|",
    ]
    kinds = sorted({r.kind for r in results})
    for kind in [*kinds, None]:
        rows = [r for r in results if kind is None or r.kind == kind]
        n = [len(rows)] + [
            sum(r.outcome == o for r in rows) for o in ("match", "mismatch", "out_of_scope")
        ]
        name = f"`{kind}`" if kind else "**total**"
        cells = " | ".join(str(x) if kind else f"**{x}**" for x in n)
        lines.append(f"| {name} | {cells} |")
    return lines


def sections() -> dict[str, list[str]]:
    report = check(spec(), list(fidelity_traffic()))
    return {
        "spec-validated": validated_table(report),
        "spec-findings": findings_table(report),
        "spec-examples": examples_table(example_results()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update the tables in README.md")
    args = parser.parse_args(argv)
    parts = sections()
    for lines in parts.values():
        print("\n".join(lines), end="\n\n")
    if args.write:
        write_readme(README, parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
