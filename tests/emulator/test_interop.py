"""One workspace, two doors: what the local provider writes, the SDK reads through the
emulator, and the other way round."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.config.build import import_essence
from reconciler.core.essences import ConnectionEssence, Credentials, Kind
from reconciler.core.vocabulary import MANAGED_BY_TAG, MANAGED_BY_VALUE
from reconciler.imports.base import ImportRequest, ImportResult, ProgressCallback
from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import Emulator
from tests.emulator.conftest import call

PATH = "azureml://datastores/workspaceblobstore/paths/houses"


class FakeRunner:
    """Writes one file; enough for jobs and versions to be recorded."""

    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult:
        (staging_dir / "part-00000.parquet").write_bytes(b"PAR1")
        return ImportResult(rows=3, files=("part-00000.parquet",))

    def check(self, request: ImportRequest) -> None:
        pass


def test_local_writes_are_served_to_the_sdk(
    tmp_path: Path, make_emulator: Any, make_client: Any
) -> None:
    from reconciler.config.model.imports import DatabaseSource, DataImport

    local = LocalWorkspace(tmp_path / "ws", runner_factory=FakeRunner)
    spec = ConnectionEssence(
        type="snowflake",
        target="jdbc:snowflake://acme.snowflakecomputing.com/",
        credentials=Credentials(type="username_password", username="loader"),
        tags={"team": "data"},
    )
    local.put(
        Kind.CONNECTION,
        "sf_conn",
        spec,
        {"credentials.password": "pw"},
        {MANAGED_BY_TAG: MANAGED_BY_VALUE},
    )
    item = DataImport(
        source=DatabaseSource(type="database", connection="sf_conn", query="SELECT 1"), path=PATH
    )
    job = local.materialize("houses", "1", import_essence(item))
    local.close()
    ml = make_client(make_emulator(root=tmp_path / "ws"))

    connection = ml.connections.get("sf_conn")
    assert connection.metadata == {"team": "data", MANAGED_BY_TAG: MANAGED_BY_VALUE}
    assert ml.data.get("houses", version="1").path.endswith("/paths/houses/1/")
    got = ml.jobs.get(job.id)
    assert (got.status, got.properties["azureml.materializationAssetName"]) == (
        "Completed",
        "houses",
    )
    assert [j.name for j in ml.jobs.list(job_type="Pipeline")] == [job.id]


def test_sdk_imports_run_with_an_injected_runner(make_emulator: Any, make_client: Any) -> None:
    from azure.ai.ml.data_transfer import Database
    from azure.ai.ml.entities import DataImport, UsernamePasswordConfiguration, WorkspaceConnection

    emulator: Emulator = make_emulator(runner_factory=FakeRunner)
    ml = make_client(emulator)
    credentials = UsernamePasswordConfiguration(username="u", password="p")
    ml.connections.create_or_update(
        WorkspaceConnection(
            name="sf_conn", type="snowflake", target="jdbc:snowflake://a", credentials=credentials
        )
    )
    source = Database(connection="azureml:sf_conn", query="SELECT 1")

    submitted = ml.data.import_data(
        DataImport(name="houses", path=PATH, source=source, version="7")
    )
    assert emulator.wait_for_jobs(30)

    assert ml.jobs.get(submitted.name).status == "Completed"
    assert [d.version for d in ml.data.list(name="houses")] == ["7"]
    again = ml.data.import_data(DataImport(name="houses", path=PATH, source=source, version="7"))
    assert emulator.wait_for_jobs(30)
    failed = ml.jobs.get(again.name)
    assert failed.status == "Failed"
    assert "houses:7 already exists" in failed.properties["emulator.error"]
    workspace_get = call(emulator, "GET", "?api-version=x")
    assert workspace_get.status == 200
