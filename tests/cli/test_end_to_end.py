"""The CLI end to end, as a user runs it, on a real local Snowflake: one run in real processes,
the rest through `main(argv)` in this process (same exit codes and output, no interpreter
start-up each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunCli, local_env
from tests.snowflake_fixture import LocalSnowflake

SCHEDULE = """\
    schedule:
      trigger:
        type: cron
        expression: "0 3 * * *"
        time_zone: UTC
"""


def set_password(project: Path, password: str, user: str) -> None:
    (project / "environments/local.env").write_text(local_env(user=user, password=password))


def edit(project: Path, old: str, new: str) -> None:
    path = project / "platform.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))


def test_plan_apply_plan_converges_and_a_query_edit_plans_version_2(
    globorealty: Path, run_cli: RunCli
) -> None:
    first = run_cli("plan", "--detailed-exitcode", cwd=globorealty)
    assert first.code == 2, first.output
    assert "Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy." in first.stdout

    applied = run_cli("apply", "--auto-approve", cwd=globorealty)
    assert applied.code == 0, applied.output
    assert "Apply complete: 3 applied, 0 failed, 0 skipped." in applied.stdout

    again = run_cli("plan", "--env", "local", "--detailed-exitcode", cwd=globorealty)
    assert again.code == 0, again.output
    assert "No changes." in again.stdout

    status = run_cli("status", cwd=globorealty)
    assert status.code == 0
    assert "raw_house_data  1               Completed  10,000" in status.stdout

    edit(globorealty, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE BEDROOMS >= 3")
    changed = run_cli("plan", "--detailed-exitcode", "--format", "json", cwd=globorealty)
    assert changed.code == 2
    doc = json.loads(changed.stdout)
    (item,) = [c for c in doc["resource_changes"] if c["change"]["actions"] != ["no-op"]]
    assert item["address"] == "import.raw_house_data"
    assert item["change"]["actions"] == ["create"]
    assert item["version"] == "2"

    assert run_cli("apply", "--auto-approve", cwd=globorealty).code == 0
    v1 = run_cli("show", "raw_house_data", "--version", "1", cwd=globorealty)
    v2 = run_cli("show", "raw_house_data", cwd=globorealty)
    assert "version 1: 10,000 rows" in v1.stdout
    assert "version 2:" in v2.stdout and "version 2: 10,000 rows" not in v2.stdout
    assert "Numeric summary" in v2.stdout and "SALE_PRICE" in v2.stdout


def test_a_wrong_password_fails_the_import_and_a_fixed_one_converges(
    globorealty: Path, invoke: RunCli, local_snowflake: LocalSnowflake
) -> None:
    edit(globorealty, "    path: azureml://", SCHEDULE + "    path: azureml://")
    set_password(globorealty, "Wr0ng-Passw0rd-42", local_snowflake.username)
    failed = invoke("apply", "--auto-approve", cwd=globorealty)
    assert failed.code == 3, failed.output
    assert "Apply failed part-way: 2 applied, 1 failed, 1 skipped." in failed.stdout
    assert "failed: import.raw_house_data: import raw_house_data failed" in failed.stdout
    assert "skipped: schedule.raw_house_data-schedule: import.raw_house_data did not apply" in (
        failed.stdout
    )
    assert "Wr0ng-Passw0rd-42" not in failed.output
    assert not list((globorealty / ".reconcile/local/datastores").rglob("*.parquet"))

    retry = invoke("plan", cwd=globorealty)
    assert "retry: the last import of this definition failed" in retry.stdout

    set_password(globorealty, local_snowflake.password, local_snowflake.username)
    fixed = invoke("apply", "--auto-approve", cwd=globorealty)
    assert fixed.code == 0, fixed.output
    assert invoke("plan", "--detailed-exitcode", cwd=globorealty).code == 0
    assert "cron '0 3 * * *' UTC" in invoke("status", cwd=globorealty).stdout


def test_a_saved_plan_applies_only_where_a_fresh_plan_agrees(
    globorealty: Path, invoke: RunCli
) -> None:
    assert invoke("plan", "--out", "plan.json", cwd=globorealty).code == 0
    edit(globorealty, "container_name: rawdata", "container_name: rawdata\n    tags: {x: y}")
    differs = invoke("apply", "plan.json", "--fresh-plan-out", "fresh.json", cwd=globorealty)
    assert differs.code == 4, differs.output
    assert "datastore.rawdata: reviewed: create" in differs.stdout
    assert "nothing was applied" in differs.stderr
    assert (
        "review the plan made now, written to fresh.json, and apply it with: reconcile apply "
        "fresh.json"
    ) in differs.stderr
    assert not (globorealty / ".reconcile/local/datastores").exists()

    # the fresh plan, once reviewed, applies
    applied = invoke("apply", "fresh.json", cwd=globorealty)
    assert applied.code == 0, applied.output
    assert "Apply complete: 3 applied, 0 failed, 0 skipped." in applied.stdout

    # a reviewed change applies even when something else changed meanwhile; the unreviewed
    # change is listed and left alone
    edit(globorealty, "tags: {x: y}", "tags: {x: z}")
    assert invoke("plan", "--out", "plan.json", cwd=globorealty).code == 0
    edit(
        globorealty,
        "password: ${env:SNOWFLAKE_PASSWORD}",
        "password: ${env:SNOWFLAKE_PASSWORD}\n    tags: {owner: someone}",
    )
    partial = invoke("apply", "plan.json", cwd=globorealty)
    assert partial.code == 0, partial.output
    assert "Apply complete: 1 applied" in partial.stdout
    assert "Not applied: 1 change(s)" in partial.stdout
    assert "connection.snowflake_globorealty: update" in partial.stdout
    after = invoke("plan", "--detailed-exitcode", cwd=globorealty)
    assert after.code == 2 and "tags.owner" in after.stdout and "tags.x" not in after.stdout

    # a plan whose changes were all made meanwhile has nothing left to do
    assert invoke("plan", "--out", "plan.json", cwd=globorealty).code == 0
    assert invoke("apply", "--auto-approve", cwd=globorealty).code == 0  # someone else applied
    converged = invoke("apply", "plan.json", cwd=globorealty)
    assert converged.code == 0 and "Apply" not in converged.stdout

    # a reviewed plan with nothing to do, applied when something unreviewed changed: it says
    # so, never "No changes" above the change it leaves alone
    assert invoke("plan", "--out", "plan.json", cwd=globorealty).code == 0
    edit(globorealty, "tags: {owner: someone}", "tags: {owner: someone-else}")
    stale = invoke("apply", "plan.json", cwd=globorealty)
    assert stale.code == 0, stale.output
    assert "No changes" not in stale.stdout
    assert "Nothing the reviewed plan agreed on is left to apply." in stale.stdout
    assert "Not applied: 1 change(s)" in stale.stdout


def test_apply_without_a_terminal_needs_auto_approve(globorealty: Path, invoke: RunCli) -> None:
    result = invoke("apply", cwd=globorealty)
    assert result.code == 1
    assert "no terminal is attached" in result.stderr
    assert "--auto-approve" in result.stderr
    assert not (globorealty / ".reconcile/local/datastores").exists()


@pytest.mark.parametrize(
    ("old", "new", "cause"),
    [
        ("REAL_ESTATE.RAW", "REAL_ESTATE.NO_SUCH_TABLE", "NO_SUCH_TABLE"),
        ("REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE 1 = 0", "no rows"),
    ],
    ids=["sql-error", "no-rows"],
)
def test_a_failing_import_leaves_nothing_behind_and_is_retried(
    globorealty: Path, invoke: RunCli, old: str, new: str, cause: str
) -> None:
    edit(globorealty, old, new)
    checked = invoke("plan", "--check-sources", cwd=globorealty)
    if cause == "no rows":
        assert checked.code == 0, checked.output  # LIMIT 0 cannot tell an empty result
    else:
        assert checked.code == 1
        assert "source check failed" in checked.stderr and "raw_house_data" in checked.stderr
        assert cause in checked.stderr

    failed = invoke("apply", "--auto-approve", cwd=globorealty)
    assert failed.code == 3, failed.output
    assert "import raw_house_data failed" in failed.stdout
    assert cause in failed.stdout
    status = invoke("status", cwd=globorealty).stdout
    assert "raw_house_data  -               Failed" in status
    assert not list((globorealty / ".reconcile/local").rglob("*.parquet"))
    assert not list((globorealty / ".reconcile/local/staging").iterdir())
    plan = invoke("plan", "--detailed-exitcode", cwd=globorealty)
    assert plan.code == 2 and "materialize version 1: retry" in plan.stdout


def test_check_sources_passes_for_a_good_query_and_says_how_big(
    globorealty: Path, invoke: RunCli
) -> None:
    result = invoke("plan", "--check-sources", "--detailed-exitcode", cwd=globorealty)
    assert result.code == 2, result.output
    assert "Plan: 3 to add" in result.stdout
    assert "Source checks passed:\n  import.raw_house_data: ok, 10,000 rows" in result.stdout
    edit(globorealty, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE BEDROOMS >= 4")
    smaller = invoke("plan", "--check-sources", cwd=globorealty)
    rows = smaller.stdout.split("import.raw_house_data: ok, ")[1].split(" rows")[0]
    assert 0 < int(rows.replace(",", "")) < 10_000


def test_apply_check_sources_applies_nothing_when_a_query_fails(
    globorealty: Path, invoke: RunCli
) -> None:
    edit(globorealty, "REAL_ESTATE.RAW", "REAL_ESTATE.NO_SUCH_TABLE")
    result = invoke("apply", "--auto-approve", "--check-sources", cwd=globorealty)
    assert result.code == 1, result.output
    assert "source check failed" in result.stderr and "NO_SUCH_TABLE" in result.stderr
    assert invoke("plan", "--detailed-exitcode", cwd=globorealty).code == 2
    assert "Plan: 3 to add" in invoke("plan", cwd=globorealty).stdout  # nothing was applied


def test_an_unreachable_snowflake_fails_the_import_quickly_with_a_clear_message(
    globorealty: Path, invoke: RunCli
) -> None:
    overlay = globorealty / "environments/local.yaml"
    text = overlay.read_text()
    start = text.index("target: ") + len("target: ")
    end = text.index("\n", start)
    overlay.write_text(
        text[:start] + "jdbc:snowflake://127.0.0.1:9/?db=GLOBOREALTY&protocol=http" + text[end:]
    )
    failed = invoke("apply", "--auto-approve", cwd=globorealty)
    assert failed.code == 3
    assert "import raw_house_data failed" in failed.stdout
    assert "127.0.0.1:9" in failed.stdout
