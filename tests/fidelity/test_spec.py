"""The emulator against the official Azure ML REST API specification (vendored in ``spec/``).

* Every answer the emulator gives in the fidelity replays is validated against the spec's
  response schema for its operation and status; every violation must be documented
  (`spec_expectations.VIOLATIONS`). The provider suites' answers (the real azure-ai-ml SDK over
  HTTPS) are validated as they go, by the ``emulator`` fixture of tests/providers.
* Every spec example of a vendored operation is replayed against a fresh emulator and compared
  (`spec_examples`); every difference must be documented (`spec_expectations.EXAMPLES`).
* The vendored files are the mechanical trim of the upstream files (`spec/trim.py`), and the
  README tables are current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fidelity import spec_report
from tests.fidelity.report import README, readme_section
from tests.fidelity.spec import trim
from tests.fidelity.spec_check import Exchange, check
from tests.fidelity.spec_expectations import EXAMPLE_SCHEMA, EXAMPLES, VIOLATIONS
from tests.fidelity.swagger import ROOT


def test_the_vendored_files_are_their_own_trim(tmp_path: Path) -> None:
    trim.trim(ROOT, tmp_path)
    for file in [*trim.OPERATIONS, trim.COMMON]:
        assert (tmp_path / file).read_text() == (ROOT / file).read_text(), file


def test_the_schema_check_accepts_the_specs_own_examples() -> None:
    """All but the answers the spec's own schema refuses (`EXAMPLE_SCHEMA`: the check is right)."""
    spec = spec_report.spec()
    refused: set[str] = set()
    for op, title, path in spec.examples():
        if not path.exists():
            continue  # not vendored (spec_examples.OUT_OF_SCOPE says why)
        relative = path.relative_to(ROOT).as_posix()
        for status, response in json.loads(path.read_text())["responses"].items():
            found = [str(v) for v in spec.validate(op, int(status), response.get("body"))]
            if relative in EXAMPLE_SCHEMA and found:
                assert all(f.startswith(EXAMPLE_SCHEMA[relative]) for f in found), found
                refused.add(relative)
            else:
                assert found == [], (op.id, title)
    assert refused == set(EXAMPLE_SCHEMA)


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


def test_the_fixture_check_reports_what_is_not_documented() -> None:
    """The provider fixtures check the real SDK's traffic with `spec_report.undocumented`."""
    path = (
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/"
        "workspaces/w/connections/c"
    )
    answer = {"name": "c", "properties": {"authType": "None", "target": 7, "metadata": {}}}
    found = spec_report.undocumented([Exchange("GET", path, 200, answer)])
    assert found == ["WorkspaceConnections_Get 200 $.properties.target: 7 is not of type 'string'"]


def test_fidelity_replay_answers_follow_the_spec() -> None:
    report = check(spec_report.spec(), list(spec_report.fidelity_traffic()))
    assert report.answers > 0
    found = {spec_report.general(f) for f in report.findings}
    assert sorted(found - set(VIOLATIONS)) == [], "undocumented: add to spec_expectations"
    assert sorted(set(VIOLATIONS) - found) == [], "fixed: delete from spec_expectations"


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
