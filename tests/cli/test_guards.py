"""No silent orphans, no silent deletes, no taking over what is not ours.

Ownership is scoped to the project and environment; what they no longer declare is drift
(plan exits 2 with --detailed-exitcode) and goes only with --prune (data assets archived, never
deleted); lifecycle.prevent_destroy refuses deletes and replaces; deleting or replacing a
datastore or connection names what depends on it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from reconciler.config import desired_state
from reconciler.core.essences import ImportEssence, Kind, Source, fingerprint
from reconciler.core.vocabulary import MANAGED_BY_TAG, MANAGED_BY_VALUE, OWNER_TAG
from reconciler.imports.base import ImportRequest, ImportResult, ProgressCallback
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import RunCli


def workspace(project: Path, **kwargs: object) -> LocalWorkspace:
    return LocalWorkspace(project / ".reconcile/local", **kwargs)  # type: ignore[arg-type]


def without_imports(project: Path) -> Path:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("imports:")])
    return project


def edit(project: Path, old: str, new: str) -> None:
    path = project / "platform.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


OLD_PRICES = """\
imports:
  old_prices:
    source:
      type: database
      connection: azureml:snowflake_globorealty
      query: SELECT 1
    path: azureml://datastores/rawdata/paths/old_prices
"""


class FakeRunner:
    """Writes one file, as an import would; enough for jobs and versions."""

    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult:
        (staging_dir / "part-00000.parquet").write_bytes(b"PAR1")
        return ImportResult(rows=3, files=("part-00000.parquet",))

    def check(self, request: ImportRequest) -> None: ...


def test_a_removed_resource_is_drift_until_pruned(project: Path, invoke: RunCli) -> None:
    without_imports(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("datastores:")])

    drift = invoke("plan", "--detailed-exitcode", cwd=project)
    assert drift.code == 2, drift.output
    assert "datastore.rawdata: no longer declared; would be deleted with --prune" in drift.stdout
    assert "No changes to make, but 1 managed resource(s) are no longer declared" in drift.stdout

    pruned = invoke("apply", "--auto-approve", "--prune", cwd=project)
    assert pruned.code == 0, pruned.output
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0


def test_an_import_no_longer_declared_is_archived_never_deleted(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    # an earlier apply imported `old_prices` for this project and environment
    local = workspace(project, runner_factory=FakeRunner)
    desired = desired_state(project)
    essence = ImportEssence(
        type="mltable",
        source=Source(type="database", connection="snowflake_globorealty", query="SELECT 1"),
        path="azureml://datastores/rawdata/paths/old_prices",
        fingerprint="x",
    )
    essence = essence.model_copy(update={"fingerprint": fingerprint(essence.definition)})
    tags = {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: desired.owner}
    assert local.materialize("old_prices", "1", essence, tags=tags).status == "Completed"
    local.close()

    drift = invoke("plan", "--detailed-exitcode", cwd=project)
    assert drift.code == 2
    assert "import.old_prices: no longer declared; would be archived (data kept)" in drift.stdout

    pruned = invoke("apply", "--auto-approve", "--prune", cwd=project)
    assert pruned.code == 0, pruned.output
    assert "archive data asset" in pruned.stdout
    after = workspace(project)
    assert after.store.is_archived("old_prices")
    assert [v for v, _, _ in after.store.list_versions("old_prices")] == ["1"]  # data kept
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0

    # declared again: the archived asset is restored, with its version, and not imported again
    with (project / "platform.yaml").open("a") as yaml_file:
        yaml_file.write(OLD_PRICES)
    back = invoke("plan", "--detailed-exitcode", cwd=project)
    assert back.code == 2, back.output
    assert "import.raw_house_data" not in back.stdout
    assert "~ import.old_prices  update (restore the archived data asset, every version kept)" in (
        back.stdout
    )
    assert "archived: true → false" in back.stdout
    restored = invoke("apply", "--auto-approve", cwd=project)
    assert restored.code == 0, restored.output
    assert not workspace(project).store.is_archived("old_prices")
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
    listed = invoke("list", cwd=project)
    assert "import.old_prices" in listed.stdout


def test_another_projects_and_hand_made_resources_are_never_pruned(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    local = workspace(project)
    body = {"type": "azure_blob", "account_name": "x", "container_name": "c", "tags": {}}
    local.store.put("datastore", "handmade", body, {})
    other = {**body, "tags": {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: "billing/prod"}}
    local.store.put("datastore", "billing_store", other, {})
    local.close()

    result = invoke("apply", "--auto-approve", "--prune", cwd=project)

    assert result.code == 0, result.output
    names = {r.name for r in workspace(project).list_resources(Kind.DATASTORE)}
    assert {"handmade", "billing_store"} <= names
    plan = invoke("plan", "--prune", cwd=project)
    assert "datastore.billing_store  (managed by reconciler for billing/prod)" in plan.stdout
    assert "datastore.handmade  (not managed by reconciler)" in plan.stdout


def test_replacing_a_resource_that_is_not_ours_needs_an_explicit_adoption(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    local = workspace(project)
    body = {
        "type": "azure_blob",
        "account_name": "someoneelse",
        "container_name": "theirs",
        "tags": {},
    }
    local.store.put("datastore", "rawdata", body, {})
    local.close()

    refused = invoke("plan", cwd=project)
    assert refused.code == 1
    assert "platform.yaml:" in refused.stderr
    assert "datastore.rawdata exists and is not managed by reconciler; this plan would replace" in (
        refused.stderr
    )
    assert "lifecycle: {adopt: true}" in refused.stderr

    edit(
        project, "container_name: rawdata", "container_name: rawdata\n    lifecycle: {adopt: true}"
    )
    adopted = invoke("apply", "--auto-approve", cwd=project)
    assert adopted.code == 0, adopted.output
    assert "replace (account_name, container_name cannot change in place)" in adopted.stdout


def test_a_matching_hand_made_resource_is_adopted_without_ceremony(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    local = workspace(project)
    record = local.store.get("datastore", "rawdata")
    assert record is not None
    local.store.put(
        "datastore",
        "rawdata",
        {**record.body, "tags": {}},
        local.store.secrets("datastore", "rawdata"),
    )
    local.close()

    plan = invoke("plan", cwd=project)
    assert plan.code == 0, plan.output
    assert "datastore.rawdata  update (adopt: not yet managed by reconciler)" in plan.stdout


def test_prevent_destroy_refuses_a_replace_and_outlives_its_declaration(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    edit(
        project,
        "container_name: rawdata",
        "container_name: rawdata\n    lifecycle: {prevent_destroy: true}",
    )
    assert invoke("apply", "--auto-approve", cwd=project).code == 0

    edit(project, "account_name: globorealtydata", "account_name: otheraccount")
    replace = invoke("plan", cwd=project)
    assert replace.code == 1
    assert "datastores.rawdata.lifecycle.prevent_destroy" in replace.stderr
    assert "datastore.rawdata is protected by lifecycle.prevent_destroy; this plan would " in (
        replace.stderr
    )

    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("datastores:")])
    prune = invoke("apply", "--auto-approve", "--prune", cwd=project)
    assert prune.code == 1
    assert "its protection is recorded on it" in prune.stderr
    assert "rawdata" in {r.name for r in workspace(project).list_resources(Kind.DATASTORE)}


def test_deleting_a_datastore_names_what_depends_on_it(project: Path, invoke: RunCli) -> None:
    assert invoke("apply", "--auto-approve", cwd=project).code in (0, 3)  # the import fails
    local = workspace(project)
    ours = {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: desired_state(project).owner}
    local.store.create_version(
        "raw_house_data",
        "1",
        {"path": "azureml://datastores/rawdata/paths/raw_house_data/1", "tags": ours},
    )
    local.close()
    edit(project, "account_name: globorealtydata", "account_name: otheraccount")
    plan = invoke("plan", cwd=project)
    assert "# affects: import.raw_house_data (imports to it)" in plan.stdout
    assert "# affects: data asset raw_house_data versions 1 (stored on it)" in plan.stdout


def test_an_import_still_running_is_not_converged_and_apply_wait_reports_it(
    project: Path, invoke: RunCli
) -> None:
    without_imports(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(
        text + "imports:\n  raw_house_data:\n    source:\n      type: database\n"
        "      connection: snowflake_globorealty\n      query: SELECT 1\n"
        "    path: azureml://datastores/rawdata/paths/raw_house_data\n"
    )
    found = desired_state(project).get("import.raw_house_data")
    assert found is not None
    essence = found.imported
    local = workspace(project)
    body = essence.definition.to_dict() | {
        "properties": {"reconciler.fingerprint": essence.fingerprint}
    }
    local.store.create_job("job_elsewhere", "raw_house_data", "1", body, pid=1)
    local.store.update_job("job_elsewhere", status="Running")

    plan = invoke("plan", "--detailed-exitcode", cwd=project)
    assert plan.code == 2, plan.output
    assert "Not converged yet: import.raw_house_data still running" in plan.stdout

    def finish() -> None:
        time.sleep(1.5)
        local.store.update_job("job_elsewhere", status="Failed", error="the source went away")

    finisher = threading.Thread(target=finish)
    finisher.start()
    waited = invoke("apply", "--auto-approve", "--wait", cwd=project)
    finisher.join()
    assert waited.code == 3, waited.output
    assert "import.raw_house_data: job job_elsewhere failed: the source went away" in waited.stdout
