"""moved: and removed: on the in-memory twin: the cases the provider suite does not repeat."""

from __future__ import annotations

from dataclasses import replace

from reconciler.core.desired import DesiredState, Move, Removal
from reconciler.core.essences import Kind, fingerprint
from reconciler.core.plan import Action, Reason
from reconciler.core.secrets import SecretValues
from reconciler.engine.planner import build_plan
from tests.core.test_planner import apply
from tests.core.twin import Twin
from tests.core.values import ACCOUNT_KEY, PASSWORD, an_import, connection, datastore, example

LAKE = "azureml://datastores/lake/paths/raw_house_data"


def _moved_datastore() -> DesiredState:
    lake = an_import(path=LAKE)
    lake = replace(lake, depends_on=("connection.snowflake", "datastore.lake"))
    return replace(
        example(),
        resources=(connection(), datastore("lake", container="rawdata"), lake),
        secrets=SecretValues(
            True,
            {
                ("connection.snowflake", "credentials.password"): PASSWORD,
                ("datastore.lake", "credentials.account_key"): ACCOUNT_KEY,
            },
        ),
        moves=(Move(Kind.DATASTORE, "rawdata", "lake", ("moved", 0)),),
    )


def test_a_moved_datastore_repoints_its_import_and_is_deleted_after_it() -> None:
    twin = Twin()
    assert apply(example(), twin).result.ok
    desired = _moved_datastore()

    plan = build_plan(desired, twin)

    steps = [(c.address, c.action, c.action_reason) for c in plan.steps]
    assert steps == [
        ("datastore.lake", Action.CREATE, None),
        ("import.raw_house_data", Action.UPDATE, Reason.MOVED_DEPENDENCY),
        ("datastore.rawdata", Action.DELETE, Reason.DELETE_MOVED),
    ]
    assert plan.steps[0].previous_address == "datastore.rawdata"
    assert plan.steps[2].dependents == (
        "data asset raw_house_data versions 1 (stored on it)",
    )  # a version keeps the old name in its path: the reviewer sees it
    assert apply(desired, twin).result.ok
    (asset,) = twin.list_assets(["raw_house_data"])
    assert asset.versions[0].fingerprint == fingerprint(an_import(path=LAKE).imported.definition)
    assert [v.version for v in asset.versions] == ["1"]  # nothing imported
    assert build_plan(replace(desired, moves=()), twin).converged


def test_a_failed_dependent_keeps_the_old_connection() -> None:
    twin = Twin()
    assert apply(example(), twin).result.ok
    renamed = connection("snowflake_main")
    moved_import = an_import()
    source = moved_import.imported.source.model_copy(update={"connection": "snowflake_main"})
    essence = moved_import.imported.model_copy(update={"source": source})
    essence = essence.model_copy(update={"fingerprint": fingerprint(essence.definition)})
    moved_import = replace(
        moved_import, essence=essence, depends_on=("connection.snowflake_main", "datastore.rawdata")
    )
    desired = replace(
        example(),
        resources=(renamed, datastore(), moved_import),
        secrets=SecretValues(
            True,
            {
                ("connection.snowflake_main", "credentials.password"): PASSWORD,
                ("datastore.rawdata", "credentials.account_key"): ACCOUNT_KEY,
            },
        ),
        moves=(Move(Kind.CONNECTION, "snowflake", "snowflake_main", ("moved", 0)),),
    )

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("relabel failed")

    twin.update_asset_metadata = broken  # type: ignore[method-assign]
    result = apply(desired, twin).result
    outcome = {r.address: r.status for r in result.results}
    assert outcome == {
        "connection.snowflake_main": "applied",
        "import.raw_house_data": "failed",
        "connection.snowflake": "skipped",  # still there for the import that failed
    }
    assert "connection.snowflake" in twin.resources


def test_removed_with_destroy_archives_an_import_and_deletes_nothing_else() -> None:
    twin = Twin()
    assert apply(example(), twin).result.ok
    desired = replace(
        example(),
        resources=example().resources[:2],
        removals=(Removal(Kind.IMPORT, "raw_house_data", True, ("removed", 0)),),
    )
    plan = build_plan(desired, twin)
    assert [(c.address, c.action) for c in plan.steps] == [
        ("import.raw_house_data", Action.ARCHIVE)
    ]
    assert not plan.orphans
    assert apply(desired, twin).result.ok
    assert build_plan(desired, twin).converged
