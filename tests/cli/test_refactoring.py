"""``moved:`` and ``removed:`` as a user meets them: located errors, the plan in every format, a
saved plan reviewed and applied, and what the next plan says (issue 17 items 2 and 3)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.cli.test_immutable_data import BASE, HOUSES, declare, files, line_of, ready, seed, write
from tests.conftest import RunCli

MOVED = "moved:\n  - from: import.house_sales_urban\n    to: import.house_sales\n"


def renamed(project: Path, invoke: RunCli) -> None:
    """house_sales_urban imported (9,995 rows) and applied; then declared as house_sales."""
    owner = ready(project, invoke)
    seed(project, "house_sales_urban", HOUSES, owner, rows=9995)
    write(project, declare("house_sales_urban", HOUSES))
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
    write(project, declare("house_sales", HOUSES))
    with (project / "platform.yaml").open("a") as f:
        f.write(MOVED)


def test_a_move_shows_as_moved_in_text_markdown_and_json(project: Path, invoke: RunCli) -> None:
    renamed(project, invoke)

    text = invoke("plan", cwd=project)
    markdown = invoke("plan", "--format", "markdown", cwd=project)
    plan = json.loads(invoke("plan", "--format", "json", cwd=project).stdout)

    assert text.code == 0, text.output
    assert "> import.house_sales  move from import.house_sales_urban" in text.stdout
    assert "# import.house_sales_urban has moved to import.house_sales" in text.stdout
    assert "materialize" not in text.stdout
    assert "1 to move." in text.stdout
    assert "<code>import.house_sales</code> move from import.house_sales_urban" in markdown.stdout
    assert "# import.house_sales_urban has moved to import.house_sales" in markdown.stdout
    (change,) = [c for c in plan["resource_changes"] if c["address"] == "import.house_sales"]
    assert change["previous_address"] == "import.house_sales_urban"
    assert (change["action"], change["change"]["actions"]) == ("move", ["no-op"])


def test_a_reviewed_move_applies_as_shown_and_then_converges(project: Path, invoke: RunCli) -> None:
    renamed(project, invoke)
    assert invoke("plan", "--out", "move.json", cwd=project).code == 0

    applied = invoke("apply", "move.json", cwd=project)

    assert applied.code == 0, applied.output
    assert "import.house_sales" in applied.stdout
    assert files(project, "house_sales") == {"1/part-00000.parquet": "house_sales_urban 9995 rows"}
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
    status = invoke("status", cwd=project)
    assert "house_sales " in status.stdout and "never run" not in status.stdout


def test_moved_entries_are_checked_with_their_lines(project: Path, invoke: RunCli) -> None:
    ready(project, invoke)
    cases = {
        "moved:\n  - {from: import.house_sales, to: import.elsewhere}\n": (
            "moved[0].from: import.house_sales is still declared"
        ),
        "moved:\n  - {from: import.old, to: import.nowhere}\n": (
            "moved[0].to: import.nowhere is not declared"
        ),
        "moved:\n  - {from: import.old, to: connection.snowflake_globorealty}\n": (
            "a move keeps the kind of resource"
        ),
        "moved:\n  - {from: import.a, to: import.b}\n  - {from: import.b, to: import.a}\n": (
            "loop"
        ),
        "moved:\n  - {from: imports.old, to: import.house_sales}\n": "is not an address",
        "removed:\n  - {from: import.house_sales, destroy: false}\n": (
            "removed[0].from: import.house_sales is declared"
        ),
        "removed:\n  - from: datastore.lake\n": "say what happens to it: destroy: false",
    }
    for entry, message in cases.items():
        write(project, declare("house_sales", HOUSES))
        with (project / "platform.yaml").open("a") as f:
            f.write(entry)
        result = invoke("validate", cwd=project)
        assert result.code == 1, entry
        assert message in result.stderr, (entry, result.stderr)
        first = entry.splitlines()[1].strip()[:12]
        assert f"platform.yaml:{line_of(project, first)}:" in result.stderr, result.stderr


def test_a_chain_of_moves_ends_at_the_declared_address(project: Path, invoke: RunCli) -> None:
    renamed(project, invoke)
    text = (project / "platform.yaml").read_text().replace("house_sales:\n", "house_sales_all:\n")
    chain = "  - from: import.house_sales\n    to: import.house_sales_all\n"
    (project / "platform.yaml").write_text(text + chain)

    result = invoke("plan", cwd=project)

    assert result.code == 0, result.output
    assert "> import.house_sales_all  move from import.house_sales_urban" in result.stdout


def test_a_removed_import_is_forgotten_and_no_longer_drift(project: Path, invoke: RunCli) -> None:
    owner = ready(project, invoke)
    seed(project, "house_sales_urban", HOUSES, owner)
    (project / "platform.yaml").write_text(BASE)
    drift = invoke("plan", "--detailed-exitcode", cwd=project)
    assert drift.code == 2 and "no longer declared" in drift.stdout  # before: drift forever

    removed = "removed:\n  - from: import.house_sales_urban\n    destroy: false\n"
    (project / "platform.yaml").write_text(BASE + removed)
    plan = invoke("plan", cwd=project)
    assert ". import.house_sales_urban  forget (no longer managed by reconciler" in plan.stdout
    assert "1 to forget." in plan.stdout
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
    (project / "platform.yaml").write_text(BASE)
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0
    assert files(project, "house_sales") == {"1/part-00000.parquet": "house_sales_urban 3 rows"}


def test_removed_with_destroy_deletes_and_prevent_destroy_still_refuses(
    project: Path, invoke: RunCli
) -> None:
    text = BASE.replace(
        "    credentials:\n      account_key",
        "    lifecycle: {prevent_destroy: true}\n    credentials:\n      account_key",
    )
    (project / "platform.yaml").write_text(text)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    without = BASE[: BASE.index("datastores:")]
    (project / "platform.yaml").write_text(
        without + "removed:\n  - from: datastore.rawdata\n    destroy: true\n"
    )
    refused = invoke("plan", cwd=project)
    assert refused.code == 1
    assert "datastore.rawdata is protected by lifecycle.prevent_destroy" in refused.stderr
    assert "removed[0].from" in refused.stderr

    (project / "platform.yaml").write_text(
        text.replace("prevent_destroy: true", "prevent_destroy: false")
    )
    assert invoke("apply", "--auto-approve", cwd=project).code == 0  # only false lifts it
    (project / "platform.yaml").write_text(
        without + "removed:\n  - from: datastore.rawdata\n    destroy: true\n"
    )
    plan = invoke("plan", cwd=project)
    assert "- datastore.rawdata  delete (removed: destroy: true)" in plan.stdout, plan.stdout


def test_export_after_two_applied_renames_declares_the_import_once_under_its_last_name(
    project: Path, invoke: RunCli
) -> None:
    """The trial: after a rename, `reconcile export` declared no import at all."""
    renamed(project, invoke)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    write(project, declare("house_sales_all", HOUSES))
    with (project / "platform.yaml").open("a") as f:
        f.write("moved:\n  - from: import.house_sales\n    to: import.house_sales_all\n")
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0

    exported = invoke("export", "--out", "exported.yaml", cwd=project)

    assert exported.code == 0, exported.output
    data = yaml.safe_load((project / "exported.yaml").read_text())
    assert data["imports"] == {
        "house_sales_all": {
            "source": {
                "type": "database",
                "connection": "snowflake_globorealty",
                "query": "SELECT 1",
            },
            "path": HOUSES,
        }
    }
    (project / "platform.yaml").write_text((project / "exported.yaml").read_text())
    validated = invoke("validate", cwd=project)
    assert validated.code == 0, validated.output
