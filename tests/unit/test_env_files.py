"""``env_file`` as a list: later files override earlier ones, optional files may be missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.core.errors import ConfigError
from tests.conftest import PLATFORM, local_env, write_project

PORT_PLATFORM = PLATFORM.replace(
    "${SNOWFLAKE_ACCOUNT}.snowflakecomputing.com", "127.0.0.1:${LOCALSNOW_PORT}"
)


def make(tmp_path: Path, env_file: str, **files: str) -> Path:
    overlay = f"{env_file}\nworkspace:\n  provider: local\n  path: .reconcile/local\n"
    return write_project(
        tmp_path,
        {
            "platform.yaml": PORT_PLATFORM,
            "environments/local.yaml": overlay,
            "environments/local.env": local_env() + "LOCALSNOW_PORT=8765\n",
            **files,
        },
    )


def target(tmp_path: Path) -> str:
    return load(tmp_path).platform.connections["snowflake_globorealty"].target_value


def problems(tmp_path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path)
    return str(caught.value)


LIST = """\
env_file:
  - environments/local.env
  - {path: .reconcile/snowflake/server.env, optional: true}"""


def test_a_later_env_file_overrides_an_earlier_one(tmp_path: Path) -> None:
    make(tmp_path, LIST, **{".reconcile/snowflake/server.env": "LOCALSNOW_PORT=40123\n"})

    assert target(tmp_path).startswith("jdbc:snowflake://127.0.0.1:40123/")


def test_a_missing_optional_env_file_is_skipped(tmp_path: Path) -> None:
    make(tmp_path, LIST)

    assert target(tmp_path).startswith("jdbc:snowflake://127.0.0.1:8765/")


def test_the_process_environment_wins_over_every_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, LIST, **{".reconcile/snowflake/server.env": "LOCALSNOW_PORT=40123\n"})
    monkeypatch.setenv("LOCALSNOW_PORT", "9999")

    assert target(tmp_path).startswith("jdbc:snowflake://127.0.0.1:9999/")


def test_a_missing_env_file_that_is_not_optional_is_located_at_its_entry(tmp_path: Path) -> None:
    make(tmp_path, "env_file:\n  - environments/local.env\n  - environments/extra.env")

    assert problems(tmp_path).splitlines()[1:] == [
        "  environments/local.yaml:3:5: env_file[1]: 'environments/extra.env' does not exist",
        "    hint: fix the path, remove it from env_file, or mark it "
        "{path: environments/extra.env, optional: true} if a tool writes it",
    ]


def test_an_optional_env_file_must_still_stay_inside_the_project(tmp_path: Path) -> None:
    make(
        tmp_path,
        "env_file:\n  - environments/local.env\n  - {path: ../outside.env, optional: true}",
    )

    assert "environments/local.yaml:3:6: env_file[1].path: must stay inside the project: '..'" in (
        problems(tmp_path)
    )


def test_every_env_file_problem_is_reported_at_once(tmp_path: Path) -> None:
    make(
        tmp_path,
        "env_file:\n  - /etc/hostname\n  - environments/local.env\n  - nowhere.env",
    )

    found = problems(tmp_path)

    assert "environments/local.yaml:2:5: env_file[0]: must stay inside the project" in found
    assert "environments/local.yaml:4:5: env_file[2]: 'nowhere.env' does not exist" in found


@pytest.mark.parametrize(
    ("env_file", "expected"),
    [
        (
            "env_file: 42",
            "environments/local.yaml:1:1: env_file: expected a path, or a list of paths and "
            "{path, optional} mappings",
        ),
        (
            "env_file:\n  - environments/local.env\n  - [nested]",
            "environments/local.yaml:3:5: env_file[1]: expected a path, or a mapping such as "
            "{path: FILE, optional: true}",
        ),
        (
            "env_file:\n  - {path: environments/local.env, optinal: true}",
            "environments/local.yaml:2:36: env_file[0].optinal: unknown field",
        ),
        (
            "env_file:\n  - {optional: true}",
            "environments/local.yaml:2:5: env_file[0].path: required field is missing",
        ),
        ("env_file: ''", "environments/local.yaml:1:1: env_file: the path is empty"),
        (
            "env_file:\n  - {path: environments/local.env, optional: maybe}",
            "environments/local.yaml:2:36: env_file[0].optional: expected true or false",
        ),
    ],
)
def test_a_malformed_env_file_is_located(tmp_path: Path, env_file: str, expected: str) -> None:
    make(tmp_path, env_file)

    assert expected in problems(tmp_path)


def test_an_optional_env_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    make(tmp_path, LIST)
    server_env = tmp_path / ".reconcile/snowflake/server.env"
    server_env.parent.mkdir(parents=True)
    server_env.write_bytes(b"LOCALSNOW_PORT=caf\xe9\n")

    assert ".reconcile/snowflake/server.env:1:19: is not UTF-8" in problems(tmp_path)
