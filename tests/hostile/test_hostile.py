"""The hostile-input suite: every case exits 1 with a located message, no traceback, and
leaves the project (and its embedded workspace) exactly as it was.

The cases live in `tests.hostile.cases`; `bench/hostile_bench.py` times them through the real
command. Nothing here asserts a duration.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RunCli
from tests.hostile.cases import Case, build
from tests.hostile.runner import snapshot
from tests.hostile.suite import CASES


def test_there_are_at_least_sixty_cases_in_every_group() -> None:
    groups = {case.group for case in CASES}
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)
    assert groups >= {
        "encodings",
        "yaml",
        "types",
        "names",
        "paths",
        "overlays",
        "plan files",
        "environment",
        "sizes",
    }


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_is_refused_with_a_located_message_and_changes_nothing(
    case: Case, tmp_path: Path, invoke: RunCli
) -> None:
    project = build(case, tmp_path)
    before = snapshot(project)

    result = invoke(*case.args, cwd=project, env=dict(case.env))

    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert "Internal error" not in result.output
    for expected in case.expect:
        assert expected in result.stderr, result.stderr
    for secret in case.never:
        assert secret not in result.output
    assert snapshot(project) == before
