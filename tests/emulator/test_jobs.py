"""Jobs and job schedules the emulator keeps but never runs, through the real SDK: a command job
answers as the recorded service does (``Starting``, then ``Queued``) and runs nothing; a
pipeline schedule with a registered component is stored verbatim and listed beside import
schedules; and neither disturbs what reconciler reads of the workspace."""

from __future__ import annotations

from typing import Any

from reconciler.core.essences import Kind
from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import Emulator
from tests.emulator.conftest import call
from tests.emulator.test_schedules import cron

ENVIRONMENT = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33"
DATA = "azureml://datastores/workspaceblobstore/paths/houses/"


def training(path: str = DATA) -> Any:
    from azure.ai.ml import Input, command

    return command(
        command="python train.py --data ${{inputs.data}}",
        environment=ENVIRONMENT,
        inputs={"data": Input(type="uri_folder", path=path)},
        compute="cpu-cluster",
        display_name="train",
    )


def test_a_command_job_is_kept_queued_and_nothing_runs(ml: Any, emulator: Emulator) -> None:
    submitted = ml.jobs.create_or_update(training())

    assert submitted.status == "Starting"  # the PUT's answer, as recorded
    again = ml.jobs.get(submitted.name)
    assert again.status == "Queued"  # and afterwards: no compute will take it
    assert again.inputs["data"].path == DATA
    listed = [j.name for j in ml.jobs.list()]
    assert submitted.name in listed
    assert emulator.jobs is not None and emulator.jobs.wait(timeout=5)  # no thread started
    raw = call(emulator, "GET", f"/jobs/{submitted.name}").body["properties"]
    assert raw["outputs"]["default"]["uri"].endswith(f"/ExperimentRun/dcid.{submitted.name}")


def test_a_pipeline_schedule_is_stored_as_sent_and_listed_with_import_schedules(
    ml: Any, emulator: Emulator
) -> None:
    from azure.ai.ml import Input
    from azure.ai.ml.dsl import pipeline
    from azure.ai.ml.entities import CommandComponent, CronTrigger, JobSchedule

    step = ml.components.create_or_update(
        CommandComponent(
            name="train",
            version="1",
            command="python train.py --data ${{inputs.data}}",
            environment=ENVIRONMENT,
            inputs={"data": Input(type="uri_folder")},
        )
    )

    @pipeline(None, default_compute="cpu-cluster")
    def retrain(training_data):  # type: ignore[no-untyped-def]  # the DSL reads annotations
        step(data=training_data)

    job = retrain(training_data=Input(type="uri_folder", path=DATA))
    trigger = CronTrigger(expression="15 10 * * 1", time_zone="UTC")
    ml.schedules.begin_create_or_update(
        JobSchedule(name="weekly", trigger=trigger, create_job=job)
    ).result()
    ml.schedules.begin_create_or_update(cron()).result()

    weekly = ml.schedules.get("weekly")
    assert weekly.create_job.inputs["training_data"].path == DATA
    assert sorted(s.name for s in ml.schedules.list()) == ["nightly", "weekly"]
    stored = call(emulator, "GET", "/schedules/weekly").body["properties"]["action"]
    assert stored["jobDefinition"]["status"] == "NotStarted"
    # the embedded workspace models import schedules only; the job schedule is a consumer
    local = LocalWorkspace(emulator.root)
    assert [r.name for r in local.list_resources(Kind.SCHEDULE)] == ["nightly"]


def test_other_schedule_actions_and_job_types_are_refused_with_the_service_s_400(
    emulator: Emulator,
) -> None:
    monitor = {"properties": {"action": {"actionType": "CreateMonitor"}, "trigger": {}}}
    assert call(emulator, "PUT", "/schedules/watch", monitor).status == 400
    unknown = {"properties": {"jobType": "Quantum"}}
    answer = call(emulator, "PUT", "/jobs/q1", unknown)
    assert answer.status == 400 and "Quantum" in answer.body["error"]["message"]
