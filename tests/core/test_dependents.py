"""What a delete or replace of the new kinds would break: an ADLS Gen1 or OneLake datastore
lists the imports writing to it and the data versions stored on it, an S3 connection the
imports reading through it; types nothing references list nothing."""

from __future__ import annotations

from dataclasses import replace

from reconciler.core.desired import DesiredResource
from reconciler.core.essences import (
    Artifact,
    ConnectionEssence,
    Credentials,
    DatastoreEssence,
    Kind,
)
from reconciler.core.plan import Action
from reconciler.engine.planner import build_plan
from tests.core.test_planner import apply
from tests.core.twin import Twin
from tests.core.values import an_import, changed, connection, state

LAKE = "azureml://datastores/lakehouse/paths/raw_house_data"


def onelake(**fields: object) -> DesiredResource:
    essence = DatastoreEssence(
        type="one_lake",
        one_lake_workspace_name="globorealty",
        endpoint="onelake.dfs.fabric.microsoft.com",
        artifact=Artifact(type="lake_house", name="sales"),
    )
    resource = DesiredResource(Kind.DATASTORE, "lakehouse", essence, {}, (), ("datastores",))
    return changed(resource, **fields) if fields else resource


def into_the_lake() -> DesiredResource:
    item = an_import(path=LAKE)
    return replace(item, depends_on=("connection.snowflake", "datastore.lakehouse"))


def test_replacing_a_onelake_datastore_lists_what_is_written_and_stored_there() -> None:
    twin = Twin()
    assert apply(state(connection(), onelake(), into_the_lake()), twin).result.ok

    moved = onelake(artifact=Artifact(type="lake_house", name="elsewhere"))
    plan = build_plan(state(connection(), moved, into_the_lake()), twin)

    (change,) = [c for c in plan.resource_changes if c.address == "datastore.lakehouse"]
    assert change.action is Action.REPLACE
    assert change.change.replace_paths == ("artifact.name",)
    assert change.dependents == (
        "import.raw_house_data (imports to it)",
        "data asset raw_house_data versions 1 (stored on it)",
    )


def test_pruning_a_gen1_datastore_lists_the_versions_stored_on_it() -> None:
    twin = Twin()
    gen1 = DesiredResource(
        Kind.DATASTORE,
        "lakehouse",
        DatastoreEssence(type="azure_data_lake_gen1", store_name="globorealty"),
        {},
        (),
        ("datastores", "lakehouse"),
    )
    assert apply(state(connection(), gen1, into_the_lake()), twin).result.ok

    plan = build_plan(state(connection(), into_the_lake()), twin, prune=True)

    (change,) = [c for c in plan.resource_changes if c.address == "datastore.lakehouse"]
    assert change.action is Action.DELETE
    assert change.dependents == (
        "import.raw_house_data (imports to it)",
        "data asset raw_house_data versions 1 (stored on it)",
    )


def test_a_connection_type_nothing_reads_through_lists_no_dependents() -> None:
    git = DesiredResource(
        Kind.CONNECTION,
        "code",
        ConnectionEssence(type="git", target="https://github.com/globorealty/models"),
        {},
        (),
        ("connections", "code"),
    )
    twin = Twin()
    assert apply(state(git), twin).result.ok

    feed = changed(git, type="python_feed", credentials=Credentials(type="none"))
    (change,) = build_plan(state(feed), twin).resource_changes

    assert (change.action, change.dependents) == (Action.REPLACE, ())
