"""A secret's value never leaves as plain text: not through a plain field filled by the
secret's own variable, nor by another variable or a literal holding the same value, nor through
anything else apply would write beside a resource. Every refusal is located, exits 1, changes
nothing and shows no value."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.core.essences import Kind
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import DEMO_KEY, DEMO_PASSWORD, PLATFORM, RunCli, local_env

COMMANDS = (
    ("validate",),
    ("plan", "--no-secrets"),
    ("plan",),
    ("plan", "--format", "markdown"),
    ("apply", "--auto-approve"),
)


def no_secret_anywhere(project: Path, *outputs: str) -> None:
    """Neither secret in what the commands printed, nor in any file they wrote."""
    written = [p for p in project.rglob("*") if p.is_file() and p.suffix != ".env"]
    written = [p for p in written if p.name != "platform.yaml" and p.parent.name != "environments"]
    for secret in (DEMO_PASSWORD, DEMO_KEY):
        assert all(secret not in text for text in outputs)
        assert all(secret.encode() not in p.read_bytes() for p in written)


@pytest.mark.parametrize(
    ("files", "where", "variable"),
    [
        (
            {"platform.yaml": PLATFORM.replace("${SNOWFLAKE_USER}", "${SNOWFLAKE_PASSWORD}")},
            "platform.yaml:8:7: connections.snowflake_globorealty.credentials.username",
            "SNOWFLAKE_PASSWORD",
        ),
        (
            {"platform.yaml": PLATFORM.replace("${SNOWFLAKE_ACCOUNT}", "${SNOWFLAKE_PASSWORD}")},
            "platform.yaml:5:5: connections.snowflake_globorealty.target",
            "SNOWFLAKE_PASSWORD",
        ),
        (
            {"platform.yaml": PLATFORM.replace("RAW\n", "RAW WHERE k='${STORAGE_ACCOUNT_KEY}'\n")},
            "platform.yaml:22:7: imports.raw_house_data.source.query",
            "STORAGE_ACCOUNT_KEY",
        ),
        (
            {"platform.yaml": PLATFORM + "    description: loaded as ${SNOWFLAKE_PASSWORD}\n"},
            "platform.yaml:24:5: imports.raw_house_data.description",
            "SNOWFLAKE_PASSWORD",
        ),
        (
            {"platform.yaml": PLATFORM + "    tags: {by: '${SNOWFLAKE_PASSWORD}'}\n"},
            "platform.yaml:24:12: imports.raw_house_data.tags.by",
            "SNOWFLAKE_PASSWORD",
        ),
        (
            {
                "environments/local.yaml": "env_file: environments/local.env\n"
                "workspace: {provider: local}\n"
                "datastores:\n  rawdata:\n    description: key ${STORAGE_ACCOUNT_KEY}\n"
            },
            "environments/local.yaml:5:5: datastores.rawdata.description",
            "STORAGE_ACCOUNT_KEY",
        ),
    ],
    ids=["username", "target", "query", "import-description", "import-tag", "overlay"],
)
def test_a_secret_variable_in_a_plain_field_is_refused_by_every_command(
    project: Path, invoke: RunCli, files: dict[str, str], where: str, variable: str
) -> None:
    for name, text in files.items():
        (project / name).write_text(text)
    outputs = []
    for args in COMMANDS:
        result = invoke(*args, cwd=project)
        outputs.append(result.output)
        assert result.code == 1, (args, result.output)
        assert f"{where}: variable {variable} is a secret (it fills ${{env:{variable}}}" in (
            result.stderr
        )
        assert "a secret's variable may fill only secret fields" in result.stderr
    assert not (project / ".reconcile").exists()  # nothing was created, nothing written
    no_secret_anywhere(project, *outputs)


def test_it_is_reported_with_every_other_problem_at_once(project: Path, invoke: RunCli) -> None:
    text = PLATFORM.replace("${SNOWFLAKE_USER}", "${SNOWFLAKE_PASSWORD}")
    text = text.replace("container_name: rawdata", "container_name: rawdata\n    colour: red")
    (project / "platform.yaml").write_text(text + "    tags: {by: '${STORAGE_ACCOUNT_KEY}'}\n")

    result = invoke("validate", cwd=project)

    assert result.code == 1
    assert "invalid desired state (3 problems)" in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("  platform.yaml")]
    assert [line.split(": ")[0].strip() for line in lines] == [
        "platform.yaml:8:7",
        "platform.yaml:15:5",
        "platform.yaml:25:12",
    ]
    no_secret_anywhere(project, result.output)


def test_a_plain_value_equal_to_a_secret_is_refused_once_secrets_are_read(
    project: Path, invoke: RunCli
) -> None:
    """Another variable with the secret's value, or the value written as a literal: only the
    values can tell, so validate passes and plan and apply refuse, naming the variable and the
    secret reference."""
    text = PLATFORM.replace("${SNOWFLAKE_USER}", "${SERVICE_USER}")
    text = text.replace("account_name: globorealtydata", f"account_name: x{DEMO_KEY}")
    (project / "platform.yaml").write_text(text)
    (project / "environments/local.env").write_text(local_env() + f"SERVICE_USER={DEMO_PASSWORD}\n")

    assert invoke("validate", cwd=project).code == 0
    outputs = []
    for args in (("plan",), ("plan", "--out", "plan.json"), ("apply", "--auto-approve")):
        result = invoke(*args, cwd=project)
        outputs.append(result.output)
        assert result.code == 1, result.output
        assert (
            "platform.yaml:8:7: connections.snowflake_globorealty.credentials.username: this "
            "field, filled by ${SERVICE_USER}, contains the value of the secret "
            "${env:SNOWFLAKE_PASSWORD}; it would be stored and shown in clear"
        ) in result.stderr
        assert "SERVICE_USER must not hold a secret's value" in result.stderr
        assert (
            "platform.yaml:13:5: datastores.rawdata.account_name: this field contains the value "
            "of the secret ${env:STORAGE_ACCOUNT_KEY}"
        ) in result.stderr
    assert not (project / "plan.json").exists()
    assert not (project / ".reconcile").exists()
    no_secret_anywhere(project, *outputs)


def test_apply_refuses_to_write_a_secret_that_reaches_metadata_another_way(
    project: Path, invoke: RunCli
) -> None:
    """Belt and braces: what apply writes beside a resource (here provenance from the CI
    environment) is checked against every secret before the first write."""
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("imports:")])
    ci = {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": DEMO_KEY, "GITHUB_REPOSITORY": "o/r"}

    result = invoke("apply", "--auto-approve", "--summary-file", "summary.md", cwd=project, env=ci)

    assert result.code == 1, result.output
    assert (
        "refusing to apply: a secret's value would be written in clear, in "
        "connection.snowflake_globorealty: tag reconciler.made-by.by; "
        "datastore.rawdata: tag reconciler.made-by.by; nothing was changed"
    ) in result.stderr
    assert "refusing to apply" in (project / "summary.md").read_text()
    workspace = LocalWorkspace(project / ".reconcile/local")
    try:
        assert workspace.list_resources(Kind.CONNECTION) == []
        assert all(d.system for d in workspace.list_resources(Kind.DATASTORE))
    finally:
        workspace.close()
    no_secret_anywhere(project, result.output)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0  # without it: applies


def test_every_field_of_a_new_import_is_shown_in_the_plan(project: Path, invoke: RunCli) -> None:
    (project / "platform.yaml").write_text(
        PLATFORM + "    description: Nightly house sales\n    tags: {team: data, tier: bronze}\n"
    )
    text = invoke("plan", cwd=project)
    markdown = invoke("plan", "--format", "markdown", cwd=project)

    assert text.code == markdown.code == 0
    block = text.stdout.split("import.raw_house_data  materialize version 1")[1]
    for line in (
        'description: "Nightly house sales"',
        'tags.team: "data"',
        'tags.tier: "bronze"',
        'source.query: "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW"',
    ):
        assert f"      {line}\n" in block
        assert f"+     {line}\n" in markdown.stdout
