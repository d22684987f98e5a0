"""`reconcile doctor` against the emulator's Microsoft.Authorization: what the signed-in
identity and the environment's applier may do, so a missing role shows in a pull request's
plan job, not in the first apply; and an applier that could write another environment's
workspace (issue 16's hole 2) is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler_testing.emulator.credential import OBJECT_ID
from tests.conftest import RunCli, write_project
from tests.providers.conftest import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE

ML = "Microsoft.MachineLearningServices/workspaces"
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
WS = f"{RG}/providers/{ML}/{WORKSPACE}"
OTHER_RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-other"
OTHER = f"{OTHER_RG}/providers/{ML}/mlw-other"
LOCK = (
    f"{RG}/providers/Microsoft.Storage/storageAccounts/localworkspace/blobServices/default/"
    "containers/azureml-blobstore"
)
DEFINITIONS = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions"
APPLIER = "11111111-0000-0000-0000-0000000app1y"
ROLES = {
    "reader": ["Microsoft.MachineLearningServices/workspaces/*/read", f"{ML}/read"],
    "applier": [
        f"{ML}/read",
        *(f"{ML}/{kind}/*" for kind in ("connections", "datastores", "data", "jobs", "schedules")),
    ],
}
BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"


def definition(name: str, actions: list[str], data: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": f"{DEFINITIONS}/{name}",
        "roleName": name,
        "permissions": [{"actions": actions, "notActions": [], "dataActions": data or []}],
    }


def assignment(principal: str, role: str, scope: str) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{principal}-{role}",
        "principalId": principal,
        "roleDefinitionId": f"{DEFINITIONS}/{role}",
        "scope": scope,
    }


def roles(*assignments: dict[str, Any]) -> dict[str, Any]:
    return {
        "definitions": [
            definition("reader", ROLES["reader"]),
            definition("applier", ROLES["applier"]),
            definition("blob-contributor", [], [BLOB]),
        ],
        "assignments": list(assignments),
    }


GOOD = (
    assignment(OBJECT_ID, "reader", WS),  # the planner: this job's identity
    assignment(APPLIER, "applier", WS),
    assignment(APPLIER, "blob-contributor", LOCK),
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    azure = (
        "workspace: {{provider: azureml, subscription_id: {s}, resource_group: {g}, "
        "workspace_name: {w}}}\n"
    )
    return write_project(
        tmp_path / "project",
        {
            "platform.yaml": "gitops:\n  promote: [test, other]\n",
            "environments/test.yaml": azure.format(s=SUBSCRIPTION, g=RESOURCE_GROUP, w=WORKSPACE),
            "environments/other.yaml": azure.format(s=SUBSCRIPTION, g="rg-other", w="mlw-other"),
        },
    )


def doctor(invoke: RunCli, project: Path) -> tuple[int, dict[str, Any]]:
    result = invoke(
        "doctor",
        "--env",
        "test",
        "--format",
        "json",
        cwd=project,
        env={"AZURE_APPLIER_PRINCIPAL_ID": APPLIER},
    )
    return result.code, {c["capability"]: c for c in json.loads(result.stdout)}


@pytest.fixture
def azure(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("RECONCILER_BLOB_URL")  # the lock lives in the default datastore's
    return emulator


def test_doctor_finds_what_plan_and_apply_need_granted(
    azure: Any, project: Path, invoke: RunCli
) -> None:
    azure.set_authorization(roles(*GOOD))
    code, found = doctor(invoke, project)
    assert code == 0, found
    assert found["read the workspace"]["have"] is True
    assert found["list datastores"]["have"] is True
    assert found["applier: write the workspace"]["have"] is True
    assert found["applier: write the lock's blob container"]["detail"] == LOCK
    assert found["applier: no write on another environment's workspace"]["detail"] == OTHER


@pytest.mark.parametrize(
    ("missing", "capability"),
    [
        (0, "read the workspace"),
        (1, "applier: write the workspace"),
        (2, "applier: write the lock's blob container"),
    ],
)
def test_a_missing_role_is_named_and_fails(
    azure: Any, project: Path, invoke: RunCli, missing: int, capability: str
) -> None:
    azure.set_authorization(roles(*(a for i, a in enumerate(GOOD) if i != missing)))
    code, found = doctor(invoke, project)
    assert code == 1
    assert found[capability]["have"] is False


def test_an_applier_that_can_write_another_environment_is_named(
    azure: Any, project: Path, invoke: RunCli
) -> None:
    """One applier for every environment (issue 16's hole 2): its token writes the others."""
    azure.set_authorization(roles(*GOOD, assignment(APPLIER, "applier", OTHER_RG)))
    code, found = doctor(invoke, project)
    assert code == 1
    shared = found["applier: no write on another environment's workspace"]
    assert shared["have"] is False and shared["detail"] == OTHER


def test_doctor_reads_and_writes_nothing(azure: Any, project: Path, invoke: RunCli) -> None:
    azure.set_authorization(roles(*GOOD))
    azure.reset_stats()
    doctor(invoke, project)
    methods = {label.split(" ", 1)[0] for label in azure.stats()["routes"]}
    assert methods == {"GET"}


VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-ml"
SECRETS_USER = definition(
    "kv-secrets-user",
    [],
    [
        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ],
)


@pytest.fixture
def vault_project(project: Path) -> Path:
    """The project, with a datastore whose key apply reads from key vault kv-ml."""
    (project / "platform.yaml").write_text(
        "gitops:\n  promote: [test, other]\n"
        "datastores:\n  landing:\n    type: azure_blob\n    account_name: stml\n"
        "    container_name: landing\n"
        "    credentials:\n      account_key: ${keyvault:kv-ml/landing-key}\n"
    )
    return project


@pytest.mark.parametrize(
    ("where", "have"), [(VAULT, True), (f"/subscriptions/{SUBSCRIPTION}", True), (None, False)]
)
def test_the_applier_must_get_the_secrets_of_the_vaults_platform_yaml_reads(
    azure: Any, vault_project: Path, invoke: RunCli, where: str | None, have: bool
) -> None:
    granted = roles(*GOOD, *([assignment(APPLIER, "kv-secrets-user", where)] if where else []))
    granted["definitions"].append(SECRETS_USER)
    azure.set_authorization(granted)
    code, found = doctor(invoke, vault_project)
    assert found["applier: get the secrets of key vault kv-ml"]["have"] is have
    assert code == (0 if have else 1)


def test_a_vault_role_at_a_resource_group_is_a_question_not_a_gap(
    azure: Any, vault_project: Path, invoke: RunCli
) -> None:
    granted = roles(*GOOD, assignment(APPLIER, "kv-secrets-user", OTHER_RG))
    granted["definitions"].append(SECRETS_USER)
    azure.set_authorization(granted)
    code, found = doctor(invoke, vault_project)
    check = found["applier: get the secrets of key vault kv-ml"]
    assert check["have"] is None and "resource group" in check["detail"]
    assert code == 0
