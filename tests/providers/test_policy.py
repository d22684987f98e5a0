"""Policies block apply whatever the workspace: the embedded one, and Azure ML through the real
azure-ai-ml SDK against the emulator; an overridden soft failure is recorded on what is written."""

from __future__ import annotations

import pytest

from reconciler.config import desired_state
from reconciler.core.errors import PolicyBlocked
from reconciler.core.essences import Kind
from reconciler.engine import operations
from reconciler.policy import PolicySet
from reconciler.providers.factory import open_workspace
from tests.conftest import write_project
from tests.providers.conftest import Harness
from tests.views import Quiet

CONNECTION = """\
connections:
  sales:
    type: azure_sql_db
    target: sql-sales.database.windows.net
    credentials: {type: username_password, username: reader, password: "${env:SQL_PASSWORD}"}
"""

POLICIES = {
    "policies/targets.rego": """\
        package team.targets
        import rego.v1
        deny contains msg if {
          some rc in input.resource_changes
          rc.type == "connection"
          not endswith(rc.change.after.target, ".globorealty.internal")
          msg := sprintf("%s: %s is not ours", [rc.address, rc.change.after.target])
        }
        """,
}

SOFT = """\
# METADATA
# custom: {enforcement: soft}
package team.targets
"""


def apply(h: Harness, override: str | None = None) -> operations.Applied:
    desired = desired_state(h.root, "test")
    workspace = open_workspace(desired.workspace, credential=h.credential())
    request = operations.ApplyRequest(
        lock=False,
        provenance={"by": "tester"},
        policy=PolicySet.read(desired.policy_dirs, h.root),
        policy_override=override,
    )
    return operations.apply_reviewed(desired, workspace, request, Quiet())


@pytest.mark.parametrize("harness", ["local", "azureml"], indirect=True)
def test_a_deny_policy_blocks_apply_and_nothing_is_written(harness: Harness) -> None:
    harness.write(CONNECTION, SQL_PASSWORD="sql-password-0001")
    write_project(harness.root, POLICIES)
    with pytest.raises(PolicyBlocked, match="1 hard failure"):
        apply(harness, override="not for hard failures")
    assert [r.name for r in harness.workspace().list_resources(Kind.CONNECTION)] == []


@pytest.mark.parametrize("harness", ["local", "azureml"], indirect=True)
def test_a_soft_failure_overridden_is_recorded_on_the_resource(harness: Harness) -> None:
    harness.write(CONNECTION, SQL_PASSWORD="sql-password-0001")
    write_project(harness.root, POLICIES)
    rego = harness.root / "policies/targets.rego"
    rego.write_text(SOFT + rego.read_text().split("\n", 1)[1])
    with pytest.raises(PolicyBlocked, match="1 soft failure"):
        apply(harness)
    applied = apply(harness, override="CHG-42 approved by the platform leads")
    assert applied.result.ok and applied.plan is not None and applied.plan.policy is not None
    assert applied.plan.policy.decision.value == "overridden"
    (written,) = harness.workspace().list_resources(Kind.CONNECTION)
    assert written.provenance == {
        "by": "tester",
        "policy-override": "CHG-42 approved by the platform leads",
    }
