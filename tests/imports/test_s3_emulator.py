"""An azure-ai-ml user's S3 file import, run by the Azure ML emulator against the local S3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler_testing.emulator import Emulator, FakeCredential
from tests.emulator.test_imports import wait_for
from tests.s3_fixture import LocalS3

SUB, RG, WS = "11111111-2222-3333-4444-555555555555", "rg-s3-tests", "ws-s3-tests"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    running = Emulator(
        tmp_path / "workspace", subscription_id=SUB, resource_group=RG, workspace_name=WS
    ).start()
    yield running
    running.stop()


@pytest.fixture
def ml(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    import azure.ai.ml as azure_ml

    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")
    return azure_ml.MLClient(FakeCredential(), SUB, RG, WS, enable_telemetry=False)


def test_an_sdk_file_import_from_s3_copies_the_files(
    ml: Any, emulator: Emulator, local_s3: LocalS3
) -> None:
    from azure.ai.ml.data_transfer import FileSystem
    from azure.ai.ml.entities import AccessKeyConfiguration, DataImport, WorkspaceConnection

    credentials = AccessKeyConfiguration(
        access_key_id=local_s3.access_key_id, secret_access_key=local_s3.secret_access_key
    )
    connection = WorkspaceConnection(
        name="s3_globorealty", type="s3", target=local_s3.target(), credentials=credentials
    )
    ml.connections.create_or_update(connection)
    source = FileSystem(connection="azureml:s3_globorealty", path="listings/*")
    path = "azureml://datastores/workspaceblobstore/paths/listing_files"
    submitted = ml.data.import_data(DataImport(name="listing_files", path=path, source=source))

    job = wait_for(ml, submitted.name)
    assert job.status == "Completed"
    version = ml.data.get("listing_files", label="latest")
    assert (version.version, version.type) == ("1", "uri_folder")
    files = emulator.root / "datastores/workspaceblobstore/listing_files" / job.name  # ${{name}}
    assert sorted(p.relative_to(files).as_posix() for p in files.rglob("*") if p.is_file()) == [
        k.removeprefix("listings/") for k in sorted(local_s3.objects)
    ]
