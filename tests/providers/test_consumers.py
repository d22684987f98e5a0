"""Consumers in plans, against Azure ML (the real azure-ai-ml SDK over HTTPS to the emulator):
jobs and schedules made through the SDK are found by the plan of a query change and of a
datastore delete, with how each reads the data asset and when each schedule runs next.

azure-ai-ml resolves ``raw_house_data@latest`` to the version latest at submission before it
sends a job or a schedule (``_resolve_job_input``), so what its public methods store is pinned;
the consumers that keep the label are made here as a REST client does it: the SDK's own
serialisation of the entity, sent with the SDK's own REST operations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.config import desired_state
from reconciler.core.consumers import ConsumerWindow, Reads
from reconciler.core.plan import Action, Plan
from reconciler.engine import operations
from reconciler.providers.factory import open_workspace
from reconciler.render import markdown, terminal
from reconciler_testing.emulator import FakeCredential
from tests.providers.conftest import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, Harness
from tests.providers.test_contract import GLOBOREALTY, write_globorealty

ENVIRONMENT = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33"
NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # a Wednesday
CHANGED_QUERY = GLOBOREALTY.replace(
    "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW",
    "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW WHERE PRICE > 0",
)
ONLY_THE_CONNECTION = GLOBOREALTY.split("datastores:")[0]


def client() -> Any:
    from azure.ai.ml import MLClient

    return MLClient(FakeCredential(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)


def train_step(path: str | None = None) -> Any:
    from azure.ai.ml import Input, command

    data = Input(type="mltable", path=path) if path else Input(type="mltable")
    return command(
        command="python train.py --data ${{inputs.data}}",
        environment=ENVIRONMENT,
        inputs={"data": data},
        compute="cpu-cluster",
        display_name="train",
    )


def submit_keeping_the_label(ml: Any, name: str, path: str) -> None:
    """A command job whose input keeps ``path`` as written (what a REST client stores)."""
    rest = train_step(path)._to_job()._to_rest_object()
    rest.name = name
    ml.jobs._create_or_update_with_latest_version_api(rest)


def weekly_retrain(ml: Any, name: str, path: str, *, keep_label: bool) -> None:
    """A pipeline schedule (every Monday 10:15 UTC) whose training step reads ``path``."""
    from azure.ai.ml import Input
    from azure.ai.ml.dsl import pipeline
    from azure.ai.ml.entities import CommandComponent, CronTrigger, JobSchedule

    step = CommandComponent(
        name="train",
        version="1",
        command="python train.py --data ${{inputs.data}}",
        environment=ENVIRONMENT,
        inputs={"data": Input(type="mltable")},
    )
    component = ml.components.create_or_update(step)

    @pipeline(None, default_compute="cpu-cluster")
    def retrain(training_data):  # type: ignore[no-untyped-def]  # the DSL reads annotations
        component(data=training_data)

    job = retrain(training_data=Input(type="mltable", path=path))
    trigger = CronTrigger(expression="15 10 * * 1", time_zone="UTC")
    schedule = JobSchedule(name=name, trigger=trigger, create_job=job)
    if not keep_label:
        ml.schedules.begin_create_or_update(schedule).result()
        return
    ml.schedules.service_client.begin_create_or_update(
        resource_group_name=RESOURCE_GROUP,
        workspace_name=WORKSPACE,
        name=name,
        body=schedule._to_rest_object(),
    ).result()


def plan_with_consumers(h: Harness, prune: bool = False) -> Plan:
    desired = desired_state(h.root, "test")
    workspace = open_workspace(desired.workspace, credential=h.credential())
    window = ConsumerWindow(days=30, jobs=200)
    made = operations.plan(desired, workspace, prune=prune, consumers=window, now=NOW)
    return made.plan


def consumers_of(plan: Plan, address: str) -> dict[str, tuple[str, str | None, str | None]]:
    change = next(c for c in plan.resource_changes if c.address == address)
    return {c.address: (c.reads.value, c.version, c.next_run) for c in change.consumers}


@pytest.fixture
def consumers(harness: Harness) -> Harness:
    """raw_house_data imported (version 1), then read by a command job and a pipeline schedule
    keeping ``@latest``, a job pinned to version 1, and a schedule the SDK pinned."""
    write_globorealty(harness)
    assert harness.apply().ok
    ml = client()
    submit_keeping_the_label(ml, "train_on_latest", "azureml:raw_house_data@latest")
    pinned = train_step("azureml:raw_house_data:1")
    pinned.name = "train_on_v1"
    ml.jobs.create_or_update(pinned)
    weekly_retrain(ml, "weekly_retrain", "azureml:raw_house_data@latest", keep_label=True)
    weekly_retrain(ml, "sdk_retrain", "raw_house_data@latest", keep_label=False)
    return harness


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_a_query_change_lists_who_reads_the_asset_and_how(consumers: Harness) -> None:
    consumers.write(CHANGED_QUERY)
    plan = plan_with_consumers(consumers)

    assert consumers_of(plan, "import.raw_house_data") == {
        "schedule.weekly_retrain": ("latest", None, "2026-12-14T10:15+00:00"),
        # azure-ai-ml resolved @latest to version 1 when it saved the schedule
        "schedule.sdk_retrain": ("version", "1", "2026-12-14T10:15+00:00"),
        "job.train_on_v1": ("version", "1", None),
        "job.train_on_latest": ("latest", None, None),
    }
    text = terminal.render_plan(plan)
    assert (
        "schedule.weekly_retrain (Pipeline, next run 2026-12-14T10:15+00:00) reads "
        "azureml:raw_house_data@latest: takes version 2 on its next run" in text
    )
    assert "version 2 does not reach it" in text
    comment = markdown.render_plan(plan)
    fold = comment.index("<details>")
    assert comment.index("`schedule.weekly_retrain`") < fold  # above the fold
    assert "```mermaid" in comment[:fold]


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_deleting_the_datastore_lists_everyone_reading_data_stored_on_it(
    consumers: Harness,
) -> None:
    consumers.write(ONLY_THE_CONNECTION)
    plan = plan_with_consumers(consumers, prune=True)

    delete = next(c for c in plan.resource_changes if c.address == "datastore.rawdata")
    assert delete.action is Action.DELETE
    assert {c.address: c.reads for c in delete.consumers} == {
        "schedule.weekly_retrain": Reads.LATEST,
        "schedule.sdk_retrain": Reads.PINNED,
        "job.train_on_v1": Reads.PINNED,
        "job.train_on_latest": Reads.LATEST,
    }
    archive = next(c for c in plan.resource_changes if c.address == "import.raw_house_data")
    assert archive.action is Action.ARCHIVE and len(archive.consumers) == 4


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_the_provider_reads_recent_jobs_newest_first_and_no_more_than_asked(
    consumers: Harness,
) -> None:
    workspace = consumers.workspace()
    found = workspace.list_consumers(datetime(2000, 1, 1, tzinfo=UTC), 2)
    assert [j.name for j in found.jobs] == ["train_on_v1", "train_on_latest"]
    assert {s.name for s in found.schedules} == {
        "raw_house_data-schedule",
        "weekly_retrain",
        "sdk_retrain",
    }
    assert workspace.list_consumers(NOW.replace(year=2030), 200).jobs == ()
