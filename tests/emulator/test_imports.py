"""``data.import_data`` through the real SDK, running a real import from the local Snowflake."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import Emulator
from tests.emulator.conftest import call
from tests.snowflake_fixture import LocalSnowflake

PATH = "azureml://datastores/workspaceblobstore/paths/houses"
QUERY = "SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW"


def connect(ml: Any, snowflake: LocalSnowflake, password: str | None = None) -> None:
    from azure.ai.ml.entities import UsernamePasswordConfiguration, WorkspaceConnection

    credentials = UsernamePasswordConfiguration(
        username=snowflake.username, password=password or snowflake.password
    )
    connection = WorkspaceConnection(
        name="snowflake_globorealty",
        type="snowflake",
        target=snowflake.jdbc_target,
        credentials=credentials,
    )
    ml.connections.create_or_update(connection)


def import_houses(ml: Any, query: str = QUERY, **kwargs: Any) -> Any:
    from azure.ai.ml.data_transfer import Database
    from azure.ai.ml.entities import DataImport

    source = Database(connection="azureml:snowflake_globorealty", query=query)
    return ml.data.import_data(DataImport(name="houses", path=PATH, source=source, **kwargs))


def wait_for(ml: Any, name: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = ml.jobs.get(name)
        if job.status in ("Completed", "Failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_import_runs_and_registers_the_version(
    ml: Any, emulator: Emulator, local_snowflake: LocalSnowflake
) -> None:
    connect(ml, local_snowflake)

    submitted = import_houses(ml, description="houses from Snowflake", tags={"team": "data"})

    assert submitted.status == "Preparing"
    job = wait_for(ml, submitted.name)
    assert job.status == "Completed"
    assert job.properties["azureml.materializationAssetName"] == "houses"
    assert job.properties["emulator.rows"] == str(local_snowflake.rows)
    assert job.tags == {"team": "data"} and job.description == "houses from Snowflake"
    version = ml.data.get("houses", label="latest")
    # the service registers the pipeline's output: a name, a version, a path and a type; the
    # import's description and tags stay on the job
    assert (version.version, version.type, version.description) == ("1", "mltable", None)
    # the sink path ends in ${{name}}, which the service resolves to the job's name: each run
    # writes to a folder of its own, and the version registers that folder
    assert version.path.endswith(f"/datastores/workspaceblobstore/paths/houses/{job.name}/")
    assert version.tags == {}
    assert version.properties == {}
    assert "reconciler.fingerprint" not in job.properties  # plain SDK code sent none
    files = emulator.root / "datastores/workspaceblobstore/houses" / job.name
    assert (files / "MLTable").is_file() and list(files.glob("*.parquet"))
    assert [j.name for j in ml.jobs.list(job_type="Pipeline")] == [submitted.name]


def test_the_local_provider_sees_the_job_and_version(
    ml: Any, emulator: Emulator, local_snowflake: LocalSnowflake
) -> None:
    connect(ml, local_snowflake)
    name = import_houses(ml).name
    assert wait_for(ml, name).status == "Completed"

    local = LocalWorkspace(emulator.root)
    try:
        (asset,) = local.list_assets(["houses"])
    finally:
        local.close()
    assert [(j.id, j.status, j.rows) for j in asset.jobs] == [
        (name, "Completed", local_snowflake.rows)
    ]
    assert [(v.version, v.path) for v in asset.versions] == [("1", f"{PATH}/{name}")]
    definition = asset.versions[0].definition
    assert definition is not None and definition.to_dict() == {
        "type": "mltable",
        "source": {"type": "database", "connection": "snowflake_globorealty", "query": QUERY},
        "path": PATH,
    }


def test_a_failed_import_reports_why_and_registers_nothing(
    ml: Any, emulator: Emulator, local_snowflake: LocalSnowflake
) -> None:
    connect(ml, local_snowflake, password="wrong-password")

    job = wait_for(ml, import_houses(ml).name)

    assert job.status == "Failed"
    assert "houses" in job.properties["emulator.error"]
    assert "wrong-password" not in str(job.properties)
    assert list(ml.data.list(name="houses")) == []


def test_concurrent_imports_of_one_asset_get_distinct_versions(
    ml: Any, emulator: Emulator, local_snowflake: LocalSnowflake
) -> None:
    connect(ml, local_snowflake)
    with ThreadPoolExecutor(2) as pool:
        names = list(pool.map(lambda _: import_houses(ml).name, range(2)))

    assert [wait_for(ml, n).status for n in names] == ["Completed", "Completed"]
    assert sorted(d.version for d in ml.data.list(name="houses")) == ["1", "2"]
    reply = call(emulator, "GET", "/jobs?api-version=2024-01-01-preview&assetName=houses")
    assert sorted(j["name"] for j in reply.body["value"]) == sorted(names)
    other = call(emulator, "GET", "/jobs?api-version=2024-01-01-preview&assetName=other")
    assert other.body["value"] == []


def test_a_job_name_is_run_once(
    ml: Any, emulator: Emulator, local_snowflake: LocalSnowflake
) -> None:
    connect(ml, local_snowflake)
    name = import_houses(ml).name
    body = call(emulator, "GET", f"/jobs/{name}?api-version=2024-01-01-preview").body

    again = call(emulator, "PUT", f"/jobs/{name}?api-version=2024-01-01-preview", body)

    assert again.status == 200
    assert wait_for(ml, name).status == "Completed"
    assert [d.version for d in ml.data.list(name="houses")] == ["1"]


def test_an_sdk_request_cannot_make_the_emulator_write_outside_its_folder(
    make_emulator: Any, tmp_path: Any
) -> None:
    import json

    from tests.emulator.conftest import RECORDINGS

    victim = tmp_path / "victim" / "src"
    victim.mkdir(parents=True)
    (victim / "keep.txt").write_text("precious")
    entries = json.loads((RECORDINGS / "data-import-job.json").read_text())["Entries"]
    (put,) = [e for e in entries if e["RequestMethod"] == "PUT"]
    emulator = make_emulator(root=tmp_path / "ws")
    escaping_sink = json.loads(json.dumps(put["RequestBody"]))
    for node in escaping_sink["properties"]["jobs"].values():
        node["outputs"]["sink"]["uri"] = (
            "azureml://datastores/workspaceblobstore/paths/../../victim"
        )
        node["outputs"]["sink"]["version"] = "src"

    call(emulator, "PUT", "/jobs/escaping_sink?api-version=x", escaping_sink)
    call(emulator, "PUT", "/jobs/..%2F..%2Fvictim?api-version=x", put["RequestBody"])
    emulator.wait_for_jobs(30)

    escaped = call(emulator, "GET", "/jobs/escaping_sink?api-version=x").body["properties"]
    assert escaped["status"] == "Failed"
    assert "outside the workspace folder" in escaped["properties"]["emulator.error"]
    named = call(emulator, "GET", "/jobs/..%2F..%2Fvictim?api-version=x")
    assert named.status == 200  # it ran (and failed: no such connection) inside the workspace
    assert (victim / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim", "ws"]


def test_jobs_are_filtered_by_properties_and_tag(
    ml: Any, emulator: Emulator, local_snowflake: LocalSnowflake
) -> None:
    connect(ml, local_snowflake)
    tagged = import_houses(ml, tags={"team": "data"}).name
    plain = import_houses(ml).name
    for name in (tagged, plain):
        wait_for(ml, name)

    def names(query: str) -> list[str]:
        reply = call(emulator, "GET", f"/jobs?api-version=2024-01-01-preview&{query}")
        return sorted(j["name"] for j in reply.body["value"])

    assert names("tag=team") == [tagged]
    assert names("properties=azureml.materializationAssetName") == sorted([tagged, plain])
    assert names("properties=azureml.materializationAssetName=houses") == sorted([tagged, plain])
    assert names("properties=azureml.materializationAssetName=other") == []
    assert names("properties=azureml.materializationAssetName,reconciler.fingerprint") == []
    # the SDK forwards the filters to the service
    assert [j.name for j in ml.jobs.list(job_type="Pipeline", tag="team")] == [tagged]
