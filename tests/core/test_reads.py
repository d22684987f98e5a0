"""What a plan reads: the other assets' data only when it writes a new version, every version
of a pinned import, and the record reconciler keeps on a data asset's container."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest

from reconciler.core.errors import ConfigError
from reconciler.core.live import DataLocation, LiveAsset
from reconciler.core.tags import LatestRecord, latest_record
from reconciler.core.vocabulary import LATEST_TAG
from reconciler.engine.planner import build_plan
from tests.core.test_planner import apply
from tests.core.twin import Twin
from tests.core.values import an_import, connection, datastore, example, state


@dataclass
class Counting(Twin):
    """The twin, counting the reads a plan makes."""

    calls: list[str] = field(default_factory=list)

    def summarize_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        self.calls.append(f"summarize {sorted(names)}")
        return Twin.list_assets(self, names)

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        self.calls.append(f"list {sorted(names)}")
        return super().list_assets(names)

    def list_other_data(self, exclude: Iterable[str]) -> list[DataLocation]:
        self.calls.append("other data")
        return super().list_other_data(exclude)


def test_a_plan_that_writes_no_new_version_never_reads_other_assets_data() -> None:
    twin = Counting()
    apply(example(), twin)
    twin.calls.clear()
    assert build_plan(example(), twin).converged
    assert twin.calls == ["summarize ['raw_house_data']"]


def test_a_new_version_reads_other_data_and_is_kept_off_it() -> None:
    twin = Counting()
    apply(example(), twin)
    twin.calls.clear()
    query = example().resources[2].imported.source.query or ""
    edited = state(connection(), datastore(), an_import(query=query + " WHERE 1 = 1"))
    assert build_plan(edited, twin).has_changes
    assert twin.calls == ["summarize ['raw_house_data']", "other data"]

    inside = "azureml://datastores/rawdata/paths/raw_house_data/1/more"
    other = state(connection(), datastore(), an_import(), an_import("other", path=inside))
    with pytest.raises(ConfigError, match="overlaps the data of data asset raw_house_data"):
        build_plan(other, twin)


def test_a_pinned_import_is_read_with_every_version() -> None:
    twin = Counting()
    pinned = state(
        connection(),
        datastore(),
        an_import(version="1"),
        an_import("b", path="azureml://datastores/rawdata/paths/b"),
    )
    apply(pinned, twin)
    twin.calls.clear()
    build_plan(pinned, twin)
    assert twin.calls[:2] == ["summarize ['b']", "list ['raw_house_data']"]


def test_the_record_on_a_container_lists_versions_compactly_and_reads_back() -> None:
    versions = [str(n) for n in range(1, 41)] + ["42", "v2", "007"]
    record = latest_record("42", "43", versions)
    tag = record.tag()
    assert tag == {
        LATEST_TAG: '{"version":"42","next":"43","versions":["v2","007",[1,40],[42,42]]}'
    }
    assert LatestRecord.read(tag) == record
    assert record.current("42", "43") and not record.current("43", "44")
    expiring = latest_record("1", "2", ["1"], {"condition": "createdGreaterThan", "value": "30d"})
    assert LatestRecord.read(expiring.tag()) == expiring


@pytest.mark.parametrize(
    "text",
    ["not json", '{"version": "1"}', '{"version":"1","next":"2","versions":[[1,1000000000]]}'],
)
def test_a_record_that_cannot_be_read_means_reading_the_versions(text: str) -> None:
    assert LatestRecord.read({LATEST_TAG: text}) is None


def test_a_record_too_long_for_a_tag_is_not_written() -> None:
    scattered = [str(n) for n in range(1, 2000, 2)]
    assert latest_record("1999", "2000", scattered).tag() == {}
