"""The emulator answers like the real service, request by request, on real recordings.

One test per recording: it is replayed against a fresh emulator, and every request whose
answer differs must be a documented gap (`expectations.EXCEPTIONS`), and every documented gap
must still differ, so fixing the emulator forces the table to shrink.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fidelity.expectations import EXCEPTIONS, MATCHING, exceptions_for
from tests.fidelity.recording import PUBLIC, Recording, all_recordings
from tests.fidelity.replay import RecordingResult, RequestResult, replay
from tests.fidelity.report import README, readme_section, sections

RECORDINGS = all_recordings()


@functools.cache
def replayed(key: str) -> RecordingResult:
    """Each recording is replayed once per test session, against its own fresh emulator."""
    return replay(next(r for r in RECORDINGS if r.key == key))


def explain(result: RequestResult) -> str:
    lines = [f"  [{result.index}] {result.route}"]
    lines += [f"      {d}" for d in result.differences]
    return "\n".join(lines)


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: r.key)
def test_emulator_answers_as_recorded_except_documented_gaps(recording: Recording) -> None:
    result = replayed(recording.key)

    mismatched = result.mismatches()
    documented = exceptions_for(recording.key)
    new = [explain(mismatched[i]) for i in sorted(mismatched.keys() - documented.keys())]
    fixed = [f"  [{i}] {documented[i]}" for i in sorted(documented.keys() - mismatched.keys())]
    assert not new, "answers that differ from the recording (regressions):\n" + "\n".join(new)
    assert not fixed, (
        "documented gaps that no longer differ: delete them from EXCEPTIONS and raise MATCHING["
        f"{recording.key!r}]:\n" + "\n".join(fixed)
    )
    assert result.matching >= MATCHING[recording.key]
    assert result.requests == len(recording.entries)
    assert all(r.reason for r in result.results if r.outcome == "out_of_scope")


def test_every_recording_has_a_floor_and_every_exception_a_recording() -> None:
    keys = {r.key for r in RECORDINGS}
    assert set(MATCHING) == keys
    assert {key for key, _ in EXCEPTIONS} <= keys
    assert all(reason.strip() for reason in EXCEPTIONS.values())


def test_the_readme_tables_are_current() -> None:
    results = [replayed(r.key) for r in RECORDINGS]
    text = README.read_text(encoding="utf-8")
    for name, lines in sections(results).items():
        assert readme_section(text, name) == lines, (
            f"README.md's {name} table is stale: run python -m tests.fidelity.report --write"
        )


# Secret-bearing fields of the recorded request/response bodies: only placeholders may remain.
SECRET_FIELDS = frozenset(
    {"password", "pat", "key", "secretAccessKey", "clientSecret", "sasToken", "access_token"}
)
FORBIDDEN = (
    re.compile(r"client_secret="),
    re.compile(r"Bearer\s+[A-Za-z0-9._-]{20,}"),
    re.compile(r"[?&]sig=[A-Za-z0-9%]{10,}"),
    re.compile(r"AccountKey=[^;\"]{8,}"),
    re.compile(r"[A-Za-z0-9._%+-]+@(?!example\.com\b)[A-Za-z0-9-]+\.[A-Za-z.]{2,}"),
    re.compile(r"login\.microsoftonline\.com"),
)


def _secret_values(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _secret_values(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in _secret_values(v, key)]
    if key in SECRET_FIELDS and isinstance(value, str) and not value.startswith("REDACTED"):
        return [f"{key}={value}"]
    return []


@pytest.mark.parametrize(
    "path", sorted(PUBLIC.rglob("*.json")), ids=lambda p: str(p.relative_to(PUBLIC))
)
def test_vendored_recordings_hold_no_secrets(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert [p.pattern for p in FORBIDDEN if p.search(text)] == []
    assert _secret_values(json.loads(text)) == []
