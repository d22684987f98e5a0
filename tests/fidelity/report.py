"""Print the fidelity tables: ``python -m tests.fidelity.report [--details] [--write]``.

Replays every recording (as the tests do) and prints, in Markdown, one row per recording
(requests, matching, mismatching, out of scope), then every documented exception with its
reason, then every out-of-scope reason. ``--details`` adds each mismatch's differing fields;
``--write`` also replaces the tables in README.md (between the ``fidelity:`` markers), which
`test_fidelity` checks are current.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from tests.fidelity.expectations import exceptions_for
from tests.fidelity.recording import HERE, all_recordings
from tests.fidelity.replay import RecordingResult, replay

README = HERE / "README.md"


def table(results: list[RecordingResult]) -> list[str]:
    lines = [
        "| recording | requests | matching | mismatching | out of scope |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| `{r.key}` | {r.requests} | {r.matching} | {r.mismatching} | {r.out_of_scope} |"
        )
    total = [sum(getattr(r, f) for r in results) for f in ("requests", "matching")]
    total += [sum(getattr(r, f) for r in results) for f in ("mismatching", "out_of_scope")]
    lines.append("| **total** | " + " | ".join(f"**{n}**" for n in total) + " |")
    return lines


def exceptions(results: list[RecordingResult], details: bool) -> list[str]:
    lines = ["| recording | request | exception (reason) |", "|---|---|---|"]
    for r in results:
        reasons = exceptions_for(r.key)
        for index, result in sorted(r.mismatches().items()):
            reason = reasons.get(index, "**UNDOCUMENTED**")
            lines.append(f"| `{r.key}` | {index}: {result.route} | {reason} |")
            if details:
                lines += [f"| | | `{d}` |".replace("\n", " ") for d in result.differences]
    return lines


def out_of_scope(results: list[RecordingResult]) -> list[str]:
    reasons = Counter(
        (x.route.split(" ", 1)[-1], x.reason)
        for r in results
        for x in r.results
        if x.outcome == "out_of_scope"
    )
    lines = ["| calls | count | why out of scope |", "|---|---:|---|"]
    lines += [f"| {what} | {n} | {why} |" for (what, why), n in sorted(reasons.items())]
    return lines


def sections(results: list[RecordingResult], details: bool = False) -> dict[str, list[str]]:
    return {
        "table": table(results),
        "exceptions": exceptions(results, details),
        "out-of-scope": out_of_scope(results),
    }


def readme_section(text: str, name: str) -> list[str]:
    """The lines between ``<!-- fidelity:NAME -->`` and ``<!-- /fidelity:NAME -->``."""
    match = re.search(rf"<!-- fidelity:{name} -->\n(.*?)<!-- /fidelity:{name} -->", text, re.S)
    return match.group(1).splitlines() if match else []


def write_readme(path: Path, parts: dict[str, list[str]]) -> None:
    text = path.read_text(encoding="utf-8")
    for name, lines in parts.items():
        block = f"<!-- fidelity:{name} -->\n" + "\n".join(lines) + f"\n<!-- /fidelity:{name} -->"
        pattern = rf"<!-- fidelity:{name} -->\n.*?<!-- /fidelity:{name} -->"
        text = re.sub(pattern, block.replace("\\", r"\\"), text, flags=re.S)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--details", action="store_true", help="list each differing field")
    parser.add_argument("--write", action="store_true", help="update the tables in README.md")
    args = parser.parse_args(argv)
    results = [replay(recording) for recording in all_recordings()]
    parts = sections(results, args.details)
    for lines in parts.values():
        print("\n".join(lines), end="\n\n")
    if args.write:
        write_readme(README, sections(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
