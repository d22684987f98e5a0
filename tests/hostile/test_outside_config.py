"""Hostile inputs whose fix lies outside the config layer: the longest asset name Azure ML
allows imports on the embedded workspace; a deeply nested plan file is 'not a plan file'."""

from __future__ import annotations

from pathlib import Path

from reconciler.core.essences import (
    ConnectionEssence,
    Credentials,
    ImportEssence,
    Kind,
    Source,
    fingerprint,
)
from reconciler.core.limits import MAX_NAME
from reconciler.imports.base import ImportResult
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import RunCli
from tests.hostile.cases import Case, build
from tests.hostile.runner import snapshot


class _WritesOneFile:
    def run(self, request: object, staging: Path, progress: object = None) -> ImportResult:
        (staging / "part-0.parquet").write_bytes(b"rows")
        return ImportResult(rows=1, files=("part-0.parquet",))

    def check(self, *args: object) -> None: ...


def test_the_embedded_workspace_imports_an_asset_with_the_longest_name_azure_allows(
    tmp_path: Path,
) -> None:
    workspace = LocalWorkspace(tmp_path / "ws", runner_factory=_WritesOneFile)
    connection = ConnectionEssence(
        type="snowflake",
        target="jdbc:snowflake://acme.snowflakecomputing.com/?db=X",
        credentials=Credentials(type="username_password", username="u"),
    )
    workspace.put(Kind.CONNECTION, "conn", connection, {"credentials.password": "p" * 12}, {})
    spec = ImportEssence(
        type="mltable",
        source=Source(type="database", connection="conn", query="SELECT 1"),
        path="azureml://datastores/workspaceblobstore/paths/long",
        fingerprint="sha256:x",
    )
    spec = spec.model_copy(update={"fingerprint": fingerprint(spec.definition)})

    job = workspace.materialize("a" * MAX_NAME, "1", spec)

    assert job.status == "Completed", job.error


def test_a_deeply_nested_plan_file_is_refused_as_not_a_plan(tmp_path: Path, invoke: RunCli) -> None:
    case = Case("plan-file-nesting-bomb", "plan files", {"plan.json": "[" * 100_000})
    project = build(case, tmp_path)
    before = snapshot(project)

    result = invoke("apply", "plan.json", cwd=project)

    assert "Internal error" not in result.output
    assert result.code == 1
    assert "plan.json is not a reconciler plan file" in result.stderr
    assert snapshot(project) == before
