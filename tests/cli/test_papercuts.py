"""Small things a user trips over in a first week (issue 17, item 9), each as the user sees it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LOCAL, PLATFORM, RunCli, local_env, write_project


def test_missing_variables_and_missing_secrets_are_reported_in_one_round(
    tmp_path: Path, invoke: RunCli
) -> None:
    project = write_project(
        tmp_path,
        {
            "platform.yaml": PLATFORM,
            "environments/local.yaml": LOCAL,
            "environments/local.env": "SNOWFLAKE_ACCOUNT=acme\n",  # nothing else set
        },
    )

    result = invoke("plan", cwd=project)

    assert result.code == 1, result.output
    assert "invalid desired state (3 problems)" in result.stderr
    assert "credentials.username: variable ${SNOWFLAKE_USER} is not set" in result.stderr
    assert "secret variable SNOWFLAKE_PASSWORD is not set" in result.stderr
    assert "secret variable STORAGE_ACCOUNT_KEY is not set" in result.stderr
    checked = invoke("validate", cwd=project)  # reads no secret: names only the variable
    assert "(1 problem)" in checked.stderr and "STORAGE_ACCOUNT_KEY" not in checked.stderr


def test_an_unset_secret_is_not_called_an_invalid_desired_state(
    tmp_path: Path, invoke: RunCli
) -> None:
    project = write_project(
        tmp_path,
        {
            "platform.yaml": PLATFORM,
            "environments/local.yaml": LOCAL,
            "environments/local.env": local_env().replace("STORAGE_ACCOUNT_KEY=", "UNUSED="),
        },
    )

    result = invoke("plan", cwd=project)

    assert result.code == 1, result.output
    assert "Error: cannot read the secrets (1 problem):" in result.stderr
    assert "secret variable STORAGE_ACCOUNT_KEY is not set" in result.stderr
    assert "invalid desired state" not in result.stderr
    assert invoke("validate", cwd=project).code == 0  # valid: only its secret is missing


def test_a_saved_plan_for_another_environment_is_refused_before_anything_is_opened(
    project: Path, invoke: RunCli
) -> None:
    (project / "environments/other.yaml").write_text(
        "env_file: environments/local.env\nworkspace: {provider: local, path: .reconcile/other}\n"
    )
    assert invoke("plan", "--out", "plan.json", cwd=project).code == 0

    result = invoke("apply", "plan.json", "--env", "other", cwd=project)

    assert result.code == 1, result.output
    assert "the plan is for environment 'local', not 'other'" in result.stderr
    assert "hint: apply it with --env local" in result.stderr
    assert not (project / ".reconcile/other").exists()  # that workspace was never opened
