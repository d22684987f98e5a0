"""Unit tests of scripts/ci/reconciler_ci.py's pure parts and of the harness's expressions."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.workflows.harness import (
    REPO_ROOT,
    SIMULATORS,
    ExpressionError,
    Runner,
    StepResult,
    condition,
    evaluate,
    substitute,
)


def load_ci() -> ModuleType:
    """scripts/ci/gitops, imported as the workflows run it (its folder on sys.path)."""
    folder = str(REPO_ROOT / "scripts" / "ci")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module("gitops")


ci = load_ci()
from gitops import common, plans, window  # noqa: E402


def test_fit_keeps_what_fits_untouched() -> None:
    assert common.fit("body\n", "tail\n", 100, "NOTE\n") == "body\ntail\n"


def test_fit_cuts_at_a_line_and_closes_open_markup() -> None:
    block = "<details><summary>x</summary>\n\n````diff\n" + "+ line\n" * 500
    body = "# head\n" + block + "````\n\n</details>\n"
    cut = common.fit(body, "\n---\ntail\n", 1_000, "> [!NOTE]\n> cut\n")
    assert len(cut) <= 1_000
    assert cut.startswith("# head\n<details>")
    assert cut.endswith("> [!NOTE]\n> cut\n\n---\ntail\n")
    assert cut.count("````") == 2  # the open fence is closed with the same fence
    assert cut.count("<details>") == cut.count("</details>") == 1
    assert cut.index("````\n", cut.index("diff")) < cut.index("</details>")


def test_code_block_fences_outlast_the_text() -> None:
    assert common.code_block("a ``` b") == "````text\na ``` b\n````\n"


def test_a_change_that_only_holds_secrets_apply_compares_does_not_count() -> None:
    plan = {
        "resource_changes": [
            {
                "address": "connection.a",
                "action": "update",
                "fields": [{"path": "credentials.password", "sensitive": True, "unknown": True}],
            },
            {
                "address": "datastore.b",
                "action": "update",
                "fields": [{"path": "tags.x", "before": "1", "after": "2"}],
            },
            {"address": "import.c", "action": "no-op", "fields": []},
        ]
    }
    assert window.changed_addresses(plan) == {"datastore.b"}


def test_an_error_report_fences_the_error_and_links_nothing_it_lacks() -> None:
    outcome = plans.PlanOutcome("dev", 1, "", "Error: platform.yaml:3:5: bad ```")
    text = plans.plan_report(outcome, limit=65_000)
    assert text.startswith("<!-- reconciler-plan:dev -->\n### reconciler plan · `dev` · failed")
    assert "````text\nError: platform.yaml:3:5: bad ```\n````" in text
    assert "plan file" not in text


def test_a_plan_that_did_not_run_says_so() -> None:
    text = plans.plan_report(plans.PlanOutcome("prod", None, "", ""), limit=65_000)
    assert "### reconciler plan · `prod` · did not run" in text


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
