"""Unit tests of the harness's expressions and simulated actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflows.harness import (
    SIMULATORS,
    ExpressionError,
    Runner,
    StepResult,
    condition,
    evaluate,
    substitute,
)

# --- the harness's expressions behave like GitHub's ---------------------------------------

CONTEXT = {
    "steps": {"plan": {"outputs": {"exitcode": "0", "file": ""}}, "skipped": {}},
    "inputs": {"flag": "true"},
}
OK = {"success": True, "failure": False, "always": True, "cancelled": False}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("steps.skipped.outputs.x != ''", False),  # null and '' are both 0
        ("steps.plan.outputs.exitcode || 'none'", "0"),  # '0' is a non-empty string: truthy
        ("steps.plan.outputs.file || 'none'", "none"),
        ("inputs.flag == 'TRUE'", True),  # strings compare ignoring case
        ("!cancelled() && inputs.flag == 'true'", True),
        ("inputs.flag == 'true' && 'yes' || 'no'", "yes"),
        ("steps['plan'].outputs.exitcode == 0", True),
        ("!cancelled() && (inputs.missing != 'prod' && inputs.flag == 'true')", True),
    ],
)
def test_expressions(expression: str, expected: object) -> None:
    assert evaluate(expression, CONTEXT, OK) == expected


def test_if_gets_an_implicit_success_and_unknowns_are_errors() -> None:
    failed = {**OK, "success": False, "failure": True}
    assert condition("inputs.flag == 'true'", CONTEXT, failed) is False
    assert condition("${{ always() }}", CONTEXT, failed) is True
    assert substitute("plan-${{ inputs.flag }}.json", CONTEXT, OK) == "plan-true.json"
    with pytest.raises(ExpressionError):
        evaluate("secrets.X", CONTEXT, OK)
    with pytest.raises(ExpressionError):
        evaluate("hashFiles('x')", CONTEXT, OK)


def test_functions_and_object_filters() -> None:
    context = {"labels": [{"name": "a"}, {"name": "reconciler:check-sources"}]}
    assert evaluate("contains(labels.*.name, 'reconciler:check-sources')", context, OK) is True
    assert evaluate("contains(labels.*.name, 'b')", context, OK) is False
    assert evaluate("format('{0}-plan', 'prod')", context, OK) == "prod-plan"


def test_the_simulated_upload_refuses_a_second_upload_of_a_name_unless_it_overwrites(
    tmp_path: Path,
) -> None:
    """What a re-run of a job whose upload succeeded meets on GitHub (upload-artifact v4)."""
    (tmp_path / "plan.json").write_text("{}")
    runner = Runner(workspace=tmp_path, home=tmp_path, event_name="push", event={}, sha="x")
    inputs = {"name": "plan-dev", "path": str(tmp_path / "plan.json")}
    first, second, third = (StepResult("u", "upload", "success") for _ in range(3))
    SIMULATORS["actions/upload-artifact"](runner, inputs, first)
    SIMULATORS["actions/upload-artifact"](runner, inputs, second)
    SIMULATORS["actions/upload-artifact"](runner, {**inputs, "overwrite": "true"}, third)
    assert first.outcome == "success" and third.outcome == "success"
    assert second.outcome == "failure" and "(409) Conflict" in second.stderr
