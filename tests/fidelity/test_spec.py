"""The emulator against the official Azure ML REST API specification (vendored in ``spec/``).

* Every answer the emulator gives in the fidelity replays and in the provider contract suite
  (the real azure-ai-ml SDK over HTTPS) is validated against the spec's response schema for its
  operation and status; every violation must be documented (`spec_expectations.VIOLATIONS`).
* Every spec example of a vendored operation is replayed against a fresh emulator and compared
  (`spec_examples`); every difference must be documented (`spec_expectations.EXAMPLES`).
* The vendored files are the mechanical trim of the upstream files (`spec/trim.py`), and the
  README tables are current.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.azurite_fixture import Azurite
from tests.conftest import write_project
from tests.fidelity import spec_report
from tests.fidelity.report import README, readme_section
from tests.fidelity.spec import trim
from tests.fidelity.spec_check import Exchange, capture, check
from tests.fidelity.spec_expectations import EXAMPLES, VIOLATIONS
from tests.fidelity.swagger import ROOT
from tests.providers import test_contract
from tests.providers.conftest import Harness, _azure_overlay
from tests.providers.conftest import emulator as emulator
from tests.snowflake_fixture import LocalSnowflake


def test_the_vendored_files_are_their_own_trim(tmp_path: Path) -> None:
    trim.trim(ROOT, tmp_path)
    for file in [*trim.OPERATIONS, trim.COMMON]:
        assert (tmp_path / file).read_text() == (ROOT / file).read_text(), file


def test_the_schema_check_accepts_the_specs_own_examples() -> None:
    spec = spec_report.spec()
    for op, title, path in spec.examples():
        for status, response in json.loads(path.read_text())["responses"].items():
            assert spec.validate(op, int(status), response.get("body")) == [], (op.id, title)


def test_the_schema_check_finds_what_is_wrong() -> None:
    spec = spec_report.spec()
    op = spec.operation(
        "GET",
        "/subscriptions/s/resourceGroups/r/providers/"
        "Microsoft.MachineLearningServices/workspaces/w/datastores/d",
    )
    assert op is not None
    body: dict[str, Any] = {
        "name": "d",
        "properties": {
            "datastoreType": "AzureBlob",
            "credentials": {"credentialsType": "Sas", "secrets": {"secretsType": "Sas"}},
            "accountName": 3,
            "unknown": True,
        },
        "systemData": {"createdAt": "yesterday"},
    }
    found = {str(v) for v in spec.validate(op, 200, body)}
    assert found == {
        "$.properties.accountName: 3 is not of type 'string', 'null'",
        "$.properties: Additional properties are not allowed ('unknown' was unexpected)",
        "$.systemData.createdAt: 'yesterday' is not a 'date-time'",
    }
    bad_type = {**body, "properties": {**body["properties"], "datastoreType": "Hdfs"}}
    assert any("'Hdfs' is not one of" in str(v) for v in spec.validate(op, 200, bad_type))
    assert [str(v) for v in spec.validate(op, 202, None)] == [
        "(status): 202 is not a response of Datastores_Get"
    ]


def _undocumented(exchanges: list[Exchange]) -> list[str]:
    report = check(spec_report.spec(), exchanges)
    return sorted({spec_report.general(f) for f in report.findings} - set(VIOLATIONS))


def test_fidelity_replay_answers_follow_the_spec() -> None:
    report = check(spec_report.spec(), list(spec_report.fidelity_traffic()))
    assert report.answers > 0
    found = {spec_report.general(f) for f in report.findings}
    assert sorted(found - set(VIOLATIONS)) == [], "undocumented: add to spec_expectations"
    assert sorted(set(VIOLATIONS) - found) == [], "fixed: delete from spec_expectations"


@pytest.fixture
def azure_harness(
    tmp_path: Path, local_snowflake: LocalSnowflake, emulator: Any, azurite: Azurite
) -> Iterator[Harness]:
    write_project(tmp_path, {"environments/test.yaml": _azure_overlay()})
    yield Harness(tmp_path, "azureml", local_snowflake)


SCENARIOS = [
    getattr(test_contract, name) for name in sorted(dir(test_contract)) if name.startswith("test_")
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_contract_suite_answers_follow_the_spec(
    scenario: Callable[[Harness], None], azure_harness: Harness
) -> None:
    with capture() as exchanges:
        scenario(azure_harness)
    assert check(spec_report.spec(), exchanges).answers > 0
    assert _undocumented(exchanges) == []


def test_spec_examples_replay_as_documented() -> None:
    results = spec_report.example_results()
    assert results
    differing = {r.example: r.differences for r in results if r.outcome == "mismatch"}
    assert sorted(set(differing) - set(EXAMPLES)) == [], differing
    assert sorted(set(EXAMPLES) - set(differing)) == [], "fixed: delete from EXAMPLES"


def test_the_readme_spec_tables_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    for name, lines in spec_report.sections().items():
        assert readme_section(text, name) == lines, (
            f"README.md's {name} table is stale: run python -m tests.fidelity.spec_report --write"
        )
