"""Reading what jobs and schedules use, in every form Azure ML stores a reference."""

from __future__ import annotations

import pytest

from reconciler.core.references import (
    Form,
    Reference,
    job_usages,
    parse_reference,
    schedule_usages,
    trigger_from_json,
)

ARM = (
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/"
    "workspaces/ws/data/raw_house_data/versions/3"
)


@pytest.mark.parametrize(
    ("text", "form", "version"),
    [
        ("azureml:raw_house_data@latest", Form.LATEST, None),
        ("azureml:raw_house_data", Form.LATEST, None),  # no version: read as the latest
        ("azureml:raw_house_data:3", Form.PINNED, "3"),
        (ARM, Form.PINNED, "3"),  # what azure-ai-ml sends after resolving a label
        ("azureml:" + ARM, Form.PINNED, "3"),
        (
            "azureml://subscriptions/0000/resourcegroups/rg/workspaces/ws/data/raw_house_data/versions/3",
            Form.PINNED,
            "3",
        ),
        (
            "azureml://locations/westeurope/workspaces/abc/data/raw_house_data/versions/3",
            Form.PINNED,
            "3",
        ),
        (
            "azureml://subscriptions/0000/resourcegroups/rg/workspaces/ws/data/raw_house_data/labels/latest",
            Form.LATEST,
            None,
        ),
    ],
)
def test_data_asset_references_in_every_stored_form(
    text: str, form: Form, version: str | None
) -> None:
    assert parse_reference(text) == Reference(form, "raw_house_data", version)


def test_datastore_paths_in_short_and_long_forms_name_the_folder() -> None:
    short = parse_reference("azureml://datastores/rawdata/paths/raw_house_data/3/")
    long = parse_reference(
        "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/rawdata/paths/"
        "raw_house_data/3"
    )
    assert short == long
    assert short is not None and short.form is Form.PATH and short.name == "rawdata"
    assert str(short.folder) == "azureml://datastores/rawdata/paths/raw_house_data/3"


@pytest.mark.parametrize("text", ["https://example.com/x.csv", "./data", "3", "", "wasbs://c@a/x"])
def test_what_is_not_a_workspace_reference_is_ignored(text: str) -> None:
    assert parse_reference(text) is None


def test_a_pipeline_reads_at_its_level_and_per_step_and_skips_bindings_and_outputs() -> None:
    pipeline = {
        "jobType": "Pipeline",
        "inputs": {
            "training": {"jobInputType": "mltable", "uri": "azureml:raw_house_data@latest"},
            "rate": {"jobInputType": "literal", "value": "0.1"},
        },
        "jobs": {
            "train": {
                "inputs": {
                    "data": {"job_input_type": "literal", "value": "${{parent.inputs.training}}"},
                    "extra": {"job_input_type": "uri_folder", "uri": "azureml:lookup:2"},
                },
                "outputs": {
                    "model": {
                        "job_output_type": "uri_folder",
                        "uri": "azureml://datastores/d/paths/m",
                    }
                },
            },
            "ingest": {
                "task": "import_data",
                "source": {"type": "database", "connection": "azureml:snowflake", "query": "Q"},
                "outputs": {"sink": {"uri": "azureml://datastores/rawdata/paths/x/${{name}}"}},
            },
        },
    }
    found = {(u.where, u.parsed.form, u.parsed.name) for u in job_usages(pipeline)}
    assert found == {
        ("inputs.training", Form.LATEST, "raw_house_data"),
        ("jobs.train.inputs.extra", Form.PINNED, "lookup"),
        ("jobs.ingest.source.connection", Form.CONNECTION, "snowflake"),
        ("jobs.ingest.outputs.sink", Form.SINK, "rawdata"),
    }


def test_a_sweep_trial_and_automl_data_are_inputs_too() -> None:
    automl = {"taskDetails": {"trainingData": {"jobInputType": "mltable", "uri": "azureml:d:1"}}}
    assert [u.where for u in job_usages(automl)] == ["taskDetails.trainingData"]


def test_schedules_of_each_action_say_what_they_use() -> None:
    job = {
        "actionType": "CreateJob",
        "jobDefinition": {"inputs": {"x": {"jobInputType": "uri_file", "uri": "azureml:d@latest"}}},
    }
    imports = {
        "actionType": "ImportData",
        "dataImportDefinition": {
            "source": {"connection": "azureml:s3_conn", "sourceType": "file_system"},
            "dataUri": "azureml://datastores/rawdata/paths/listings",
        },
    }
    assert [(u.where, u.parsed.form) for u in schedule_usages(job)] == [
        ("jobDefinition.inputs.x", Form.LATEST)
    ]
    assert [(u.where, u.parsed.form) for u in schedule_usages(imports)] == [
        ("dataImportDefinition.source.connection", Form.CONNECTION),
        ("dataImportDefinition.dataUri", Form.SINK),
    ]


def test_triggers_as_the_service_returns_them() -> None:
    cron = trigger_from_json(
        {"triggerType": "Cron", "expression": "15  10 * * 1", "timeZone": "UTC", "endTime": None}
    )
    assert cron is not None and cron.expression == "15 10 * * 1"
    weekly = trigger_from_json(
        {
            "triggerType": "Recurrence",
            "frequency": "Week",
            "interval": 1,
            "timeZone": "Pacific Standard Time",
            "schedule": {"hours": [10], "minutes": [15], "weekDays": ["Monday"], "monthDays": None},
        }
    )
    assert weekly is not None and weekly.frequency == "week"
    assert weekly.schedule is not None and weekly.schedule.week_days == ["Monday"]
    assert trigger_from_json({"triggerType": "Cron"}) is None
