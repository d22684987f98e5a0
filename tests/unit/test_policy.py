"""Policies as conftest runs them: rules, levels, messages, errors located, and the test runner.

The policies are real Rego files evaluated by the real engine on plain input documents; the
plan-shaped input and the CLI are in tests/cli/test_policy.py."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.errors import PolicyError
from reconciler.core.policy import Decision, Level, PolicyReport
from reconciler.policy import PolicySet, read_policies, run_tests
from reconciler.render.policy import render_tests

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def evaluate(root: Path, document: dict[str, Any]) -> PolicyReport:
    return PolicySet.read([root / "policies"], root).evaluate_document(document)


DENY_PROD = """\
package team.prod_only
import rego.v1
deny contains msg if {
  input.environment == "prod"
  msg := "no prod today"
}
"""

SOFT = """\
# METADATA
# title: deletes need an override
# custom:
#   enforcement: soft
package team.deletes
import rego.v1
deny contains msg if {
  some rc in input.resource_changes
  "delete" in rc.change.actions
  msg := sprintf("%s: delete", [rc.address])
}
"""

WARN_OBJECT = """\
package team.tags
import rego.v1
warn contains {"msg": "tag it", "address": rc.address} if {
  some rc in input.resource_changes
  not rc.change.after.tags.owner
}
violation_size contains "too big" if input.size > 3
"""


def test_deny_is_hard_warn_advisory_and_metadata_makes_a_package_soft(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "policies/prod.rego": DENY_PROD,
            "policies/x/soft.rego": SOFT,
            "policies/t.rego": WARN_OBJECT,
        },
    )
    document = {
        "environment": "prod",
        "size": 5,
        "resource_changes": [
            {"address": "datastore.a", "change": {"actions": ["delete"], "after": {"tags": {}}}}
        ],
    }
    report = evaluate(tmp_path, document)
    found = {
        (r.package, r.rule, r.level, r.message, tuple(r.details.items())) for r in report.results
    }
    assert found == {
        ("team.prod_only", "deny", Level.HARD, "no prod today", ()),
        ("team.deletes", "deny", Level.SOFT, "datastore.a: delete", ()),
        ("team.tags", "warn", Level.ADVISORY, "tag it", (("address", "datastore.a"),)),
        ("team.tags", "violation_size", Level.HARD, "too big", ()),
    }
    assert report.decision is Decision.HARD_FAILED and report.packages == 3
    assert report.sources == ("policies",)


def test_soft_failures_pass_only_with_a_reason_and_hard_ones_never(tmp_path: Path) -> None:
    write(tmp_path, {"policies/soft.rego": SOFT, "policies/prod.rego": DENY_PROD})
    deleting = {
        "environment": "dev",
        "resource_changes": [{"address": "connection.c", "change": {"actions": ["delete"]}}],
    }
    soft = evaluate(tmp_path, deleting)
    assert soft.decision is Decision.SOFT_FAILED and soft.blocked
    assert soft.overridden(None) is soft
    waived = soft.overridden("migrating to the new account, approved by @platform")
    assert waived.decision is Decision.OVERRIDDEN and not waived.blocked
    hard = evaluate(tmp_path, {**deleting, "environment": "prod"})
    assert hard.overridden("please").decision is Decision.HARD_FAILED
    assert evaluate(tmp_path, {"environment": "dev"}).decision is Decision.PASSED


def test_the_decision_is_written_for_readers_and_never_read_back(tmp_path: Path) -> None:
    write(tmp_path, {"policies/prod.rego": DENY_PROD})
    report = evaluate(tmp_path, {"environment": "prod"})
    data = report.model_dump(mode="json")
    assert data["decision"] == "hard-failed"
    data["decision"] = "passed"  # an edited file cannot change what the results say
    assert PolicyReport.model_validate(data).decision is Decision.HARD_FAILED


def test_test_files_are_never_evaluated_on_a_plan(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "policies/prod.rego": DENY_PROD,
            "policies/prod_test.rego": "package team.prod_only_test\nbroken := [1,\n",
        },
    )
    assert evaluate(tmp_path, {"environment": "dev"}).results == ()


def test_a_syntax_error_is_located_at_file_line_column(tmp_path: Path) -> None:
    write(tmp_path, {"policies/a.rego": "package a\nimport rego.v1\nm := [1, 2\n"})
    with pytest.raises(PolicyError) as caught:
        read_policies([tmp_path / "policies"], tmp_path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column) == ("policies/a.rego", 4, 1)
    assert "expecting `]`" in problem.message
    assert "Stack backtrace" not in str(caught.value)
    assert str(caught.value).startswith("the policies cannot be evaluated (1 problem):")


def test_old_rego_syntax_is_refused_with_how_to_write_it(tmp_path: Path) -> None:
    write(tmp_path, {"policies/old.rego": 'package old\ndeny[msg] { msg := "x" }\n'})
    with pytest.raises(PolicyError) as caught:
        read_policies([tmp_path / "policies"], tmp_path)
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (2, 11)
    assert problem.hint is not None and "deny contains msg if" in problem.hint


def test_an_evaluation_error_fails_closed_with_its_location_and_a_hint(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "policies/b.rego": """\
                package b
                import rego.v1
                deny contains msg if {
                  some rc in input.resource_changes
                  msg := object.get(rc.change.after, "name", "?")
                }
                """
        },
    )
    document = {"resource_changes": [{"change": {"actions": ["delete"], "after": None}}]}
    with pytest.raises(PolicyError) as caught:
        evaluate(tmp_path, document)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.path) == ("policies/b.rego", 5, "data.b.deny")
    assert "Got `null`" in problem.message
    assert problem.hint is not None and "is_object(rc.change.after)" in problem.hint


def test_a_message_that_is_not_text_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"policies/n.rego": "package n\nimport rego.v1\ndeny contains 42 if true\n"})
    with pytest.raises(PolicyError, match="a message must be a string or an object"):
        evaluate(tmp_path, {})


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ("# custom:\n#   enforcement: urgent\n", "custom.enforcement is 'urgent'; write one of"),
        ("# custom: [\n", "the METADATA block is not YAML"),
    ],
)
def test_a_bad_enforcement_level_is_located(tmp_path: Path, metadata: str, expected: str) -> None:
    write(tmp_path, {"policies/m.rego": f"# METADATA\n{metadata}package m\n"})
    with pytest.raises(PolicyError) as caught:
        read_policies([tmp_path / "policies"], tmp_path)
    problem = caught.value.problems[0]
    assert problem.file == "policies/m.rego" and problem.line is not None
    assert expected in problem.message


def test_one_package_declares_one_level(tmp_path: Path) -> None:
    soft = "# METADATA\n# custom:\n#   enforcement: soft\npackage p\n"
    hard = "# METADATA\n# custom:\n#   enforcement: hard\npackage p\n"
    write(tmp_path, {"policies/a.rego": soft, "policies/b.rego": hard})
    with pytest.raises(PolicyError, match=r"package p is hard here but soft in policies/a\.rego"):
        read_policies([tmp_path / "policies"], tmp_path)


PASSING = """\
package team.prod_only_test
import rego.v1
import data.team.prod_only
test_prod_denied if {
  prod_only.deny == {"no prod today"} with input as {"environment": "prod"}
}
test_dev_allowed if count(prod_only.deny) == 0 with input as {"environment": "dev"}
"""


def test_policy_tests_pass_fail_and_error_with_their_file_and_line(tmp_path: Path) -> None:
    failing = """\
        package team.more_test
        import rego.v1
        import data.team.prod_only
        test_wrong if count(prod_only.deny) == 1 with input as {"environment": "dev"}
        test_broken if count(5) == 1
        """
    write(
        tmp_path,
        {
            "policies/prod.rego": DENY_PROD,
            "policies/prod_test.rego": PASSING,
            "policies/z_test.rego": failing,
        },
    )
    results = run_tests(read_policies([tmp_path / "policies"], tmp_path, tests=True))
    seen = {(r.status, r.name, r.where) for r in results}
    assert seen == {
        ("PASS", "data.team.prod_only_test.test_prod_denied", "policies/prod_test.rego:4"),
        ("PASS", "data.team.prod_only_test.test_dev_allowed", "policies/prod_test.rego:7"),
        ("FAIL", "data.team.more_test.test_wrong", "policies/z_test.rego:4"),
        ("ERROR", "data.team.more_test.test_broken", "policies/z_test.rego:5"),
    }
    broken = next(r for r in results if r.status == "ERROR")
    assert broken.detail.startswith("policies/z_test.rego:5:")
    text = render_tests(results)
    assert text.endswith("2 passed, 1 failed, 1 error(s)\n")


def test_the_starter_policies_pass_their_own_tests() -> None:
    results = run_tests(read_policies([EXAMPLES], EXAMPLES.parents[1], tests=True))
    assert len(results) >= 25
    assert [r for r in results if r.status != "PASS"] == []
    packages = {r.name.split(".")[2] for r in results}
    assert packages == {
        "no_delete_in_prod_test",
        "datastore_identity_test",
        "import_tags_test",
        "schedule_frequency_test",
        "connection_targets_test",
        "import_datastores_test",
    }


def test_the_starter_policies_declare_their_levels() -> None:
    files = read_policies([EXAMPLES], EXAMPLES.parents[1])
    levels = {package.rsplit(".", 1)[1]: level for package, level in files.levels().items()}
    assert levels == {
        "no_delete_in_prod": Level.SOFT,
        "datastore_identity": Level.HARD,
        "import_tags": Level.HARD,
        "schedule_frequency": Level.HARD,
        "connection_targets": Level.HARD,
        "import_datastores": Level.HARD,
    }


def test_an_engine_is_freed_on_its_own_thread_whatever_an_error_still_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine may be freed only on the thread that made it; an error's traceback can
    outlive the call and be collected elsewhere (a plan's reading threads)."""
    import gc
    import sys
    import threading

    write(
        tmp_path,
        {"policies/n.rego": "package n\nimport rego.v1\ndeny contains x if x := count(5)\n"},
    )
    errors: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", errors.append)
    held: list[BaseException] = []
    try:
        evaluate(tmp_path, {})
    except PolicyError as exc:
        held.append(exc)

    def drop() -> None:
        held.clear()
        gc.collect()

    thread = threading.Thread(target=drop)
    thread.start()
    thread.join()
    assert errors == []
