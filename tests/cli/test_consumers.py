"""Consumers on the embedded workspace, as a local user sees them: jobs and schedules written
through the emulator's API into the workspace's store are listed by ``reconcile plan`` (text,
markdown, JSON), and ``--no-consumers``, ``--consumer-jobs`` and ``settings.consumers``
choose whether and how far back it looks."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler_testing.emulator import Emulator
from tests.cli.test_end_to_end import edit
from tests.conftest import RunCli
from tests.emulator.conftest import call

COMMAND = {
    "jobType": "Command",
    "command": "python train.py --data ${{inputs.data}}",
    "environmentId": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33",
    "computeId": "cpu-cluster",
    "inputs": {"data": {"jobInputType": "mltable", "uri": "azureml:raw_house_data@latest"}},
}
SCHEDULE = {
    "trigger": {"triggerType": "Cron", "expression": "15 10 * * 1", "timeZone": "UTC"},
    "action": {
        "actionType": "CreateJob",
        "jobDefinition": {
            "jobType": "Pipeline",
            "inputs": {"training": {"jobInputType": "mltable", "uri": "azureml:raw_house_data:1"}},
            "jobs": {},
        },
    },
}


def consumers_written_through_the_emulator(project: Path) -> None:
    with Emulator(project / ".reconcile/local", lro="sync") as emulator:
        assert call(emulator, "PUT", "/jobs/train_latest", {"properties": COMMAND}).status == 201
        assert call(emulator, "PUT", "/schedules/nightly", {"properties": SCHEDULE}).status == 201
        job = call(emulator, "GET", "/jobs/train_latest").body
        assert job["properties"]["status"] == "Queued"  # kept, never run


def test_a_local_plan_lists_consumers_the_emulator_stored(
    globorealty: Path, invoke: RunCli
) -> None:
    assert invoke("apply", "--auto-approve", cwd=globorealty).code == 0
    consumers_written_through_the_emulator(globorealty)
    edit(globorealty, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE BEDROOMS >= 3")

    text = invoke("plan", cwd=globorealty)
    assert text.code == 0, text.output
    assert "# consumers (schedules; jobs of the last 30 days, at most 200):" in text.stdout
    assert "schedule.nightly (Pipeline, next run " in text.stdout
    assert "reads azureml:raw_house_data:1 (version 1): pinned: version 2 does not reach it" in (
        text.stdout
    )
    assert "job.train_latest (Command, Queued, " in text.stdout
    assert "read azureml:raw_house_data@latest: a re-run would take version 2" in text.stdout

    doc = json.loads(invoke("plan", "--format", "json", cwd=globorealty).stdout)
    (change,) = [c for c in doc["resource_changes"] if c["address"] == "import.raw_house_data"]
    assert [(c["kind"], c["name"], c["reads"]) for c in change["consumers"]] == [
        ("schedule", "nightly", "version"),
        ("job", "train_latest", "latest"),
    ]
    assert doc["consumer_window"] == {"days": 30, "jobs": 200}

    none = invoke("plan", "--no-consumers", cwd=globorealty)
    assert "consumers" not in none.stdout
    schedules_only = invoke("plan", "--consumer-jobs", "0", cwd=globorealty)
    assert "schedule.nightly" in schedules_only.stdout
    assert "job.train_latest" not in schedules_only.stdout


def test_settings_turn_consumers_off_and_the_flag_back_on(
    globorealty: Path, invoke: RunCli
) -> None:
    assert invoke("apply", "--auto-approve", cwd=globorealty).code == 0
    consumers_written_through_the_emulator(globorealty)
    edit(globorealty, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE BEDROOMS >= 3")
    platform = globorealty / "platform.yaml"
    platform.write_text(platform.read_text() + "settings:\n  consumers: {enabled: false}\n")

    assert "schedule.nightly" not in invoke("plan", cwd=globorealty).stdout
    assert "schedule.nightly" in invoke("plan", "--consumers", cwd=globorealty).stdout
