"""What a user sees when something is wrong, and what they must never see: a secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_KEY, DEMO_PASSWORD, PLATFORM, RunCli


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "password: ${env:SNOWFLAKE_PASSWORD}",
            "password: pl41n-text-pw",
            "platform.yaml:9:7: connections.snowflake_globorealty.credentials.password",
        ),
        ("type: azure_blob", "type: azure_blob\n    type: azure_file", "duplicate key 'type'"),
        (
            "container_name: rawdata",
            "container_name: rawdata\n    colour: red",
            "platform.yaml:15:5: datastores.rawdata.colour: unknown field",
        ),
        (
            "connection: azureml:snowflake_globorealty",
            "connection: ghost_connection",
            "connection 'ghost_connection' is not declared",
        ),
    ],
)
def test_bad_input_exits_1_naming_file_and_line_without_a_traceback(
    project: Path, invoke: RunCli, old: str, new: str, expected: str
) -> None:
    (project / "platform.yaml").write_text(PLATFORM.replace(old, new))
    for command in ("validate", "plan"):
        result = invoke(command, cwd=project)
        assert result.code == 1
        assert expected in result.stderr
        assert "Traceback" not in result.output
        assert "pl41n-text-pw" not in result.output


def test_debug_shows_the_traceback(project: Path, invoke: RunCli) -> None:
    (project / "platform.yaml").write_text(PLATFORM.replace("type: azure_blob", "type: nope"))
    result = invoke("--debug", "plan", cwd=project)
    assert result.code == 1
    assert "Traceback" in result.stderr


def test_usage_errors_exit_1_not_2(project: Path, invoke: RunCli) -> None:
    result = invoke("plan", "--format", "yaml", cwd=project)
    assert result.code == 1
    assert "Invalid value for '--format'" in result.stderr


def test_unknown_environment_lists_known_ones(project: Path, invoke: RunCli) -> None:
    result = invoke("plan", "--env", "qa", cwd=project)
    assert result.code == 1
    assert "unknown environment 'qa'; known environments: local" in result.stderr


def test_no_secret_value_appears_in_any_output_or_file(project: Path, invoke: RunCli) -> None:
    outputs = []
    for args in (
        ("validate",),
        ("plan",),
        ("plan", "--format", "markdown"),
        ("plan", "--format", "json", "--out", "plan.json"),
        ("apply", "--auto-approve"),  # the import fails: acme.snowflakecomputing.com is unreachable
        ("plan", "--format", "json"),
        ("status",),
        ("--debug", "plan"),
    ):
        result = invoke(*args, cwd=project)
        assert result.code in (0, 2, 3), result.output
        outputs.append(result.output)
    # Every file but the env file (the input) and the workspace's own store, which keeps
    # secrets write-only as Azure ML does.
    files = [
        p.read_bytes()
        for p in project.rglob("*")
        if p.is_file() and p.suffix != ".env" and not p.name.startswith("workspace.db")
    ]
    for secret in (DEMO_PASSWORD, DEMO_KEY):
        assert all(secret not in text for text in outputs)
        assert all(secret.encode() not in blob for blob in files)
    plan = json.loads((project / "plan.json").read_text())
    creds = next(c for c in plan["resource_changes"] if c["type"] == "connection")
    assert creds["secret_refs"] == {"credentials.password": "${env:SNOWFLAKE_PASSWORD}"}


def test_secrets_are_write_only_in_the_embedded_workspace(project: Path, invoke: RunCli) -> None:
    invoke("apply", "--auto-approve", cwd=project)
    script = (
        "from pathlib import Path; from reconciler.providers.local.provider import LocalWorkspace;"
        "w = LocalWorkspace(Path('.reconcile/local'));"
        "print([r.spec for k in ('connection', 'datastore') for r in w.list_resources(k)])"
    )
    listed = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    assert DEMO_PASSWORD not in listed and DEMO_KEY not in listed
    assert "'credentials': {'type': 'account_key'}" in listed


def test_help_and_a_local_plan_do_not_import_azure_or_snowflake(project: Path) -> None:
    script = (
        "import sys\nfrom reconciler.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.startswith(('azure', 'snowflake', 'fakesnow'))]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    for args in (["--help"], ["plan", "--env", "local"]):
        proc = subprocess.run(
            [sys.executable, "-c", script, *args], cwd=project, capture_output=True, text=True
        )
        assert "HEAVY []" in proc.stderr, proc.stderr


def test_apply_refuses_a_file_that_is_not_a_plan(project: Path, invoke: RunCli) -> None:
    (project / "notaplan.json").write_text('{"resource_changes": "nope"}')
    result = invoke("apply", "notaplan.json", cwd=project)
    assert result.code == 1
    assert "notaplan.json is not a reconciler plan file" in result.stderr
    assert "Traceback" not in result.stderr


def test_apply_refuses_a_plan_whose_actions_were_edited(project: Path, invoke: RunCli) -> None:
    """A change holds one action; change.actions is written from it. A file where the two
    disagree was edited after plan wrote it: nothing is applied."""
    text = project.joinpath("platform.yaml").read_text()
    project.joinpath("platform.yaml").write_text(text[: text.index("imports:")])
    assert invoke("plan", "--out", "plan.json", cwd=project).code == 0
    plan = json.loads((project / "plan.json").read_text())
    plan["resource_changes"][0]["change"]["actions"] = ["no-op"]  # the action says create
    (project / "plan.json").write_text(json.dumps(plan))

    result = invoke("apply", "plan.json", cwd=project)

    assert result.code == 1, result.output
    assert 'change.actions ["no-op"] disagrees with action "create"' in result.stderr
    assert "edited after reconcile plan wrote it" in result.stderr
    assert not (project / ".reconcile/local").exists()


def test_reading_commands_create_nothing(project: Path, invoke: RunCli) -> None:
    """plan, status, list and export on a workspace that does not exist yet read it as empty;
    only apply creates it."""
    for args in (("plan",), ("status",), ("list",), ("export",), ("plan", "--no-secrets")):
        assert invoke(*args, cwd=project).code == 0
    assert not (project / ".reconcile").exists()


def test_secrets_at_rest_are_readable_by_their_owner_only(project: Path, invoke: RunCli) -> None:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("imports:")])
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    root = project / ".reconcile/local"
    assert root.stat().st_mode & 0o777 == 0o700
    stores = [p for p in root.iterdir() if p.name.startswith("workspace.db")]
    assert stores and all(p.stat().st_mode & 0o077 == 0 for p in stores)


def test_a_project_of_one_file_runs_on_the_embedded_workspace(
    tmp_path: Path, invoke: RunCli
) -> None:
    """No environments/ at all: platform.yaml alone is environment `local`, as Terraform
    runs a folder of one file; any other environment still needs its overlay."""
    project = tmp_path / "one-file"
    project.mkdir()
    (project / "platform.yaml").write_text(
        "connections:\n  feed:\n    type: python_feed\n    target: https://pkgs.example.com/simple\n"
    )

    applied = invoke("apply", "--auto-approve", cwd=project)
    again = invoke("plan", "--detailed-exitcode", cwd=project)
    other = invoke("plan", "--env", "dev", cwd=project)

    assert applied.code == 0, applied.output
    assert "Apply complete: 1 applied" in applied.stdout
    assert again.code == 0 and "No changes" in again.stdout
    assert other.code == 1
    assert "unknown environment 'dev'" in other.stderr
    assert "create environments/dev.yaml" in other.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "connections:\n  feed:\n    target: https://pkgs.example.com/simple\n",
            "platform.yaml:2:3: connections.feed.type: required field is missing; expected one "
            "of: git, ",
        ),
        (
            "connections:\n  feed:\n    type: git\n  target: https://pkgs.example.com/simple\n",
            "platform.yaml:4:3: connections.target: expected the fields of connections entry "
            "'target' (a mapping), found text\n    hint: check the indentation",
        ),
        (
            "connections:\n  feed:\n    type: git\n    targt: https://pkgs.example.com/simple\n",
            "platform.yaml:4:5: connections.feed.targt: unknown field; check the spelling "
            "(reconcile schema lists every field)\n    hint: did you mean 'target'?",
        ),
        (
            "imports:\n  a:\n    source: {type: database, connection: snow}\n    query: SELECT 1\n",
            "platform.yaml:4:5: imports.a.query: unknown field; check the spelling (reconcile "
            "schema lists every field)\n    hint: 'query' is a field, but not at this level",
        ),
        (
            "conections:\n  feed:\n    type: git\n",
            "platform.yaml:1:1: conections: unknown field; check the spelling (reconcile schema "
            "lists every field)\n    hint: did you mean 'connections'?",
        ),
        (
            "datastores:\n  lake:\n    type: azure_blob\n  account_name: acct\n",
            "platform.yaml:4:3: datastores.account_name: expected the fields of datastores entry "
            "'account_name' (a mapping), found text\n    hint: check the indentation",
        ),
    ],
)
def test_a_missing_type_or_a_dedented_field_says_so(
    tmp_path: Path, invoke: RunCli, text: str, expected: str
) -> None:
    (tmp_path / "platform.yaml").write_text(text)
    result = invoke("validate", cwd=tmp_path)
    assert result.code == 1
    assert expected in result.stderr
    assert "unknown connection type" not in result.stderr
    assert "extract fields" not in result.stderr
