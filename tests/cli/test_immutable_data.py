"""A data version is immutable: no import ever writes where another data asset's data is.

Two imports of one desired state never share a folder (validate); a plan refuses an import
whose folder holds, or lies in, another asset's data, archived or not, any project's or none;
and apply checks again right before it moves data into place (issue 17, item 1)."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.config import desired_state
from reconciler.core.essences import ImportEssence, Source, fingerprint
from reconciler.core.vocabulary import MANAGED_BY_TAG, MANAGED_BY_VALUE, OWNER_TAG
from reconciler.imports.base import ImportRequest, ImportResult, ProgressCallback
from reconciler.providers.local.jobs import staging_name
from reconciler.providers.local.placement import MARKER
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import PLATFORM, RunCli

HOUSES = "azureml://datastores/rawdata/paths/house_sales"


def declare(name: str, path: str, query: str = "SELECT 1") -> str:
    return (
        f"  {name}:\n    source:\n      type: database\n"
        f"      connection: azureml:snowflake_globorealty\n      query: {query}\n"
        f"    path: {path}\n"
    )


BASE = PLATFORM[: PLATFORM.index("imports:")]  # the connection and the datastore


def write(project: Path, *imports: str) -> None:
    (project / "platform.yaml").write_text(BASE + "imports:\n" + "".join(imports))


def line_of(project: Path, text: str) -> int:
    lines = (project / "platform.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


class OneFile:
    """Writes one Parquet-named file of ``rows`` rows' worth: enough to tell data apart."""

    def __init__(self, rows: int = 3) -> None:
        self.rows = rows

    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult:
        (staging_dir / "part-00000.parquet").write_text(f"{request.asset_name} {self.rows} rows")
        return ImportResult(rows=self.rows, files=("part-00000.parquet",))

    def check(self, request: ImportRequest) -> None: ...


def essence(path: str, query: str = "SELECT 1") -> ImportEssence:
    source = Source(type="database", connection="snowflake_globorealty", query=query)
    spec = ImportEssence(type="mltable", source=source, path=path, fingerprint="x")
    return spec.model_copy(update={"fingerprint": fingerprint(spec.definition)})


def seed(
    project: Path, name: str, path: str, owner: str | None, rows: int = 3, version: str = "1"
) -> None:
    """Import ``name`` ``version`` into ``path`` as an earlier apply (of ``owner``) would; with
    no owner, as a schedule's run or a hand-made import would (no reconciler tags)."""
    tags = {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: owner} if owner else {}
    local = LocalWorkspace(project / ".reconcile/local", runner_factory=lambda: OneFile(rows))
    try:
        job = local.materialize(name, version, essence(path), tags=tags)
        assert job.status == "Completed", job.error
    finally:
        local.close()


def files(project: Path, folder: str) -> dict[str, str]:
    root = project / ".reconcile/local/datastores/rawdata" / folder
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


def ready(project: Path, invoke: RunCli) -> str:
    """Connections and datastores applied (no import declared yet); returns the owner."""
    (project / "platform.yaml").write_text(BASE)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    return desired_state(project).owner


# --- validate: one desired state --------------------------------------------------------------


def test_two_imports_with_the_same_path_are_refused_at_validate(
    project: Path, invoke: RunCli
) -> None:
    write(project, declare("house_sales_urban", HOUSES), declare("house_sales_all", HOUSES))
    urban = line_of(project, "house_sales_urban:") + 5  # its path: line
    every = line_of(project, "house_sales_all:") + 5

    result = invoke("validate", cwd=project)

    assert result.code == 1, result.output
    assert (
        f"platform.yaml:{urban}:5: imports.house_sales_urban.path: {HOUSES} is the same folder "
        f"as the path of import 'house_sales_all' (platform.yaml:{every})"
    ) in result.stderr
    assert "data versions are immutable" in result.stderr
    assert "hint: give each import a folder of its own" in result.stderr


def test_nested_import_paths_are_refused_at_validate_either_way_round(
    project: Path, invoke: RunCli
) -> None:
    inner = f"{HOUSES}/urban"
    # the outer folder declared first, then last: the inner one is refused, at its own line
    for order in ((HOUSES, inner), (inner, HOUSES)):
        names = {HOUSES: "house_sales_all", inner: "house_sales_urban"}
        write(project, *(declare(names[path], path) for path in order))
        result = invoke("validate", cwd=project)
        assert result.code == 1, result.output
        where = line_of(project, "house_sales_urban:") + 5
        outer = line_of(project, "house_sales_all:") + 5
        assert (
            f"platform.yaml:{where}:5: imports.house_sales_urban.path: {inner} is inside the "
            f"path of import 'house_sales_all' (platform.yaml:{outer})"
        ) in result.stderr


def test_sibling_folders_sharing_a_prefix_are_not_nested(project: Path, invoke: RunCli) -> None:
    write(project, declare("a", HOUSES), declare("b", HOUSES + "_urban"))
    result = invoke("validate", cwd=project)
    assert result.code == 0, result.output


# --- plan: what the workspace holds ----------------------------------------------------------


def test_an_import_onto_another_assets_data_is_refused_at_plan(
    project: Path, invoke: RunCli
) -> None:
    """The trial: house_sales_all declared with house_sales_urban's path planned `+ materialize
    version 1`, and apply replaced urban's 3,420 rows with 10,000."""
    owner = ready(project, invoke)
    seed(project, "house_sales_urban", HOUSES, owner, rows=3420)
    write(project, declare("house_sales_urban", HOUSES), declare("house_sales_all", HOUSES))
    assert invoke("validate", cwd=project).code == 1  # one desired state: refused earlier

    write(project, declare("house_sales_all", HOUSES))  # urban no longer declared, still there
    result = invoke("plan", cwd=project)

    assert result.code == 1, result.output
    where = line_of(project, "house_sales_all:") + 5
    assert (
        f"platform.yaml:{where}:5: imports.house_sales_all.path: {HOUSES} overlaps the data of "
        f"data asset house_sales_urban version 1, stored at {HOUSES}/1"
    ) in result.stderr
    assert "hint: give this import a path of its own" in result.stderr
    assert files(project, "house_sales") == {"1/part-00000.parquet": "house_sales_urban 3420 rows"}


def test_a_renamed_import_never_overwrites_the_archived_assets_data(
    project: Path, invoke: RunCli
) -> None:
    """The worse trial: renaming an import archived the old asset "(data kept)", then replaced
    its 9,995 rows with the new asset's 3,420."""
    owner = ready(project, invoke)
    seed(project, "house_sales_urban", HOUSES, owner, rows=9995)
    write(project, declare("house_sales_urban", HOUSES))
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0

    (project / "platform.yaml").write_text(BASE)  # removed: archived by --prune, data kept
    pruned = invoke("apply", "--auto-approve", "--prune", cwd=project)
    assert pruned.code == 0, pruned.output
    assert "archive data asset" in pruned.stdout

    write(project, declare("house_sales_all", HOUSES))  # the new name, the same folder
    refused = invoke("plan", cwd=project)
    assert refused.code == 1, refused.output
    assert "overlaps the data of data asset house_sales_urban version 1" in refused.stderr
    assert invoke("apply", "--auto-approve", cwd=project).code == 1  # nothing changed
    assert files(project, "house_sales") == {"1/part-00000.parquet": "house_sales_urban 9995 rows"}


def test_another_projects_data_under_the_target_is_refused_at_plan(
    project: Path, invoke: RunCli
) -> None:
    ready(project, invoke)
    seed(project, "billing_sales", f"{HOUSES}/billing", "billing/prod")
    write(project, declare("house_sales_all", HOUSES))
    result = invoke("plan", cwd=project)
    assert result.code == 1, result.output
    assert (
        f"overlaps the data of data asset billing_sales version 1, stored at {HOUSES}/billing/1"
    ) in result.stderr


def test_a_hand_made_asset_under_the_target_or_holding_it_is_refused_at_plan(
    project: Path, invoke: RunCli
) -> None:
    ready(project, invoke)
    local = LocalWorkspace(project / ".reconcile/local")
    local.store.create_version("notes", "7", {"path": f"{HOUSES}/notes", "tags": {}})
    local.store.create_version(
        "everything", "1", {"path": "azureml://datastores/rawdata/paths/", "tags": {}}
    )
    local.close()
    write(project, declare("house_sales_all", HOUSES))

    result = invoke("plan", cwd=project)

    assert result.code == 1, result.output
    assert re.search(
        r"overlaps the data of data asset everything version 1, stored at "
        r"azureml://datastores/rawdata/paths/ and 1 more",
        result.stderr,
    ), result.stderr


def test_its_own_versions_under_its_path_are_fine(project: Path, invoke: RunCli) -> None:
    owner = ready(project, invoke)
    seed(project, "house_sales_all", HOUSES, owner)
    write(project, declare("house_sales_all", HOUSES, query="SELECT 2"))
    result = invoke("plan", cwd=project)
    assert result.code == 0, result.output
    assert "+ import.house_sales_all  materialize version 2" in result.stdout


# --- apply: checked right before writing -----------------------------------------------------


def test_apply_never_writes_into_a_folder_that_holds_data(project: Path, invoke: RunCli) -> None:
    """The plan check bypassed (an API caller, or data that appeared since the plan):
    `materialize` refuses, the job fails with the reason, and nothing is written."""
    owner = ready(project, invoke)
    seed(project, "house_sales_urban", HOUSES, owner, rows=9995)
    local = LocalWorkspace(project / ".reconcile/local", runner_factory=lambda: OneFile(3420))
    try:
        job = local.materialize("house_sales_all", "1", essence(HOUSES, "SELECT 2"))
        assert job.status == "Failed"
        assert job.error == (
            f"import house_sales_all: refused to write version 1 to {HOUSES}/1: the folder holds "
            "data asset house_sales_urban version 1; data versions are immutable, so nothing was "
            "written (give this import a path of its own)"
        )
        assert local.list_assets(["house_sales_all"])[0].versions == ()

        stray = project / ".reconcile/local/datastores/rawdata/loose/1"
        stray.mkdir(parents=True)
        (stray / "copied-by-hand.csv").write_text("a,b\n")
        job = local.materialize("loose", "1", essence("azureml://datastores/rawdata/paths/loose"))
        assert job.status == "Failed"
        assert "already holds data that no registered version and no interrupted import" in (
            job.error or ""
        )
    finally:
        local.close()
    assert files(project, "house_sales") == {"1/part-00000.parquet": "house_sales_urban 9995 rows"}
    assert files(project, "loose") == {"1/copied-by-hand.csv": "a,b\n"}


def test_what_an_interrupted_import_moved_into_place_is_cleared_and_imported_again(
    project: Path, invoke: RunCli
) -> None:
    """The process died after moving its data into place and before registering it: its
    marker names a job that never completed, so the retry may clear the folder."""
    ready(project, invoke)
    path = "azureml://datastores/rawdata/paths/prices"
    local = LocalWorkspace(project / ".reconcile/local", runner_factory=OneFile)
    try:
        local.store.create_job("import_prices_dead", "prices", "1", {"path": path}, pid=1)
        local.store.update_job("import_prices_dead", status="Running", heartbeat_at=0.0)
        folder = project / ".reconcile/local/datastores/rawdata/prices/1"
        folder.mkdir(parents=True)
        (folder / "part-00000.parquet").write_text("half a run")
        (folder / MARKER).write_text("import_prices_dead")

        job = local.materialize("prices", "1", essence(path))

        assert job.status == "Completed", job.error
        assert files(project, "prices") == {"1/part-00000.parquet": "prices 3 rows"}  # no marker
        assert not (project / ".reconcile/local/staging" / staging_name(job.id)).exists()
    finally:
        local.close()
