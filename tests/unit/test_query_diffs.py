"""Query changes people can review: compared by their parsed form (layout-only edits plan
nothing, now or later), shown as line diffs, said once when a schedule repeats its import's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from reconciler.config import desired_state
from reconciler.core.essences import Kind
from reconciler.core.plan import Plan
from reconciler.core.vocabulary import DEFINITION_PROPERTY, FINGERPRINT_PROPERTY, MANAGED_BY_TAG
from reconciler.engine.planner import build_plan
from reconciler.providers.local.provider import LocalWorkspace
from reconciler.render import markdown, terminal
from tests.conftest import LOCAL, local_env, write_project

QUERY = """\
SELECT PROPERTY_ID, LOCATION_TYPE, SALE_PRICE
FROM GLOBOREALTY.REAL_ESTATE.RAW
WHERE SALE_PRICE > 0
ORDER BY LOCATION_TYPE
"""

PLATFORM = """\
connections:
  snowflake_globorealty:
    type: snowflake
    target: jdbc:snowflake://acme.snowflakecomputing.com/?db=GLOBOREALTY
    credentials: {type: username_password, username: u, password: '${env:SNOWFLAKE_PASSWORD}'}
imports:
  raw_house_data:
    source:
      type: database
      connection: snowflake_globorealty
      query: |
QUERY_HERE
    path: azureml://datastores/workspaceblobstore/paths/raw_house_data
    schedule:
      trigger: {type: cron, expression: "0 3 * * *"}
"""


def project_with(tmp_path: Path, query: str) -> Path:
    indented = "\n".join(f"        {line}" for line in query.splitlines())
    return write_project(
        tmp_path,
        {
            "platform.yaml": PLATFORM.replace("QUERY_HERE", indented),
            "environments/local.yaml": LOCAL,
            "environments/local.env": local_env(),
        },
    )


def register(project: Path, fingerprint: str | None = None) -> None:
    """Version 1 of the import as the desired state now defines it (and its schedule)."""
    desired = desired_state(project)
    found = desired.get("import.raw_house_data")
    assert found is not None
    spec = found.imported
    workspace = LocalWorkspace(project / ".reconcile/local")
    workspace.store.create_version(
        "raw_house_data",
        "1",
        {
            "path": spec.path + "/1",
            "tags": {MANAGED_BY_TAG: "reconciler"},
            "properties": {
                FINGERPRINT_PROPERTY: fingerprint or spec.fingerprint,
                DEFINITION_PROPERTY: json.dumps(spec.definition.to_dict(), sort_keys=True),
            },
        },
    )
    schedule = desired.get("schedule.raw_house_data-schedule")
    assert schedule is not None
    body = schedule.essence.to_dict() | {"tags": {MANAGED_BY_TAG: "reconciler"}}
    body["tags"]["reconciler.owner"] = desired.owner
    workspace.store.put("schedule", schedule.name, body, {})
    workspace.close()


def plan_of(project: Path) -> Plan:
    workspace = LocalWorkspace(project / ".reconcile/local", label=".reconcile/local")
    return build_plan(desired_state(project), workspace)


def test_an_edit_that_only_changes_layout_plans_nothing(tmp_path: Path) -> None:
    project = project_with(tmp_path, QUERY)
    register(project)
    relaid = "select property_id, location_type, sale_price\n  from GLOBOREALTY.REAL_ESTATE.RAW\n"
    relaid += "  where SALE_PRICE > 0 -- paid sales only\n  order by LOCATION_TYPE"
    (project / "platform.yaml").write_text(
        (project / "platform.yaml")
        .read_text()
        .replace(
            "\n".join(f"        {line}" for line in QUERY.splitlines()),
            "\n".join(f"        {line}" for line in relaid.splitlines()),
        )
    )
    plan = plan_of(project)
    changed = {c.address for c in plan.resource_changes if c.is_change}
    assert changed == {"connection.snowflake_globorealty"}, terminal.render_plan(plan)


def test_a_version_fingerprinted_by_an_older_reconciler_still_matches(tmp_path: Path) -> None:
    """Versions made before queries were compared by their parsed form carry a fingerprint
    of the whitespace-collapsed text; the same definition must not import again."""
    project = project_with(tmp_path, QUERY)
    spec = desired_state(project).get("import.raw_house_data")
    assert spec is not None
    definition = spec.imported.definition
    old = json.dumps(
        {
            "connection": definition.source.connection,
            "source_type": "database",
            "query": " ".join(QUERY.split()),
            "source_path": "",
            "path": definition.path,
            "type": definition.type,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    register(project, "sha256:" + hashlib.sha256(old.encode()).hexdigest()[:32])
    plan = plan_of(project)
    changed = {c.address for c in plan.resource_changes if c.is_change}
    assert changed == {"connection.snowflake_globorealty"}


def test_a_real_change_shows_as_a_line_diff_said_once(tmp_path: Path) -> None:
    project = project_with(tmp_path, QUERY)
    register(project)
    changed = QUERY.replace("ORDER BY LOCATION_TYPE", "ORDER BY LOCATION_TYPE\nLIMIT 100")
    (project / "platform.yaml").write_text(
        (project / "platform.yaml")
        .read_text()
        .replace(
            "        ORDER BY LOCATION_TYPE", "        ORDER BY LOCATION_TYPE\n        LIMIT 100"
        )
    )
    assert "LIMIT 100" in changed
    plan = plan_of(project)
    text = terminal.render_plan(plan)

    assert "      source.query:\n" in text
    assert (
        "         WHERE SALE_PRICE > 0\n         ORDER BY LOCATION_TYPE\n        +LIMIT 100\n"
        in (text)
    )
    assert "\\n" not in text  # no escaped one-line strings
    assert text.count("+LIMIT 100") == 1  # the schedule's copy is said once
    assert "import_definition: same change as import.raw_house_data above" in text
    md = markdown.render_plan(plan)
    assert md.count("+LIMIT 100") == 1
    kinds = {c.type for c in plan.resource_changes if c.is_change}
    assert kinds == {Kind.CONNECTION, Kind.IMPORT, Kind.SCHEDULE}  # the connection is new
