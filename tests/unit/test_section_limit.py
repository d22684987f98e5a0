"""The documented per-section limit (5,000 resources) is reachable under the YAML reader's node
limit, written in full: the red team could not reach it under the old 150,000 keys and values."""

from __future__ import annotations

from reconciler.config.yamlfile import parse_yaml
from reconciler.core.limits import MAX_NODES, MAX_RESOURCES

_IMPORT = """\
  asset_{i:05d}:
    description: House sales, part {i}
    source:
      type: database
      connection: sales
      query: SELECT * FROM DB.SCHEMA.TABLE_{i}
    path: azureml://datastores/lake/paths/asset_{i}
    tags: {{team: data, tier: bronze, layer: raw}}
    lifecycle: {{prevent_destroy: true}}
    schedule:
      description: nightly
      trigger:
        type: recurrence
        frequency: week
        interval: 1
        time_zone: W. Europe Standard Time
        start_time: '2025-01-01T00:00:00'
        schedule: {{hours: [3, 15], minutes: [0, 30], week_days: [monday, thursday]}}
"""


def test_a_full_section_of_imports_fits_under_the_node_limit() -> None:
    text = "imports:\n" + "".join(_IMPORT.format(i=i) for i in range(MAX_RESOURCES))
    document = parse_yaml(text, "platform.yaml")
    imports = document.data["imports"]
    assert len(imports) == MAX_RESOURCES
    assert imports["asset_04999"]["schedule"]["trigger"]["schedule"]["hours"] == [3, 15]
    assert MAX_NODES <= 500_000  # still a bound: a bigger file is refused (tests/hostile)
