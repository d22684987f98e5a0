"""The Azure provider end to end: cross-checks with the embedded provider on one store, the
recorded real workspace, transient faults, and the CLI against `reconcile emulator`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import desired_state
from reconciler.core.errors import ConfigError
from reconciler.core.essences import Kind
from reconciler.engine.planner import build_plan
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import RunCli, write_project
from tests.emulator.conftest import call
from tests.providers.conftest import HMAC_KEY, KEY_SETTING, Harness
from tests.providers.test_contract import write_globorealty
from tests.snowflake_fixture import LocalSnowflake

RECORDINGS = Path(__file__).resolve().parents[1] / "emulator" / "recordings"


def local_plan_on(root: Path) -> Any:
    """Plan the harness's desired state with the embedded provider on the emulator's store."""
    overlay = root / "environments/test.yaml"
    saved = overlay.read_text()
    overlay.write_text(
        KEY_SETTING + "env_file: environments/test.env\nworkspace: {provider: local, path: ws}\n"
    )
    try:
        desired = desired_state(root, "test")
        return build_plan(desired, LocalWorkspace(root / "ws", label="ws"))
    finally:
        overlay.write_text(saved)


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_applied_through_azure_the_embedded_provider_plans_no_changes(harness: Harness) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    plan = local_plan_on(harness.root)
    assert not plan.has_changes, [(c.address, c.fields) for c in plan.resource_changes if c.fields]


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_applied_locally_the_azure_provider_plans_no_changes(harness: Harness) -> None:
    write_globorealty(harness)
    overlay = harness.root / "environments/test.yaml"
    azure = overlay.read_text()
    overlay.write_text(
        KEY_SETTING + "env_file: environments/test.env\nworkspace: {provider: local, path: ws}\n"
    )
    assert harness.apply().ok  # through the embedded provider, on the emulator's store
    overlay.write_text(azure)
    plan = harness.plan()
    assert not plan.has_changes, [(c.address, c.fields) for c in plan.resource_changes if c.fields]


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_a_recorded_real_workspace_plans_cleanly(harness: Harness, emulator: Any) -> None:
    from reconciler_testing.emulator import seed_from_recordings

    counts = seed_from_recordings(emulator.root, sorted(RECORDINGS.glob("*.json")))
    assert counts["connection"] >= 1 and counts["datastore"] >= 4 and counts["data_version"] >= 1
    harness.write("{}\n")
    plan = harness.plan(prune=True)
    assert plan.resource_changes == ()
    ignored = {i.address: i.reason for i in plan.ignored}
    assert ignored["datastore.workspaceblobstore"] == "system resource"
    assert any(a.startswith("connection.") for a in ignored)
    assert set(ignored.values()) <= {"system resource", "not managed by reconciler"}
    names = {v for v in _recorded_data_names()}
    assets = harness.workspace().list_assets(names)
    paths = [v.path for a in assets for v in a.versions]
    assert sorted(paths) == ["http://bla/", "https://bla/"]  # the recorded versions' URIs


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_long_data_uri_forms_read_back_in_the_short_form(harness: Harness, emulator: Any) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    (asset,) = harness.workspace().list_assets(["raw_house_data"])
    (job,) = asset.jobs  # the service writes each run to <path>/<job name>
    assert [v.path for v in asset.versions] == [
        f"azureml://datastores/rawdata/paths/raw_house_data/{job.id}"
    ]


def _recorded_data_names() -> set[str]:
    text = (RECORDINGS / "data-list.json").read_text()
    return set(re.findall(r"/data/([A-Za-z0-9_.-]+)/versions", text))


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_with_20_percent_transient_faults_apply_converges(harness: Harness, emulator: Any) -> None:
    write_globorealty(harness)
    emulator.set_faults(0.2, seed=7)
    result = harness.apply()
    assert result.ok, result.results
    assert emulator.stats()["faults"]["total"] > 0
    assert not harness.plan().has_changes
    emulator.set_faults(0.0)


def test_the_cli_plans_and_applies_dev_against_reconcile_emulator(
    tmp_path: Path, local_snowflake: LocalSnowflake
) -> None:
    """The acceptance run: `reconcile emulator`, its printed variables (the apply lock's
    storage among them: no Azurite, no --no-lock), `plan --env dev`, `apply`, `plan`."""
    root = Path(__file__).resolve().parents[2]
    project = write_project(
        tmp_path / "project",
        {
            "platform.yaml": (root / "platform.yaml").read_text(),
            "environments/dev.yaml": (root / "environments/dev.yaml").read_text()
            + "connections:\n  snowflake_globorealty:\n"
            f"    target: {local_snowflake.jdbc_target}\n",
        },
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "--dir",
            str(tmp_path / "ws"),
            "--subscription",
            "sub-dev",
            "--resource-group",
            "rg-globorealty-dev",
            "--workspace",
            "mlw-globorealty-dev",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        env = dict(os.environ)
        assert server.stdout is not None
        while True:
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else "emulator exited"
            for name, value in re.findall(r"(\w+)=('[^']*'|\S+)", line.removeprefix("export ")):
                if line.startswith("export "):
                    env[name] = value.strip("'")
            if "Ctrl-C" in line:
                break
        assert env["RECONCILER_BLOB_URL"].endswith("/localworkspace")
        env.update(
            AZURE_SUBSCRIPTION_ID="sub-dev",
            SNOWFLAKE_ACCOUNT="unused",
            SNOWFLAKE_USER=local_snowflake.username,
            SNOWFLAKE_PASSWORD=local_snowflake.password,
            STORAGE_ACCOUNT="globorealtydev",
            STORAGE_ACCOUNT_KEY="dev-account-key",
            RECONCILER_HMAC_KEY=HMAC_KEY,
            NO_COLOR="1",
        )

        def reconcile(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "reconciler", *args],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )

        first = reconcile("plan", "--env", "dev", "--detailed-exitcode")
        assert first.returncode == 2, first.stdout + first.stderr
        assert "Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy." in first.stdout
        applied = reconcile("apply", "--env", "dev", "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        again = reconcile("plan", "--env", "dev", "--detailed-exitcode")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "dev-account-key" not in first.stdout + applied.stdout + again.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_a_lost_submit_answer_starts_no_second_import(harness: Harness, emulator: Any) -> None:
    """The service takes the import but its answer never arrives, four times running:
    azure-core retries three times, then the provider retries the submit itself. The job name
    is the same every time, so the retries find the first job instead of starting others."""
    write_globorealty(harness)
    emulator.set_faults(1.0, ("lost",), routes=("PUT /jobs/{name}",), limit=4)

    result = harness.apply()

    assert result.ok, result.results
    assert emulator.stats()["faults"]["lost"] == 4
    jobs = call(emulator, "GET", "/jobs?api-version=2024-01-01-preview&jobType=Pipeline").body
    assert [
        j["properties"]["properties"]["azureml.materializationAssetName"] for j in jobs["value"]
    ] == ["raw_house_data"]
    assert not harness.plan().has_changes


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_unrelated_pipeline_jobs_are_never_read(harness: Harness, emulator: Any) -> None:
    write_globorealty(harness)
    assert harness.apply().ok
    seed_pipeline_jobs(emulator.workspace.store, 300)

    emulator.reset_stats()
    assert not harness.plan().has_changes

    assert emulator.stats()["routes"]["GET /jobs"] == 1  # one page: the service filtered


def seed_pipeline_jobs(store: Any, count: int) -> None:
    """``count`` finished pipeline jobs that are not imports, written as the service's history."""
    import json

    body = {"rest": {"properties": {"jobType": "Pipeline", "properties": {}, "tags": {}}}}
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO jobs (id, asset, version, body, status, created_at) "
            "VALUES (?, '', '', ?, 'Completed', '2024-01-01T00:00:00.000Z')",
            [(f"train_{i:06d}", json.dumps(body)) for i in range(count)],
        )


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_writing_a_schedule_prints_nothing_of_the_sdks(
    harness: Harness, capfd: pytest.CaptureFixture[str]
) -> None:
    """azure-ai-ml's own poller prints a dot per poll; reconciler's output stays its own."""
    write_globorealty(harness)
    assert harness.apply().ok
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_apply_through_azure_writes_no_secret_into_metadata(
    harness: Harness, emulator: Any, invoke: RunCli, tmp_path: Path
) -> None:
    """A secret that would reach what apply writes beside a resource (here provenance from the
    CI environment) stops apply before its first request that writes."""
    key = "account-key-Pq52-never-in-clear"
    write_globorealty(harness, STORAGE_ACCOUNT_KEY=key)
    ci = {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": key, "GITHUB_REPOSITORY": "o/r"}

    result = invoke("apply", "--auto-approve", "--env", "test", cwd=harness.root, env=ci)

    assert result.code == 1, result.output
    assert "refusing to apply: a secret's value would be written in clear" in result.stderr
    assert "datastore.rawdata: tag reconciler.made-by.by" in result.stderr
    assert key not in result.output
    workspace = harness.workspace()
    assert [r for k in Kind for r in workspace.list_resources(k) if not r.system] == []
    stored = [p for p in (tmp_path / "ws").rglob("*") if p.is_file()]
    assert stored and all(key.encode() not in p.read_bytes() for p in stored)


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_hand_made_data_at_or_around_the_target_is_refused_at_plan(
    harness: Harness, emulator: Any
) -> None:
    """Data assets registered by hand (any tool, no reconciler tags), one archived, are read
    with one list of names and a version list each, and refuse an import into their folders."""
    api = "api-version=2023-04-01-preview"
    for name, folder in (("notes", "raw_house_data/notes"), ("everything", "")):
        body = {
            "properties": {
                "dataUri": f"azureml://datastores/rawdata/paths/{folder}",
                "dataType": "uri_folder",
            }
        }
        assert call(emulator, "PUT", f"/data/{name}/versions/3?{api}", body).status == 201
    archived = {"properties": {"isArchived": True}}
    assert call(emulator, "PUT", f"/data/everything?{api}", archived).status == 200
    write_globorealty(harness)
    with pytest.raises(ConfigError) as refused:
        harness.plan()
    (problem,) = refused.value.problems
    assert problem.path == "imports.raw_house_data.path"
    assert problem.message.startswith(
        "azureml://datastores/rawdata/paths/raw_house_data overlaps the data of data asset "
        "everything version 3, stored at azureml://datastores/rawdata/paths/ and 1 more"
    )
