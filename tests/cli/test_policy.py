"""Policies on every plan and apply, as a user sees them: results in every format, a hard
failure blocking apply (exit 5, nothing changed), a soft one overridden with a recorded reason,
an advisory one only shown, a saved plan judged again, and `reconcile policy test`."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.core.essences import Kind
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import DEMO_KEY, DEMO_PASSWORD, RunCli, write_project

NO_ACCOUNT_KEYS = """\
# METADATA
# custom:
#   enforcement: hard
package team.identity
import rego.v1
deny contains msg if {
  some rc in input.resource_changes
  rc.type == "datastore"
  "create" in rc.change.actions
  rc.change.after.credentials.type == "account_key"
  msg := sprintf("%s: no account keys", [rc.address])
}
"""

CONNECTIONS_NEED_REVIEW = """\
# METADATA
# custom:
#   enforcement: soft
package team.review
import rego.v1
deny contains msg if {
  some rc in input.resource_changes
  rc.type == "connection"
  "create" in rc.change.actions
  msg := sprintf("%s: a new connection needs the data owners' review", [rc.address])
}
"""

TAG_IT = """\
package team.tags
import rego.v1
warn contains msg if {
  some rc in input.resource_changes
  rc.type == "connection"
  not rc.change.after.tags.owner
  msg := sprintf("%s: consider an owner tag (planned by %s)", [rc.address, input.provenance.by])
}
"""


def without_imports(project: Path) -> Path:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("imports:")])
    return project


def managed(project: Path) -> dict[str, dict[str, str]]:
    """What the embedded workspace holds: address -> provenance."""
    workspace = LocalWorkspace(project / ".reconcile/local", read_only=True)
    found = {}
    for kind in (Kind.CONNECTION, Kind.DATASTORE):
        for resource in workspace.list_resources(kind):
            if not resource.system:
                found[resource.address] = resource.provenance
    return found


def test_a_hard_failure_is_shown_in_the_plan_and_blocks_apply(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    write_project(project, {"policies/identity.rego": NO_ACCOUNT_KEYS})

    planned = invoke("plan", "--detailed-exitcode", cwd=project)
    assert planned.code == 5, planned.output
    assert "✗ hard     team.identity: datastore.rawdata: no account keys" in planned.stdout
    assert (
        "Policy check (policies): hard-failed: this plan cannot be applied (1 policy, 1 hard)."
        in planned.stdout
    )

    saved = invoke("plan", "--out", "plan.json", cwd=project)
    assert "Saved the plan to plan.json; the policies block it (a hard failure)" in saved.stdout
    assert "apply it with" not in saved.stdout

    applied = invoke("apply", "--auto-approve", cwd=project)
    assert applied.code == 5, applied.output
    assert "the policies block this plan: 1 hard failure(s); nothing was applied" in applied.stderr
    assert "a hard failure cannot be overridden" in applied.stderr
    overridden = invoke("apply", "--auto-approve", "--policy-override", "urgent", cwd=project)
    assert overridden.code == 5, overridden.output
    assert managed(project) == {}


def test_a_soft_failure_blocks_until_overridden_and_the_reason_is_recorded(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    write_project(project, {"policies/review.rego": CONNECTIONS_NEED_REVIEW})

    saved = invoke("plan", "--out", "plan.json", cwd=project)
    assert "reconcile apply plan.json --policy-override REASON" in saved.stdout

    blocked = invoke("apply", "--auto-approve", cwd=project)
    assert blocked.code == 5, blocked.output
    assert "soft-failed: apply needs --policy-override REASON" in blocked.stdout
    assert "reconcile apply --policy-override 'REASON'" in blocked.stderr
    assert managed(project) == {}

    reason = "reviewed with the data owners in CHG-1234"
    applied = invoke("apply", "--auto-approve", "--policy-override", reason, cwd=project)
    assert applied.code == 0, applied.output
    assert f"soft failures overridden: {reason}" in applied.stdout
    written = managed(project)
    assert written["connection.snowflake_globorealty"]["policy-override"] == reason
    assert written["datastore.rawdata"]["policy-override"] == reason


def test_the_override_may_come_from_the_environment_of_a_gated_job(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    write_project(project, {"policies/review.rego": CONNECTIONS_NEED_REVIEW})
    env = {"RECONCILER_POLICY_OVERRIDE": "approved in the prod-policy environment"}
    applied = invoke("apply", "--auto-approve", cwd=project, env=env)
    assert applied.code == 0, applied.output
    made = managed(project)["connection.snowflake_globorealty"]
    assert made["policy-override"] == "approved in the prod-policy environment"
    empty = invoke("apply", "--auto-approve", "--policy-override", "  ", cwd=project)
    assert empty.code == 1 and "give the reason in 1 to 256 characters" in empty.stderr


def test_an_advisory_result_is_only_shown(project: Path, invoke: RunCli) -> None:
    without_imports(project)
    write_project(project, {"policies/tags.rego": TAG_IT})
    planned = invoke("plan", "--detailed-exitcode", cwd=project)
    assert planned.code == 2, planned.output  # changes, not blocked
    assert "! advisory team.tags: connection.snowflake_globorealty: consider an owner tag" in (
        planned.stdout
    )
    assert "passed (1 policy, 1 advisory)" in planned.stdout
    applied = invoke("apply", "--auto-approve", cwd=project)
    assert applied.code == 0, applied.output
    assert set(managed(project)) == {"connection.snowflake_globorealty", "datastore.rawdata"}
    assert "policy-override" not in managed(project)["datastore.rawdata"]


def test_every_format_shows_the_results(project: Path, invoke: RunCli) -> None:
    without_imports(project)
    write_project(
        project,
        {"policies/review.rego": CONNECTIONS_NEED_REVIEW, "policies/tags.rego": TAG_IT},
    )
    markdown = invoke("plan", "--format", "markdown", cwd=project).stdout
    section = markdown.index("> [!WARNING]\n> **Policy check (policies): soft-failed")
    assert section < markdown.index("<details>")  # above the fold
    assert "> - **soft** `team.review`: connection.snowflake_globorealty: a new connection" in (
        markdown
    )

    data = json.loads(invoke("plan", "--format", "json", cwd=project).stdout)
    policy = data["policy"]
    assert policy["decision"] == "soft-failed" and policy["sources"] == ["policies"]
    assert [(r["package"], r["rule"], r["level"]) for r in policy["results"]] == [
        ("team.review", "deny", "soft"),
        ("team.tags", "warn", "advisory"),
    ]
    assert DEMO_KEY not in json.dumps(data) and DEMO_PASSWORD not in json.dumps(data)


def test_apply_judges_a_saved_plan_again(project: Path, invoke: RunCli) -> None:
    """A plan file's results are never trusted: apply evaluates the policies it has now."""
    without_imports(project)
    assert invoke("plan", "--out", "plan.json", cwd=project).code == 0
    saved = json.loads((project / "plan.json").read_text())
    assert "policy" not in saved  # no policies: nothing was evaluated
    saved["policy"] = {"decision": "passed", "sources": ["policies"], "packages": 1}
    (project / "plan.json").write_text(json.dumps(saved))
    write_project(project, {"policies/identity.rego": NO_ACCOUNT_KEYS})
    applied = invoke("apply", "plan.json", cwd=project)
    assert applied.code == 5, applied.output
    assert managed(project) == {}


def test_policy_folders_come_from_platform_yaml_or_the_command_line(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    write_project(project, {"rules/identity.rego": NO_ACCOUNT_KEYS})
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 2  # no policies/ folder
    blocked = invoke("plan", "--detailed-exitcode", "--policies", "rules", cwd=project)
    assert blocked.code == 5, blocked.output
    assert "Policy check (rules)" in blocked.stdout

    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text("policies: [rules, missing]\n" + text)
    missing = invoke("plan", cwd=project)
    assert missing.code == 1
    assert "platform.yaml:1:19: policies[1]: no folder 'missing' in the project" in missing.stderr
    (project / "platform.yaml").write_text("policies: rules\n" + text)
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 5


def test_a_broken_policy_is_a_located_error_and_nothing_is_applied(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    write_project(
        project, {"policies/bad.rego": "package bad\nimport rego.v1\ndeny contains x if {\n"}
    )
    for command in (("plan",), ("apply", "--auto-approve")):
        result = invoke(*command, cwd=project)
        assert result.code == 1, result.output
        assert "the policies cannot be evaluated (1 problem):" in result.stderr
        assert "policies/bad.rego:4:1:" in result.stderr
    assert managed(project) == {}


def test_the_policy_input_is_the_plan_with_desired_state_and_provenance(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    result = invoke("plan", "--policy-input", "input.json", cwd=project)
    assert result.code == 0, result.output
    document = json.loads((project / "input.json").read_text())
    assert document["environment"] == "local"
    assert [rc["address"] for rc in document["resource_changes"]] == [
        "connection.snowflake_globorealty",
        "datastore.rawdata",
    ]
    rawdata = document["desired"]["datastores"]["rawdata"]
    assert rawdata["credentials"] == {"type": "account_key"}
    assert rawdata["secret_refs"] == {"credentials.account_key": "${env:STORAGE_ACCOUNT_KEY}"}
    assert document["desired"]["imports"] == {} and "by" in document["provenance"]
    text = (project / "input.json").read_text()
    assert DEMO_KEY not in text and DEMO_PASSWORD not in text


def test_policy_test_runs_a_teams_tests(project: Path, invoke: RunCli) -> None:
    write_project(
        project,
        {
            "policies/identity.rego": NO_ACCOUNT_KEYS,
            "policies/identity_test.rego": """\
                package team.identity_test
                import rego.v1
                import data.team.identity
                store(kind) := {"address": "datastore.a", "type": "datastore",
                  "change": {"actions": ["create"], "after": {"credentials": {"type": kind}}}}
                test_key_denied if {
                  keyed := {"resource_changes": [store("account_key")]}
                  count(identity.deny) == 1 with input as keyed
                }
                test_identity_allowed if {
                  count(identity.deny) == 0 with input as {"resource_changes": [store("none")]}
                }
                """,
        },
    )
    passed = invoke("policy", "test", cwd=project)
    assert passed.code == 0, passed.output
    assert "PASS  data.team.identity_test.test_key_denied  (policies/identity_test.rego:6)" in (
        passed.stdout
    )
    assert passed.stdout.endswith("2 passed, 0 failed\n")

    (project / "policies/identity.rego").write_text(NO_ACCOUNT_KEYS.replace("account_key", "sas"))
    failed = invoke("policy", "test", "policies", cwd=project)
    assert failed.code == 1
    assert "FAIL  data.team.identity_test.test_key_denied" in failed.stdout

    (project / "policies/identity.rego").write_text("package team.identity\ndeny contains\n")
    broken = invoke("policy", "test", cwd=project)
    assert broken.code == 1
    assert "policies/identity.rego:3:1:" in broken.stderr


def test_policy_test_without_a_folder_says_what_to_pass(tmp_path: Path, invoke: RunCli) -> None:
    result = invoke("policy", "test", cwd=tmp_path)
    assert result.code == 1
    assert "no policies/ folder" in result.stderr and "reconcile policy test DIR" in result.stderr
