"""Azure plans read near the wire: a converged workspace's data assets come off the container
list and the import runs (no version list per import), exactly as their version lists say; an
asset whose container says a version was registered since is read with its list."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.live import LiveAsset
from reconciler.core.tags import LatestRecord
from reconciler.providers.azureml.provider import AzureWorkspace
from tests.providers.conftest import Harness
from tests.providers.test_contract import GLOBOREALTY, write_globorealty

TWO_IMPORTS = (
    GLOBOREALTY.split("    schedule:")[0]
    + """\
  house_prices:
    source:
      type: database
      connection: snowflake_globorealty
      query: SELECT PROPERTY_ID FROM GLOBOREALTY.REAL_ESTATE.RAW
    path: azureml://datastores/workspaceblobstore/paths/house_prices
    tags: {owner: pricing}
"""
)
NAMES = ["house_prices", "raw_house_data"]


def essentials(assets: list[LiveAsset]) -> list[Any]:
    """What a plan uses of each asset: its versions' data and the latest one's metadata."""
    out = []
    for asset in assets:
        latest = asset.latest_version()
        assert latest is not None
        versions = [
            (v.version, v.path, v.fingerprint, v.definition, v.managed, v.owner)
            for v in asset.versions
        ]
        metadata = (latest.description, latest.tags, latest.provenance, latest.prevent_destroy)
        out.append((asset.name, asset.archived, versions, metadata, asset.jobs))
    return out


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_a_converged_plan_reads_the_assets_off_the_container_list(
    harness: Harness, emulator: Any
) -> None:
    write_globorealty(harness)
    harness.write(TWO_IMPORTS)
    result = harness.apply()
    assert result.ok, [r for r in result.results if r.status != "applied"]
    workspace = harness.workspace()
    assert isinstance(workspace, AzureWorkspace)

    emulator.reset_stats()
    assert not harness.plan().has_changes
    routes = emulator.stats()["routes"]
    assert "GET /data/{name}/versions" not in routes, routes
    assert routes["GET /data"] == 1 and routes["GET /jobs"] == 1

    summarized = workspace.summarize_assets(NAMES)
    assert essentials(summarized) == essentials(workspace.list_assets(NAMES))
    (container,) = [c for c in workspace.rest.containers() if c.name == "house_prices"]
    assert container.tags["owner"] == "pricing" and container.tags["reconciler.owner"]
    assert LatestRecord.read(container.tags) == LatestRecord("1", "2", ("1",))


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_a_version_registered_since_is_read_with_the_version_list(
    harness: Harness, emulator: Any
) -> None:
    write_globorealty(harness)
    harness.write(TWO_IMPORTS)
    result = harness.apply()
    assert result.ok, [r for r in result.results if r.status != "applied"]
    workspace = harness.workspace()
    assert isinstance(workspace, AzureWorkspace)
    from azure.ai.ml.entities import Data

    by_hand = Data(
        name="house_prices",
        version="7",
        path="azureml://datastores/workspaceblobstore/paths/elsewhere/",
        type="uri_folder",
    )
    workspace.client.data.create_or_update(by_hand)

    emulator.reset_stats()
    plan = harness.plan()
    assert emulator.stats()["routes"]["GET /data/{name}/versions"] == 1  # that asset's only
    (acted,) = [c for c in plan.resource_changes if c.address == "import.house_prices"]
    assert acted.version == "7"  # the version registered since is seen
    summarized = workspace.summarize_assets(NAMES)
    assert essentials(summarized) == essentials(workspace.list_assets(NAMES))


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_archiving_and_restoring_keeps_what_reconciler_wrote_on_the_container(
    harness: Harness, emulator: Any
) -> None:
    write_globorealty(harness)
    harness.write(TWO_IMPORTS)
    result = harness.apply()
    assert result.ok, [r for r in result.results if r.status != "applied"]
    workspace = harness.workspace()
    assert isinstance(workspace, AzureWorkspace)
    workspace.archive_asset("house_prices")
    workspace.restore_asset("house_prices")
    emulator.reset_stats()
    assert not harness.plan().has_changes
    assert "GET /data/{name}/versions" not in emulator.stats()["routes"]


@pytest.mark.parametrize("harness", ["azureml"], indirect=True)
def test_a_container_the_service_will_not_tag_costs_a_version_list_not_an_apply(
    harness: Harness, emulator: Any
) -> None:
    write_globorealty(harness)
    emulator.set_faults(1.0, ("503",), routes=("PUT /data/{name}",))
    result = harness.apply()
    assert result.ok, [r for r in result.results if r.status != "applied"]
    emulator.set_faults(0.0)

    emulator.reset_stats()
    assert not harness.plan().has_changes
    assert emulator.stats()["routes"]["GET /data/{name}/versions"] == 1
