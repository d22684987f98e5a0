"""Schedules as Azure ML accepts them: cron fields and ranges, recurrence values, Windows time
zone names; `reconcile status` says when each import next runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.core.timezones import AZURE_TIME_ZONES
from tests.conftest import LOCAL, RunCli, local_env, write_project
from tests.snowflake_fixture import LocalSnowflake

SCHEDULED = """\
connections:
  snowflake_globorealty:
    type: snowflake
    target: TARGET
    credentials: {type: username_password, username: USER, password: '${env:SNOWFLAKE_PASSWORD}'}
imports:
  raw_house_data:
    source:
      type: database
      connection: snowflake_globorealty
      query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW
    path: azureml://datastores/workspaceblobstore/paths/raw_house_data
    schedule:
      trigger: TRIGGER
"""


def project(tmp_path: Path, trigger: str, target: str = "jdbc:snowflake://a.snowflakecomputing.com/",
            user: str = "u", password: str = "pw-Zq81-unit-test-secret") -> Path:  # fmt: skip
    text = SCHEDULED.replace("TRIGGER", trigger).replace("TARGET", target).replace("USER", user)
    return write_project(
        tmp_path,
        {
            "platform.yaml": text,
            "environments/local.yaml": LOCAL,
            "environments/local.env": local_env(password=password),
        },
    )


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ('{type: cron, expression: "30 25 * * *"}', "cron field 2, hour (0-23), cannot be '25'"),
        ('{type: cron, expression: "0 3 * *"}', "a cron expression has 5 fields"),
        ('{type: cron, expression: "0 3 * * 9"}', "cron field 5, weekday (0-6), cannot be '9'"),
        (
            '{type: cron, expression: "0 3 * * *", time_zone: Europe/Amsterdam}',
            "write 'W. Europe Standard Time' for 'Europe/Amsterdam'",
        ),
        (
            '{type: cron, expression: "0 3 * * *", time_zone: Mars/Olympus}',
            "'Mars/Olympus' is not a time zone Azure ML schedules accept",
        ),
        ("{type: recurrence, frequency: fortnight, interval: 1}", "frequency"),
        ("{type: recurrence, frequency: day, interval: 0}", "interval"),
        ("{type: recurrence, frequency: day, interval: 1, schedule: {hours: [25]}}", "hours"),
        (
            '{type: cron, expression: "0 3 * * *", start_time: "tomorrow"}',
            "start_time is an ISO 8601 time",
        ),
    ],
)
def test_a_trigger_azure_ml_would_refuse_is_a_located_error(
    tmp_path: Path, invoke: RunCli, trigger: str, message: str
) -> None:
    result = invoke("validate", cwd=project(tmp_path, trigger))
    assert result.code == 1, result.output
    assert "platform.yaml:13:" in result.stderr or "platform.yaml:14:" in result.stderr
    assert "imports.raw_house_data.schedule.trigger" in result.stderr
    assert message in result.stderr


def test_status_says_when_each_import_runs_next(
    tmp_path: Path, invoke: RunCli, local_snowflake: LocalSnowflake
) -> None:
    folder = project(
        tmp_path,
        '{type: cron, expression: "0 3 * * *", time_zone: W. Europe Standard Time}',
        target=local_snowflake.jdbc_target,
        user=local_snowflake.username,
        password=local_snowflake.password,
    )
    assert invoke("apply", "--auto-approve", cwd=folder).code == 0
    status = invoke("status", cwd=folder)
    assert status.code == 0, status.output
    assert "NEXT RUN" in status.stdout
    assert "cron '0 3 * * *' W. Europe Standard Time" in status.stdout
    assert "T03:00+01:00" in status.stdout


def test_the_time_zones_are_the_sdks() -> None:
    from azure.ai.ml.constants import TimeZone

    assert set(AZURE_TIME_ZONES) == {zone.value for zone in TimeZone}
