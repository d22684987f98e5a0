"""No false diffs on what the real service returns.

Every resource reconciler models that the real-service recordings create (connections,
datastores, import schedules) is made in the emulator by its recorded request, as another tool
would have made it. A desired state written with the recorded fields must then plan it as an
adoption whose only changes are what cannot be read back (secrets), and after apply as no
change at all, through the real azure-ai-ml SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from reconciler.config import desired_state
from reconciler.core.essences import Kind
from reconciler.core.plan import Action, Reason
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import build_plan
from reconciler.providers.factory import open_workspace
from tests.emulator.conftest import call
from tests.fidelity.recording import all_recordings
from tests.providers.conftest import Harness
from tests.views import Quiet


@dataclass(frozen=True)
class Recorded:
    """The ``index``-th request of recording ``key`` makes ``kind`` ``name``, renamed or with
    ``changed`` properties where reconciler's validation refuses the recorded value (``why``)."""

    key: str
    index: int
    kind: str
    name: str
    why: str = ""
    changed: tuple[tuple[str, str], ...] = ()


SNOWFLAKE = "jdbc:snowflake://acme.snowflakecomputing.com/?db=DB&warehouse=WH"
RECORDED = (
    Recorded(
        "shared/connection-snowflake-crud",
        0,
        "connection",
        "recorded_snowflake",
        "recorded as e2etest_wps_conn_test_866622857454: 34 characters, one more than "
        "reconciler's (and the REST specification's) connection name rule allows; target "
        "'dummy': reconciler requires a Snowflake JDBC URL",
        (("target", SNOWFLAKE),),
    ),
    Recorded(
        "public/workspace/connection_crud_s3_access_key",
        0,
        "connection",
        "recorded_s3",
        "recorded as e2etest_wps_conn_test_470914675519 (34 characters)",
    ),
    Recorded("shared/datastore-blob-crud", 3, "datastore", "test_587359455061"),
    Recorded("public/datastore/blob_store_credential_less", 0, "datastore", "test_910085401562"),
    Recorded(
        "public/datastore/credential_less_adls_gen2_store", 0, "datastore", "test_450410757320"
    ),
    Recorded("public/datastore/file_store", 0, "datastore", "test_350879160047"),
    Recorded(
        "shared/schedule-data-import-database",
        0,
        "schedule",
        "my_azuresqldb_asset-schedule",
        "recorded as test_851753602718: reconciler names an import's schedule <import>-schedule",
    ),
    Recorded(
        "public/data_import/create_schedule_data_import[file_system]",
        0,
        "schedule",
        "my_s3_asset-schedule",
        "recorded as test_85512786075",
    ),
)

# The same resources as a user would declare them, field for field from the recorded requests.
DESIRED = """\
connections:
  recorded_snowflake:
    type: snowflake
    target: SNOWFLAKE_TARGET
    credentials: {type: username_password, username: dummy, password: "${env:SECRET}"}
  recorded_s3:
    type: s3
    target: dummy
    credentials: {type: access_key, access_key_id: dummy, secret_access_key: "${env:SECRET}"}
  my_azuresqldb_connection:
    type: azure_sql_db
    target: Server=tcp:example.database.windows.net;Database=db
    credentials: {type: username_password, username: u, password: "${env:SECRET}"}
  my_s3_connection:
    type: s3
    target: https://s3.example.com
    credentials: {type: access_key, access_key_id: k, secret_access_key: "${env:SECRET}"}
datastores:
  test_587359455061:
    type: azure_blob
    account_name: teststorageaccount
    container_name: testblob
    credentials: {account_key: "${env:SECRET}"}
  test_910085401562:
    type: azure_blob
    account_name: teststorageaccount
    container_name: testblob
  test_450410757320:
    type: azure_data_lake_gen2
    account_name: mytestdatalakegen2
    filesystem: my-gen2-container
  test_350879160047:
    type: azure_file
    account_name: teststorageaccount
    file_share_name: testfileshare
    credentials: {account_key: "${env:SECRET}"}
imports:
  my_azuresqldb_asset:
    source:
      type: database
      connection: azureml:my_azuresqldb_connection
      query: select * from region
    path: azureml://datastores/workspaceblobstore/paths/{name}
    schedule:
      description: Schedule data import
      trigger: {type: cron, expression: "15 10 * * 1", time_zone: Pacific Standard Time}
  my_s3_asset:
    source:
      type: file_system
      connection: azureml:my_s3_connection
      path: test1/*
    path: azureml://datastores/workspaceblobstore/paths/{name}
    schedule:
      description: Schedule data import
      trigger: {type: cron, expression: "15 10 * * 1", time_zone: Pacific Standard Time}
""".replace("SNOWFLAKE_TARGET", SNOWFLAKE)


def apply_all_but_imports(harness: Harness) -> Any:
    desired = desired_state(harness.root, "test")
    workspace = open_workspace(desired.workspace, credential=harness.credential())
    plan = build_plan(desired, workspace)
    steps = tuple(c for c in plan.resource_changes if c.type is not Kind.IMPORT)
    return apply_plan(
        plan.model_copy(update={"resource_changes": steps}), desired, workspace, Quiet()
    )


def make_as_recorded(emulator: Any, recorded: Recorded) -> None:
    recording = next(r for r in all_recordings() if r.key == recorded.key)
    entry = recording.entries[recorded.index]
    assert entry.method == "PUT"
    path = re.sub(r"^.*/workspaces/[^/]+", "", entry.path)
    path = re.sub(r"/[^/]+$", f"/{recorded.name}", path)
    body = entry.request_body
    body = {**body, "properties": {**body["properties"], **dict(recorded.changed)}}
    reply = call(emulator, "PUT", f"{path}?api-version=2024-04-01-preview", body)
    assert reply.status in (200, 201), reply.body


def one_of_the_imports(keep: str) -> str:
    """Both recorded schedules import into the same folder (``paths/{name}``), which two
    imports of one desired state may not share (their data would mix), so each is declared
    in a desired state of its own."""
    head, _, imports = DESIRED.partition("imports:\n")
    blocks = re.split(r"(?m)^(?=  \S)", imports)
    return head + "imports:\n" + "".join(b for b in blocks if b.startswith(f"  {keep}:"))


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_recorded_resources_are_adopted_with_no_other_change(
    harness: Harness, emulator: Any
) -> None:
    for recorded in RECORDED:
        make_as_recorded(emulator, recorded)
    done: set[str] = set()  # adopted in the first round: no change in the second
    for keep in ("my_azuresqldb_asset", "my_s3_asset"):
        harness.write(one_of_the_imports(keep), SECRET="a-secret-value")
        addresses = {
            f"{r.kind}.{r.name}"
            for r in RECORDED
            if r.kind != "schedule" or r.name == f"{keep}-schedule"
        }

        first = {c.address: c for c in harness.plan().resource_changes}

        for address in sorted(addresses):
            change = first[address]
            wanted = Action.NOOP if address in done else Action.UPDATE
            assert change.action == wanted, address
            if wanted is Action.UPDATE:
                assert change.action_reason == Reason.ADOPT, address
                assert [f.path for f in change.fields if not f.sensitive] == [], address

        assert apply_all_but_imports(harness).ok  # the imports cannot run here: no sources
        again = {c.address: c for c in harness.plan().resource_changes}
        for address in sorted(addresses):
            assert (again[address].action, again[address].fields) == (Action.NOOP, ()), address
        done = addresses
