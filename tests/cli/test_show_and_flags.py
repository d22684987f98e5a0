"""`reconcile show PLAN_FILE` renders a saved plan with this reconciler's code (as `terraform
show`), and `apply FILE --expect-flags-from-settings` refuses a plan whose scope someone else
chose: what a pipeline needs to never show, or apply, what a pull request wrote."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_review_and_secrets import without_imports
from tests.conftest import RunCli


def saved(project: Path, invoke: RunCli, *args: str, name: str = "plan.json") -> Path:
    result = invoke("plan", "--out", name, *args, cwd=project)
    assert result.code == 0, result.output
    return project / name


def test_show_renders_a_saved_plan_in_each_format_without_a_workspace(
    project: Path, invoke: RunCli
) -> None:
    plan = saved(project, invoke)
    (project / "environments" / "local.env").unlink()  # no variable, no secret: a file only

    markdown = invoke("show", str(plan), "--format", "markdown", cwd=project)
    text = invoke("show", str(plan), cwd=project)
    data = invoke("show", str(plan), "--format", "json", cwd=project)

    assert markdown.code == text.code == data.code == 0, markdown.output + text.output
    assert markdown.stdout.startswith("<!-- reconciler-plan:local -->\n### reconciler plan")
    assert "**Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy.**" in markdown.stdout
    assert "Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy." in text.stdout
    assert json.loads(data.stdout) == json.loads(plan.read_text())


def test_show_refuses_a_file_that_is_not_a_plan_and_format_for_an_asset(
    project: Path, invoke: RunCli
) -> None:
    (project / "notes.json").write_text('{"hello": 1}')
    bad = invoke("show", "notes.json", "--format", "markdown", cwd=project)
    assert bad.code == 1 and "notes.json is not a reconciler plan file" in bad.stderr
    asset = invoke("show", "raw_house_data", "--format", "json", cwd=project)
    assert asset.code == 1 and "--format is for plan files" in asset.stderr


def test_a_pipeline_refuses_a_saved_plan_whose_flags_it_did_not_ask_for(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    forged = saved(
        project, invoke, "--replace", "connection.snowflake_globorealty", name="forged.json"
    )

    refused = invoke(
        "apply",
        str(forged),
        "--env",
        "local",
        "--expect-flags-from-settings",
        "--summary-file",
        "summary.md",
        cwd=project,
    )

    assert refused.code == 6, refused.output
    assert "replace connection.snowflake_globorealty (expected none)" in refused.stderr
    assert "nothing was applied" in (project / "summary.md").read_text()
    # the same file, expected: the pipeline's own input asked for that replace
    expected = invoke(
        "apply",
        str(forged),
        "--env",
        "local",
        "--expect-flags-from-settings",
        "--replace",
        "connection.snowflake_globorealty",
        cwd=project,
    )
    assert expected.code == 0, expected.output
    assert "Apply complete: 1 applied" in expected.stdout
    # locally, whoever holds the file chooses: apply FILE honours it
    again = saved(
        project, invoke, "--replace", "connection.snowflake_globorealty", name="again.json"
    )
    assert invoke("apply", str(again), cwd=project).code == 0


def test_a_plan_for_another_environment_is_refused_in_a_pipeline(
    project: Path, invoke: RunCli
) -> None:
    plan = saved(project, invoke)
    data = json.loads(plan.read_text())
    data["environment"] = "prod"
    plan.write_text(json.dumps(data))
    refused = invoke(
        "apply", str(plan), "--env", "local", "--expect-flags-from-settings", cwd=project
    )
    assert refused.code == 1  # checked before anything, whatever the flags
    assert "the plan is for environment 'prod', not 'local'" in refused.stderr
