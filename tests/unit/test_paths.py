"""Datastore paths cannot escape: refused at validate, and every embedded write stays inside the
workspace folder whatever a client (the CLI, or an SDK request to the emulator) sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.core.errors import ConfigError
from reconciler.core.essences import ImportEssence, Source, fingerprint
from reconciler.imports.base import ImportRequest, ImportResult, ProgressCallback
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import LOCAL, PLATFORM, local_env, write_project

ESCAPES = [
    "../../../../victim",
    "raw/../../victim",
    "%2e%2e/%2e%2e/victim",
    "%252e%252e/victim",
    "raw%2f..%2f..%2fvictim",
    "raw\\..\\..\\victim",
    "./raw",
    "raw//x",
    "C:/Windows",
    "raw/\x01x",
]


@pytest.mark.parametrize("folder", ESCAPES)
def test_an_escaping_import_path_is_a_located_error_at_validate(
    tmp_path: Path, folder: str
) -> None:
    platform = PLATFORM.replace(
        "path: azureml://datastores/rawdata/paths/raw_house_data",
        "path: " + json.dumps("azureml://datastores/rawdata/paths/" + folder),
    )
    write_project(
        tmp_path,
        {"platform.yaml": platform, "environments/local.yaml": LOCAL},
    )
    (tmp_path / "environments/local.env").write_text(local_env())

    with pytest.raises(ConfigError) as caught:
        load(tmp_path)

    message = str(caught.value)
    assert "platform.yaml:" in message
    assert "imports.raw_house_data.path" in message
    assert "must stay inside its datastore" in message


def test_a_plain_nested_folder_is_fine(tmp_path: Path) -> None:
    platform = PLATFORM.replace("paths/raw_house_data", "paths/bronze/raw_house_data")
    write_project(tmp_path, {"platform.yaml": platform, "environments/local.yaml": LOCAL})
    (tmp_path / "environments/local.env").write_text(local_env())

    item = load(tmp_path).platform.imports["raw_house_data"]

    assert item.path == "azureml://datastores/rawdata/paths/bronze/raw_house_data"


class _NeverRuns:
    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult:
        raise AssertionError("the runner must not be reached for an escaping path")

    def check(self, request: ImportRequest) -> None: ...


@pytest.mark.parametrize(
    ("path", "version", "job_id"),
    [
        ("azureml://datastores/rawdata/paths/../../../../victim", "src", None),
        ("azureml://datastores/rawdata/paths/ok", "../../../victim", None),
        ("azureml://datastores/../paths/victim", "1", None),
    ],
)
def test_the_embedded_workspace_never_writes_or_deletes_outside_its_folder(
    tmp_path: Path, path: str, version: str, job_id: str | None
) -> None:
    victim = tmp_path / "victim" / "src"
    victim.mkdir(parents=True)
    (victim / "keep.txt").write_text("precious")
    workspace = LocalWorkspace(tmp_path / "ws", runner_factory=_NeverRuns)
    spec = ImportEssence(
        type="mltable",
        source=Source(type="database", connection="c", query="SELECT 1"),
        path=path,
        fingerprint="sha256:x",
    )
    spec = spec.model_copy(update={"fingerprint": fingerprint(spec.definition)})

    job = workspace.materialize("asset", version, spec, job_id=job_id)

    assert job.status == "Failed"
    assert job.error is not None and "outside the workspace folder" in job.error
    assert (victim / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim", "ws"]
    assert workspace.list_assets(["asset"])[0].versions == ()


def test_a_hostile_job_name_cannot_place_staging_outside(tmp_path: Path) -> None:
    """Staging folders are named by a hash of the job's name, whatever a client called it."""
    from reconciler.providers.local.jobs import staging_name

    for job_id in ("../../victim", "/etc/passwd", "x" * 400):
        name = staging_name(job_id)
        assert len(name) == 24 and name.isalnum()
