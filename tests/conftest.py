"""Shared fixtures: build a project folder from inline YAML, run the real CLI."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["tests.snowflake_fixture", "tests.azurite_fixture", "tests.s3_fixture"]

DEMO_PASSWORD = "pw-Zq81-unit-test-secret"
DEMO_KEY = "key-Hh42-unit-test-account-key"

PLATFORM = """\
default_environment: local
connections:
  snowflake_globorealty:
    type: snowflake
    target: jdbc:snowflake://${SNOWFLAKE_ACCOUNT}.snowflakecomputing.com/?db=GLOBOREALTY&warehouse=WH
    credentials:
      type: username_password
      username: ${SNOWFLAKE_USER}
      password: ${env:SNOWFLAKE_PASSWORD}
datastores:
  rawdata:
    type: azure_blob
    account_name: globorealtydata
    container_name: rawdata
    credentials:
      account_key: ${env:STORAGE_ACCOUNT_KEY}
imports:
  raw_house_data:
    source:
      type: database
      connection: azureml:snowflake_globorealty
      query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW
    path: azureml://datastores/rawdata/paths/raw_house_data
"""

LOCAL = """\
env_file: environments/local.env
workspace:
  provider: local
  path: .reconcile/local
"""


def local_env(password: str = DEMO_PASSWORD, key: str = DEMO_KEY, user: str = "globorealty") -> str:
    return (
        f"SNOWFLAKE_ACCOUNT=acme\nSNOWFLAKE_USER={user}\nSNOWFLAKE_PASSWORD={password}\n"
        f"STORAGE_ACCOUNT_KEY={key}\n"
    )


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` (dedented) under ``root``; return ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The GloboRealty project with a local environment (Snowflake target not reachable)."""
    return write_project(
        tmp_path,
        {
            "platform.yaml": PLATFORM,
            "environments/local.yaml": LOCAL,
            "environments/local.env": local_env(),
        },
    )


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


RunCli = Callable[..., Result]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run ``reconcile ARGS`` in this process through ``main(argv)``: the same exit code and
    output as the real command, without paying for a new interpreter and its imports. Use
    `run_cli` (a real process) only where the process matters (signals, --help start-up)."""

    def run(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "") -> Result:
        from reconciler.cli import main

        with monkeypatch.context() as patch:
            for key in [k for k in os.environ if k.startswith("SNOWFLAKE_")]:
                patch.delenv(key)
            for key, value in {"NO_COLOR": "1", "COLUMNS": "120", **(env or {})}.items():
                patch.setenv(key, value)
            patch.chdir(cwd)
            out, err = io.StringIO(), io.StringIO()
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            code = 0
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main(list(args))
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return Result(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def run_cli() -> RunCli:
    """Run ``reconcile ARGS`` as a user would: a real process, its exit code and output."""

    def run(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "") -> Result:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SNOWFLAKE_")}
        environment.update({"NO_COLOR": "1", "COLUMNS": "120"})
        environment.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=cwd,
            env=environment,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run
