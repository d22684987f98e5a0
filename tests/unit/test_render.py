"""Renderers against golden files. Regenerate with UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.core.consumers import Consumer, ConsumerWindow, Reads
from reconciler.core.essences import Kind
from reconciler.core.plan import (
    SENSITIVE,
    Action,
    Change,
    FieldChange,
    IgnoredResource,
    Orphan,
    Plan,
    Reason,
    ResourceChange,
)
from reconciler.render import markdown, terminal

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def change(address: str, action: Action, *fields: FieldChange, **extra: object) -> ResourceChange:
    kind, name = address.split(".", 1)
    before = None if action in (Action.CREATE,) else {"x": 1}
    after = None if action is Action.DELETE else {"x": 2}
    return ResourceChange(
        address=address,
        type=Kind(kind),
        name=name,
        action=action,
        change=Change(
            before=before,
            after=after,
            replace_paths=tuple(f.path for f in fields if f.forces_replacement),
        ),
        fields=fields,
        **extra,  # type: ignore[arg-type]  # a test helper passing optional fields through
    )


def sample_plan() -> Plan:
    return Plan(
        environment="dev",
        workspace="local:.reconcile/local",
        resource_changes=(
            change(
                "connection.snowflake_globorealty",
                Action.CREATE,
                FieldChange(path="credentials.password", after=SENSITIVE, sensitive=True),
                FieldChange(path="target", after="jdbc:snowflake://acme.snowflakecomputing.com/"),
            ),
            change(
                "connection.sql_sales",
                Action.UPDATE,
                FieldChange(
                    path="credentials.password", before=SENSITIVE, after=SENSITIVE, sensitive=True
                ),
                FieldChange(path="lifecycle.prevent_destroy", before=False, after=True),
                FieldChange(path="tags.owner", before=None, after="data-platform"),
                prevent_destroy=True,
            ),
            change(
                "datastore.rawdata",
                Action.REPLACE,
                FieldChange(
                    path="account_name", before="old", after="new", forces_replacement=True
                ),
                dependents=(
                    "import.raw_house_data (imports to it)",
                    "data asset raw_house_data versions 1, 2 (stored on it)",
                ),
                last_changed_by={
                    "by": "octocat",
                    "pull-request": "12",
                    "commit": "0123456789abcdef",
                    "at": "2026-11-30T10:00:00Z",
                },
            ),
            change(
                "import.raw_house_data",
                Action.MATERIALIZE,
                FieldChange(path="source.query", before="SELECT 1", after="SELECT `a` <b>"),
                version="2",
                action_reason=Reason.DEFINITION_CHANGED,
                reason_detail="1",
            ),
            change(
                "import.prices",
                Action.IN_PROGRESS,
                version="4",
                action_reason=Reason.IMPORT_RUNNING,
                reason_detail="j1",
            ),
            change("import.unchanged", Action.NOOP),
            change("schedule.old-schedule", Action.DELETE),
        ),
        ignored=(
            IgnoredResource(address="datastore.workspaceblobstore", reason="system resource"),
        ),
        orphans=(
            Orphan(address="connection.old_sql", with_prune=Action.DELETE),
            Orphan(address="import.old_prices", with_prune=Action.ARCHIVE),
        ),
    )


def consumers_plan() -> Plan:
    """A query change read by a schedule (@latest), a job pinned to a version and a job reading
    its folder by path, and a datastore deleted under a job: values from the workspace carry
    HTML and a team mention, which must come out inert."""
    latest = Consumer(
        kind="schedule",
        name="weekly_retrain",
        type="Pipeline",
        reads=Reads.LATEST,
        reference="azureml:raw_house_data@latest",
        inputs=("jobDefinition.inputs.training_data",),
        enabled=True,
        next_run="2026-12-14T10:15+00:00",
    )
    pinned = Consumer(
        kind="job",
        name="calm_apple_1x2",
        type="Command",
        reads=Reads.PINNED,
        reference="azureml:raw_house_data:1",
        version="1",
        inputs=("inputs.data",),
        status="Completed",
        created_at="2026-12-01T09:00:00.000Z",
    )
    by_path = Consumer(
        kind="job",
        name="tidy_pear_9",
        type="Pipeline",
        reads=Reads.PATH,
        reference="azureml://datastores/rawdata/paths/raw_house_data/<img src=x>@org/team`|",
        inputs=("jobs.score.inputs.data",),
        status="Queued",
        created_at="2026-11-30T09:00:00.000Z",
    )
    import_change = change(
        "import.raw_house_data",
        Action.MATERIALIZE,
        FieldChange(path="source.query", before="SELECT 1", after="SELECT 2"),
        FieldChange(path="tags.owner", before="@org/team", after="<img src=x>"),
        version="2",
        action_reason=Reason.DEFINITION_CHANGED,
        reason_detail="1",
        depends_on=("connection.snowflake_globorealty", "datastore.rawdata"),
        consumers=(latest, pinned, by_path),
    )
    delete = change(
        "datastore.archive",
        Action.DELETE,
        consumers=(
            pinned.model_copy(update={"reference": "azureml:old_prices:3", "version": "3"}),
        ),
    )
    schedule = change(
        "schedule.raw_house_data-schedule",
        Action.UPDATE,
        FieldChange(path="import_definition.source.query", before="SELECT 1", after="SELECT 2"),
        depends_on=("import.raw_house_data",),
    )
    return Plan(
        environment="dev",
        workspace="azureml:sub/rg/ws",
        resource_changes=(import_change, schedule, delete),
        ignored=(IgnoredResource(address="connection.x", reason="managed by @org/team <b>"),),
        consumer_window=ConsumerWindow(days=30, jobs=200),
    )


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_terminal_plan_matches_golden() -> None:
    golden("plan.txt", terminal.render_plan(sample_plan()))


def test_markdown_plan_matches_golden() -> None:
    golden("plan.md", markdown.render_plan(sample_plan()))


def test_consumers_in_the_terminal_plan_match_golden() -> None:
    golden("plan-consumers.txt", terminal.render_plan(consumers_plan()))


def test_consumers_in_the_markdown_plan_match_golden() -> None:
    golden("plan-consumers.md", markdown.render_plan(consumers_plan()))


def test_json_plan_matches_golden_and_round_trips() -> None:
    text = sample_plan().to_json()
    golden("plan.json", text)
    assert Plan.from_json(text) == sample_plan()
    with_consumers = consumers_plan().to_json()
    golden("plan-consumers.json", with_consumers)
    assert Plan.from_json(with_consumers) == consumers_plan()


def test_summary_counts_materialize_as_add_and_ignores_in_progress() -> None:
    assert sample_plan().summary.line() == (
        "Plan: 2 to add, 1 to change, 1 to replace, 1 to destroy."
    )


def test_colour_output_has_ansi_codes_and_plain_has_none() -> None:
    assert "\x1b[" in terminal.render_plan(sample_plan(), color=True)
    assert "\x1b[" not in terminal.render_plan(sample_plan(), color=False)


@pytest.mark.parametrize("count", [2_000])
def test_a_huge_markdown_plan_is_truncated_under_the_limit_with_a_visible_note(count: int) -> None:
    changes = tuple(
        change(
            f"datastore.store_{i:05d}",
            Action.CREATE,
            FieldChange(path="account_name", after=f"account{i}"),
            FieldChange(path="container_name", after=f"container{i}"),
        )
        for i in range(count)
    )
    plan = sample_plan().model_copy(update={"resource_changes": changes})
    text = markdown.render_plan(plan)
    assert len(text) < 60_000
    assert "**Plan: 2000 to add, 0 to change, 0 to replace, 0 to destroy.**" in text
    assert "Truncated:" in text and "of 2000 changed resources are not shown" in text
    assert text.count("<details>") == text.count("</details>")


def test_provenance_keeps_the_dirty_mark_of_a_local_apply() -> None:
    from reconciler.render.tables import made_by

    local = {"by": "ana@laptop", "commit": "0123456789abcdef0123+dirty", "at": "2026-12-01"}
    assert made_by(local) == "ana@laptop, 0123456789ab+dirty, 2026-12-01"
    assert made_by({"commit": "0123456789abcdef0123"}) == "0123456789ab"


def test_mermaid_labels_cannot_break_out_and_the_picture_is_deterministic() -> None:
    from reconciler.render import mermaid

    hostile = 'x"]:::add\n  n9["<img src=x>#`|&'
    escaped = mermaid.escape(hostile)
    assert not set('"<>`|\n') & set(escaped.replace("#quot;", "").replace("#lt;", ""))
    assert escaped.count('"') == 0 and "<" not in escaped and "\n" not in escaped
    plan = consumers_plan()
    first, again = mermaid.picture(plan), mermaid.picture(plan.model_copy())
    assert first == again and first.text is not None
    ids = [line.split("[", 1)[0].strip() for line in first.text.splitlines() if '["' in line]
    assert ids == [f"n{i}" for i in range(1, len(ids) + 1)]
