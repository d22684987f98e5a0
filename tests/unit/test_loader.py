"""The loader: overlays, variables, and errors that name file, line, field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.errors import ConfigError, ReconcileError
from reconciler.model import AzureBlobDatastore, UsernamePassword
from tests.conftest import DEMO_PASSWORD, LOCAL, PLATFORM, local_env, write_project


def make(tmp_path: Path, platform: str = PLATFORM, local: str = LOCAL, **extra: str) -> Path:
    files = {"platform.yaml": platform, "environments/local.yaml": local}
    files["environments/local.env"] = local_env()
    files.update({f"environments/{k}.yaml": v for k, v in extra.items()})
    return write_project(tmp_path, files)


def errors_of(tmp_path: Path, environment: str | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, environment)
    return str(caught.value)


def test_loads_the_globorealty_example_with_variables_filled(project: Path) -> None:
    config = load(project)
    connection = config.platform.connections["snowflake_globorealty"]
    assert isinstance(connection.credentials, UsernamePassword)
    assert config.environment == "local"
    assert connection.target.startswith("jdbc:snowflake://acme.snowflakecomputing.com/")
    assert connection.credentials.username == "globorealty"
    assert str(connection.credentials.password) == "${env:SNOWFLAKE_PASSWORD}"
    assert config.platform.imports["raw_house_data"].type == "mltable"


def test_the_repository_platform_yaml_is_valid_for_every_local_environment() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load(root, "local")
    assert set(config.platform.connections) == {"snowflake_globorealty"}
    assert set(config.platform.datastores) == {"rawdata"}
    assert set(config.platform.imports) == {"raw_house_data"}


def test_overlay_merges_mappings_by_key_and_replaces_scalars(tmp_path: Path) -> None:
    overlay = LOCAL + "datastores:\n  rawdata:\n    container_name: other\n    tags: {a: b}\n"
    make(tmp_path, local=overlay)
    store = load(tmp_path).platform.datastores["rawdata"]
    assert isinstance(store, AzureBlobDatastore)
    assert store.container_name == "other"
    assert store.account_name == "globorealtydata"  # kept from platform.yaml
    assert store.tags == {"a": "b"}


def test_unknown_environment_lists_the_known_ones(project: Path) -> None:
    with pytest.raises(ReconcileError) as caught:
        load(project, "staging")
    assert "unknown environment 'staging'; known environments: local" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "password: ${env:SNOWFLAKE_PASSWORD}",
            "password: hunter2-literal",
            "platform.yaml:9:7: connections.snowflake_globorealty.credentials.password: this "
            "field is a secret and must be a reference",
        ),
        (
            "container_name: rawdata",
            "container_name: rawdata\n    containr: x",
            "platform.yaml:15:5: datastores.rawdata.containr: unknown field",
        ),
        (
            "    account_name: globorealtydata\n",
            "",
            "platform.yaml:11:3: datastores.rawdata.account_name: required field is missing",
        ),
        (
            "connection: azureml:snowflake_globorealty",
            "connection: azureml:nowhere_conn",
            "platform.yaml:21:7: imports.raw_house_data.source.connection: connection "
            "'nowhere_conn' is not declared (declared: snowflake_globorealty)",
        ),
        (
            "paths/raw_house_data",
            "paths/raw_house_data\n    path: azureml://datastores/rawdata/paths/dup",
            "platform.yaml:24:5: imports.raw_house_data.path: duplicate key 'path' (first "
            "defined at line 23)",
        ),
        (
            "path: azureml://datastores/rawdata/paths/raw_house_data",
            "path: azureml://datastores/missing_store/paths/x",
            "imports.raw_house_data.path: datastore 'missing_store' is not declared",
        ),
        (
            "type: azure_blob",
            "type: azure_blobby",
            "platform.yaml:12:5: datastores.rawdata.type: unknown type; expected one of: "
            "'azure_blob', 'azure_data_lake_gen2', 'azure_file'",
        ),
        (
            "username: ${SNOWFLAKE_USER}",
            "username: ${NOT_SET_ANYWHERE}",
            "connections.snowflake_globorealty.credentials.username: variable ${NOT_SET_ANYWHERE}"
            " is not set",
        ),
        (
            "  rawdata:\n    type: azure_blob",
            "  RawData:\n    type: azure_blob",
            "datastore name 'RawData' is not valid",
        ),
    ],
)
def test_bad_input_is_reported_with_file_line_field_and_fix(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in PLATFORM
    make(tmp_path, platform=PLATFORM.replace(old, new))
    assert expected in errors_of(tmp_path)


def test_a_literal_secret_is_never_echoed(tmp_path: Path) -> None:
    make(tmp_path, platform=PLATFORM.replace("${env:SNOWFLAKE_PASSWORD}", "Sup3rS3cret!"))
    message = errors_of(tmp_path)
    assert "Sup3rS3cret!" not in message
    assert "${env:VARIABLE}" in message


def test_all_problems_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    broken = PLATFORM.replace("container_name: rawdata", "container_name: rawdata\n    x: 1")
    broken = broken.replace("password: ${env:SNOWFLAKE_PASSWORD}", "password: literal")
    make(tmp_path, platform=broken)
    message = errors_of(tmp_path)
    assert message.startswith("invalid desired state (2 problems):")
    assert "credentials.password" in message and "datastores.rawdata.x" in message


def test_errors_in_an_overlay_name_the_overlay_file(tmp_path: Path) -> None:
    make(tmp_path, local=LOCAL + "datastores:\n  rawdata:\n    colour: blue\n")
    assert "environments/local.yaml:7:5: datastores.rawdata.colour: unknown field" in errors_of(
        tmp_path
    )


def test_duplicate_keys_in_overlays_are_rejected(tmp_path: Path) -> None:
    make(tmp_path, local=LOCAL + "settings:\n  prune: true\n  prune: false\n")
    assert "environments/local.yaml:7:3: settings.prune: duplicate key 'prune'" in errors_of(
        tmp_path
    )


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    make(tmp_path, platform=PLATFORM + "  broken: [unclosed\n")
    assert "platform.yaml:" in errors_of(tmp_path)
    assert "not valid YAML" in errors_of(tmp_path)


def test_validation_needs_no_secret_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"platform.yaml": PLATFORM, "environments/local.yaml": "{}\n"})
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "acme")
    monkeypatch.setenv("SNOWFLAKE_USER", "u")
    monkeypatch.delenv("SNOWFLAKE_PASSWORD", raising=False)
    config = load(tmp_path)
    assert config.variables.get("SNOWFLAKE_PASSWORD") is None


def test_process_environment_wins_over_env_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNOWFLAKE_USER", "from-process")
    config = load(project)
    credentials = config.platform.connections["snowflake_globorealty"].credentials
    assert isinstance(credentials, UsernamePassword)
    assert credentials.username == "from-process"
    assert config.variables["SNOWFLAKE_PASSWORD"] == DEMO_PASSWORD


def test_pinned_numeric_version_is_text_and_schedule_is_parsed(tmp_path: Path) -> None:
    extra = (
        "    version: 3\n    schedule:\n      trigger:\n        type: cron\n"
        "        expression: '0  3 * * *'\n        time_zone: UTC\n"
    )
    make(tmp_path, platform=PLATFORM + extra)
    item = load(tmp_path).platform.imports["raw_house_data"]
    assert item.version == "3"
    assert item.schedule is not None
    assert item.schedule.trigger.model_dump()["expression"] == "0 3 * * *"


def test_the_committed_json_schema_is_current() -> None:
    from reconciler.schema import schema_json

    root = Path(__file__).resolve().parents[2]
    assert (root / "platform.schema.json").read_text() == schema_json(), (
        "run `make schema` and commit platform.schema.json"
    )
    assert (
        (root / "platform.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=./platform.schema.json")
    )
