"""What a pull-request job and an apply job see: plans without secrets, errors as annotations,
secret references that say what is accepted, provenance on what apply writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.core.essences import Kind
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import DEMO_KEY, DEMO_PASSWORD, RunCli, local_env, write_project

NO_SECRETS_ENV = "env_file: environments/local.env\nworkspace: {provider: local}\n"


def without_secrets(project: Path) -> Path:
    """The project as a pull-request job holds it: variables, but no secret values."""
    (project / "environments/local.env").write_text(
        "SNOWFLAKE_ACCOUNT=acme\nSNOWFLAKE_USER=globorealty\n"
    )
    return project


def test_plan_without_secrets_needs_none_and_says_what_is_compared_at_apply(
    project: Path, invoke: RunCli
) -> None:
    without_secrets(project)
    with_secrets = invoke("plan", cwd=project)
    assert with_secrets.code == 1 and "SNOWFLAKE_PASSWORD is not set" in with_secrets.stderr

    result = invoke("plan", "--no-secrets", "--out", "plan.json", cwd=project)

    assert result.code == 0, result.output
    assert "credentials.password: (sensitive)" in result.stdout
    assert "Planned without secrets" in result.stdout
    saved = json.loads((project / "plan.json").read_text())
    assert saved["secrets_compared"] is False


def without_imports(project: Path) -> Path:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("imports:")])
    return project


def test_a_secret_rotated_after_a_plan_without_secrets_is_applied_with_it(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    secrets_env = (project / "environments/local.env").read_text()
    without_secrets(project)
    reviewed = invoke("plan", "--no-secrets", "--out", "plan.json", cwd=project)
    assert reviewed.code == 0 and "No changes" in reviewed.stdout
    # the store's secret is rotated before the reviewed plan is applied
    (project / "environments/local.env").write_text(
        secrets_env.replace(DEMO_PASSWORD, "rotated-password-42")
    )

    applied = invoke("apply", "plan.json", "--summary-file", "summary.md", cwd=project)

    assert applied.code == 0, applied.output
    assert "Apply complete: 1 applied" in applied.stdout
    assert "connection.snowflake_globorealty" in (project / "summary.md").read_text()
    assert "rotated-password-42" not in applied.output
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0


def test_check_sources_cannot_run_without_secrets(project: Path, invoke: RunCli) -> None:
    result = invoke("plan", "--no-secrets", "--check-sources", cwd=project)
    assert result.code == 1
    assert "--check-sources needs secrets" in result.stderr


def test_a_secret_too_short_to_mask_is_refused(project: Path, invoke: RunCli) -> None:
    (project / "environments/local.env").write_text(local_env(password="data"))
    result = invoke("plan", cwd=project)
    assert result.code == 1
    assert "connections.snowflake_globorealty.credentials.password" in result.stderr
    assert "shorter than 8 characters" in result.stderr
    assert "***" not in result.output  # nothing was masked, so nothing gave it away


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("${SNOWFLAKE_PASSWORD}", "${NAME} inserts a plain variable, but this field is a secret"),
        ("${vault:SNOWFLAKE_PASSWORD}", "unknown secret source 'vault'"),
        ("${keyvault:a/b}", "this keyvault secret reference is malformed"),
        ("${env:SNOWFLAKE_PASSWORD", "this secret reference is not closed: it needs its '}'"),
        ("hunter2-literal-secret", "must be a reference, not a literal value"),
        ("{source: env, name: hunter2-literal-secret}", "written as a string"),
    ],
)
def test_a_near_miss_secret_reference_names_the_accepted_forms(
    project: Path, invoke: RunCli, written: str, expected: str
) -> None:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(
        text.replace("password: ${env:SNOWFLAKE_PASSWORD}", f"password: {written}")
    )
    result = invoke("validate", cwd=project)
    assert result.code == 1
    assert "platform.yaml:9:" in result.stderr
    assert expected in result.stderr
    assert "${env:VARIABLE} or ${keyvault:VAULT/SECRET}" in result.stderr
    assert "hunter2" not in result.output


def test_keyvault_references_validate(project: Path, invoke: RunCli) -> None:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(
        text.replace(
            "password: ${env:SNOWFLAKE_PASSWORD}",
            "password: ${keyvault:kv-globorealty/snowflake-password}",
        )
    )
    assert invoke("validate", cwd=project).code == 0


def test_config_errors_become_github_annotations_in_actions(project: Path, invoke: RunCli) -> None:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text.replace("type: azure_blob", "type: azure_blobb"))
    plain = invoke("validate", cwd=project)
    in_actions = invoke("validate", cwd=project, env={"GITHUB_ACTIONS": "true"})
    assert "::error" not in plain.output
    assert in_actions.code == 1
    assert "::error file=platform.yaml,line=12,col=5,title=reconciler::" in in_actions.stdout
    assert "datastores.rawdata.type: unknown type" in in_actions.stdout


def test_apply_records_what_made_each_resource(project: Path, invoke: RunCli) -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": "0123abcd",
        "GITHUB_REPOSITORY": "globorealty/platform",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "77",
        "GITHUB_ACTOR": "octocat",
        "RECONCILER_PULL_REQUEST": "12",
    }
    without_imports(project)
    assert invoke("apply", "--auto-approve", cwd=project, env=env).code == 0
    workspace = LocalWorkspace(project / ".reconcile/local")
    (datastore,) = [r for r in workspace.list_resources(Kind.DATASTORE) if r.name == "rawdata"]
    assert datastore.provenance["commit"] == "0123abcd"
    assert datastore.provenance["pull-request"] == "12"
    assert datastore.provenance["run"] == "https://github.com/globorealty/platform/actions/runs/77"
    assert datastore.provenance["by"] == "octocat"
    assert datastore.owner == "default/local"
    assert datastore.spec["tags"] == {}  # bookkeeping never shows as user tags


def test_a_plan_file_never_holds_a_secret(tmp_path: Path, invoke: RunCli) -> None:
    """A secret whose value also appears in a plain field is refused (located at that field),
    not masked."""
    write_project(
        tmp_path,
        {
            "platform.yaml": "connections:\n  conn-one:\n    type: s3\n"
            "    target: s3://bucket-key-Hh42-unit-test-account-key\n"
            "    credentials:\n      type: access_key\n      access_key_id: AKIA1\n"
            "      secret_access_key: ${env:STORAGE_ACCOUNT_KEY}\n",
            "environments/local.yaml": "env_file: environments/local.env\n",
            "environments/local.env": local_env(),
        },
    )
    result = invoke("plan", "--out", "plan.json", cwd=tmp_path)
    assert result.code == 1
    assert (
        "platform.yaml:4:5: connections.conn-one.target: this field contains the value of the "
        "secret ${env:STORAGE_ACCOUNT_KEY}" in result.stderr
    )
    assert not (tmp_path / "plan.json").exists()
    assert DEMO_KEY not in result.output and DEMO_PASSWORD not in result.output
