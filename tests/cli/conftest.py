"""Fixtures shared by the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LOCAL, PLATFORM, local_env, write_project
from tests.snowflake_fixture import LocalSnowflake


@pytest.fixture
def globorealty(tmp_path: Path, local_snowflake: LocalSnowflake) -> Path:
    """The GloboRealty project, its local environment pointing at the session's Snowflake."""
    overlay = LOCAL + (
        f"connections:\n  snowflake_globorealty:\n    target: {local_snowflake.jdbc_target}\n"
    )
    return write_project(
        tmp_path,
        {
            "platform.yaml": PLATFORM,
            "environments/local.yaml": overlay,
            "environments/local.env": local_env(
                user=local_snowflake.username, password=local_snowflake.password
            ),
        },
    )
