"""The loader: overlays, variables, and errors that name file, line, field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.config.model.connection_credentials import UsernamePassword
from reconciler.config.model.datastores import AzureBlobDatastore
from reconciler.config.model.imports import DatabaseSource
from reconciler.core.errors import ConfigError, ReconcileError
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
    assert connection.target_value.startswith("jdbc:snowflake://acme.snowflakecomputing.com/")
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
            "  raw.data:\n    type: azure_blob",
            "datastore name 'raw.data' is not valid",
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


@pytest.mark.parametrize(
    ("mistake", "expected"),
    [
        (
            "     description: one space too far\n",
            "platform.yaml:24:17: not valid YAML: mapping values are not allowed in this context"
            "\n    hint: a line is indented deeper than the key above it, or a value holding "
            "': ' needs quotes (query: \"a: b\"); check the indentation of this line and of the "
            "lines just above it; the last field read is imports.raw_house_data.path (line 23)",
        ),
        (
            "\tdescription: a tab\n",
            "platform.yaml:24:1: not valid YAML: found a tab character that violates indentation"
            "\n    hint: YAML indents with spaces only: replace the tab with spaces; the last "
            "field read is imports.raw_house_data.source.query (line 22)",
        ),
    ],
)
def test_a_yaml_syntax_error_says_what_usually_causes_it_and_where_reading_stopped(
    tmp_path: Path, mistake: str, expected: str
) -> None:
    make(tmp_path, platform=PLATFORM + mistake)
    assert expected in errors_of(tmp_path)


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
    from reconciler.config.schema import schema_json

    root = Path(__file__).resolve().parents[2]
    assert (root / "platform.schema.json").read_text() == schema_json(), (
        "run `make schema` and commit platform.schema.json"
    )
    assert (
        (root / "platform.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=./platform.schema.json")
    )


# --- YAML read as people mean it -------------------------------------------------------------


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    make(tmp_path)
    (tmp_path / "platform.yaml").write_bytes(b"\xef\xbb\xbf" + PLATFORM.encode())
    assert set(load(tmp_path).platform.imports) == {"raw_house_data"}


@pytest.mark.parametrize(
    ("written", "read"),
    [("'010'", "010"), ('"1.10"', "1.10"), ("!!str 0x1F", "0x1F"), ("3", "3"), ("08", "08")],
)
def test_a_quoted_or_plain_decimal_version_is_read_as_written(
    tmp_path: Path, written: str, read: str
) -> None:
    make(tmp_path, platform=PLATFORM + f"    version: {written}\n")
    assert load(tmp_path).platform.imports["raw_house_data"].version == read


def test_keys_are_their_source_text_and_timestamps_stay_text(tmp_path: Path) -> None:
    platform = PLATFORM.replace("  raw_house_data:", "  010:") + (
        "    tags: {2024: yes-really, true: 'x'}\n"
        "    schedule:\n"
        "      trigger: {type: cron, expression: '0 3 * * *', start_time: 2024-01-01T03:00:00}\n"
    )
    make(tmp_path, platform=platform)
    item = load(tmp_path).platform.imports["010"]
    assert item.tags == {"2024": "yes-really", "true": "x"}
    assert item.schedule is not None
    assert item.schedule.trigger.model_dump()["start_time"] == "2024-01-01T03:00:00"


def test_plain_numbers_and_booleans_are_still_read_where_a_field_wants_them(
    tmp_path: Path,
) -> None:
    extra = (
        "    schedule:\n      enabled: no\n      trigger:\n        type: recurrence\n"
        "        frequency: hour\n        interval: 2\n        schedule: {minutes: [0, 30]}\n"
    )
    make(tmp_path, platform=PLATFORM + extra)
    schedule = load(tmp_path).platform.imports["raw_house_data"].schedule
    assert schedule is not None and schedule.enabled is False
    assert schedule.trigger.model_dump()["interval"] == 2


def test_aliases_repeat_values_and_errors_inside_them_point_at_the_anchor(
    tmp_path: Path,
) -> None:
    platform = (
        PLATFORM.replace(
            "    source:\n      type: database", "    source: &source\n      type: database"
        )
        + "    tags: &shared {team: data}\n"
        + "  other_copy:\n    source: *source\n    tags: *shared\n"
        + "    path: azureml://datastores/rawdata/paths/o\n"
    )
    make(tmp_path, platform=platform)
    imports = load(tmp_path).platform.imports
    assert imports["other_copy"].source == imports["raw_house_data"].source
    assert imports["other_copy"].tags == {"team": "data"}

    make(tmp_path, platform=platform.replace("{team: data}", "{team: data, owner: ~}"))
    message = errors_of(tmp_path)
    assert "platform.yaml:24:32: imports.raw_house_data.tags.owner: this field is text" in message
    assert "platform.yaml:24:32: imports.other_copy.tags.owner: this field is text" in message


def test_a_query_may_end_with_a_semicolon_and_hold_comments_and_quoted_semicolons(
    tmp_path: Path,
) -> None:
    query = (
        "query: |\n        -- the raw table; all of it\n        SELECT ';' AS x /* ; */ FROM RAW;\n"
    )
    make(
        tmp_path,
        platform=PLATFORM.replace("query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW", query),
    )
    source = load(tmp_path).platform.imports["raw_house_data"].source
    assert isinstance(source, DatabaseSource) and "SELECT ';'" in source.query


def test_forty_tags_and_a_246_character_scheduled_import_fit_azure_limits(tmp_path: Path) -> None:
    name = "a" * 246
    tags = "{" + ", ".join(f"t{i}: v" for i in range(40)) + "}"
    platform = PLATFORM.replace("  raw_house_data:", f"  {name}:") + (
        f"    tags: {tags}\n    schedule:\n      trigger: {{type: cron, expression: '0 3 * * *'}}\n"
    )
    make(tmp_path, platform=platform)
    assert len(load(tmp_path).platform.imports[name].tags) == 40
    make(tmp_path, platform=platform.replace(name, name + "b"))
    assert "Azure ML schedule names have at most 255" in errors_of(tmp_path)


def test_an_env_file_written_with_a_leading_dot_slash_is_inside_the_project(
    tmp_path: Path,
) -> None:
    make(tmp_path, local=LOCAL.replace("env_file: environments", "env_file: ./environments"))
    assert load(tmp_path).variables["SNOWFLAKE_PASSWORD"] == DEMO_PASSWORD


def test_a_variable_is_filled_once_never_expanded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTE", "${SNOWFLAKE_USER} and $${X}")
    make(tmp_path, platform=PLATFORM + "    description: ${NOTE}\n")
    assert load(tmp_path).platform.imports["raw_house_data"].description == (
        "${SNOWFLAKE_USER} and $${X}"
    )


def test_a_multi_line_description_may_hold_line_breaks_but_no_control_characters(
    tmp_path: Path,
) -> None:
    make(tmp_path, platform=PLATFORM + '    description: "two\\n\\tlines"\n')
    assert load(tmp_path).platform.imports["raw_house_data"].description == "two\n\tlines"
    make(tmp_path, platform=PLATFORM + '    description: "bell\\a"\n')
    assert "control character U+0007" in errors_of(tmp_path)


# --- the limits themselves -------------------------------------------------------------------


def test_every_format_or_line_separator_character_is_invisible_to_review() -> None:
    """INVISIBLE is written out by hand (building it at start-up would cost 0.3 s): it must
    hold every character Unicode (as this Python knows it) files as a format character or a
    line or paragraph separator."""
    import re
    import unicodedata

    from reconciler.core.limits import INVISIBLE

    pattern = re.compile(f"[{INVISIBLE}]")
    categories = ("Cf", "Zl", "Zp")
    missing = [
        f"U+{c:04X}"
        for c in range(0x110000)
        if unicodedata.category(chr(c)) in categories and not pattern.match(chr(c))
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("value", "multiline", "problem"),
    [
        ("plain", False, None),
        ("two\nlines", True, None),
        ("two\nlines", False, "holds a line break (U+000A)"),
        ("tab\there", True, None),
        ("tab\there", False, "control character U+0009"),
        ("\x1b[2J", True, "control character U+001B"),
        ("\x85next", True, "holds U+0085"),
        ("a\u2028b", True, "U+2028 LINE SEPARATOR, a line break YAML reads"),
        ("zero\u200bwidth", True, "invisible character U+200B ZERO WIDTH SPACE"),
        ("shy\u00adhyphen", False, "invisible character U+00AD SOFT HYPHEN"),
        ("emoji\ufe0f", True, "U+FE0F VARIATION SELECTOR-16"),
        ("safe \u202eevil", True, "bidirectional control U+202E"),
        ("x" * 11, False, "is 11 characters long; at most 10 are allowed"),
    ],
)
def test_text_problem_names_length_and_control_characters_without_echoing(
    value: str, multiline: bool, problem: str | None
) -> None:
    from reconciler.core.limits import text_problem

    found = text_problem(value, 10, multiline=multiline)
    assert found == problem if problem is None else (found is not None and problem in found)
    if found is not None:
        assert value not in found


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    from reconciler.config.yamlfile import parse_yaml
    from tests.hostile.cases import BOMB

    assert len(BOMB) < 400
    with pytest.raises(ConfigError) as caught:
        parse_yaml(BOMB, "bomb.yaml")
    assert "bomb.yaml:5:8: e[0]: aliases here repeat more than 10,000 values" in str(caught.value)


def test_limits_admit_the_largest_benchmarked_desired_state() -> None:
    """The plan benchmark's 5,000 resources fit every reading limit with room to spare."""
    import sys

    from reconciler.config.yamlfile import parse_yaml
    from reconciler.core.limits import MAX_FILE_BYTES

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from plan_bench import desired_state as benchmark_state

    text = benchmark_state(5_000)
    assert len(text.encode()) < MAX_FILE_BYTES / 2
    assert len(parse_yaml(text, "platform.yaml").data["imports"]) > 1_600
