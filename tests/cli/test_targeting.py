"""Plan or apply one resource (-target, with what it depends on), a new snapshot of an
unchanged import (--replace), and what this project manages (reconcile list)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunCli, local_env
from tests.snowflake_fixture import LocalSnowflake

GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SHA": "abcdef0123456789",
    "GITHUB_REPOSITORY": "globorealty/platform",
    "GITHUB_RUN_ID": "9",
    "GITHUB_ACTOR": "octocat",
    "RECONCILER_PULL_REQUEST": "31",
}


def changed(result_json: str) -> list[str]:
    plan = json.loads(result_json)
    return [c["address"] for c in plan["resource_changes"] if c["change"]["actions"] != ["no-op"]]


def test_a_target_brings_what_it_depends_on_and_nothing_else(
    globorealty: Path, invoke: RunCli
) -> None:
    only_store = invoke(
        "plan", "--target", "datastore.rawdata", "--format", "json", cwd=globorealty
    )
    assert only_store.code == 0
    assert changed(only_store.stdout) == ["datastore.rawdata"]

    the_import = invoke(
        "plan", "--target", "import.raw_house_data", "--format", "json", cwd=globorealty
    )
    assert changed(the_import.stdout) == [
        "connection.snowflake_globorealty",
        "datastore.rawdata",
        "import.raw_house_data",
    ]
    shown = invoke("plan", "--target", "datastore.rawdata", cwd=globorealty)
    assert (
        "Targeted plan: only datastore.rawdata and what they depend on. Other changes and drift "
        "may be left out; plan without --target to see the whole workspace."
    ) in shown.stdout
    assert "Targeted plan" not in invoke("plan", cwd=globorealty).stdout

    applied = invoke("apply", "--auto-approve", "--target", "datastore.rawdata", cwd=globorealty)
    assert applied.code == 0, applied.output
    assert "Apply complete: 1 applied" in applied.stdout
    rest = invoke("plan", "--format", "json", cwd=globorealty)
    assert changed(rest.stdout) == ["connection.snowflake_globorealty", "import.raw_house_data"]


def test_an_unknown_target_lists_what_exists(globorealty: Path, invoke: RunCli) -> None:
    result = invoke("plan", "--target", "datastore.nope", cwd=globorealty)
    assert result.code == 1
    assert "--target datastore.nope: no such resource" in result.stderr
    assert "datastore.rawdata" in result.stderr


def test_replace_takes_a_new_snapshot_of_an_unchanged_import(
    globorealty: Path, invoke: RunCli
) -> None:
    assert invoke("apply", "--auto-approve", cwd=globorealty, env=GITHUB).code == 0
    assert invoke("plan", "--detailed-exitcode", cwd=globorealty).code == 0

    again = invoke("plan", "--replace", "import.raw_house_data", "--out", "p.json", cwd=globorealty)
    assert again.code == 0, again.output
    assert "import.raw_house_data  materialize version 2: a new version was asked for" in (
        again.stdout
    )
    applied = invoke("apply", "p.json", cwd=globorealty)
    assert applied.code == 0, applied.output
    status = invoke("status", cwd=globorealty)
    assert "raw_house_data  2 " in status.stdout


def test_list_shows_what_is_managed_with_versions_and_provenance(
    globorealty: Path, invoke: RunCli
) -> None:
    assert invoke("apply", "--auto-approve", cwd=globorealty, env=GITHUB).code == 0
    listed = invoke("list", cwd=globorealty)
    assert listed.code == 0, listed.output
    assert "Managed for default/local:" in listed.stdout
    assert "connection.snowflake_globorealty  -        octocat, PR #31, abcdef012345" in (
        listed.stdout
    )
    assert "import.raw_house_data             1        octocat, PR #31, abcdef012345" in (
        listed.stdout
    )
    shown = invoke("show", "raw_house_data", "--rows", "1", cwd=globorealty)
    assert "Made by: octocat, PR #31, abcdef012345" in shown.stdout
    status = invoke("status", cwd=globorealty)
    assert "octocat, PR #31" in status.stdout


def test_a_replace_that_failed_is_owed_until_it_succeeds(
    globorealty: Path, invoke: RunCli, local_snowflake: LocalSnowflake
) -> None:
    """As Terraform keeps a resource whose replacement failed tainted: the next plan finishes
    what the failed apply was asked to do, as its failure message promises."""
    env_file = globorealty / "environments/local.env"
    assert invoke("apply", "--auto-approve", cwd=globorealty).code == 0
    env_file.write_text(local_env(user=local_snowflake.username, password="wrong-password-1"))

    failed = invoke(
        "apply", "--replace", "import.raw_house_data", "--auto-approve", cwd=globorealty
    )
    assert failed.code == 3, failed.output
    assert "plan and apply again: the new plan finishes what is left" in failed.output

    env_file.write_text(local_env(user=local_snowflake.username, password=local_snowflake.password))
    owed = invoke("plan", "--detailed-exitcode", cwd=globorealty)
    assert owed.code == 2, owed.output
    assert (
        "import.raw_house_data  materialize version 2: retry: the last import of this "
        "definition failed"
    ) in owed.stdout
    assert invoke("apply", "--auto-approve", cwd=globorealty).code == 0
    assert "raw_house_data  2 " in invoke("status", cwd=globorealty).stdout
    assert invoke("plan", "--detailed-exitcode", cwd=globorealty).code == 0


def test_a_changed_import_says_who_made_its_current_version(
    globorealty: Path, invoke: RunCli
) -> None:
    assert invoke("apply", "--auto-approve", cwd=globorealty, env=GITHUB).code == 0
    platform = globorealty / "platform.yaml"
    platform.write_text(platform.read_text().replace("REAL_ESTATE.RAW", "REAL_ESTATE.RAW LIMIT 5"))

    planned = invoke("plan", cwd=globorealty)
    assert "import.raw_house_data  materialize version 2: definition changed since version 1" in (
        planned.stdout
    )
    assert "# last changed by octocat (pull request #31) at abcdef012345" in planned.stdout


def test_show_tells_an_undeclared_asset_from_one_not_imported_yet(
    globorealty: Path, invoke: RunCli
) -> None:
    typo = invoke("show", "raw_house", cwd=globorealty)
    assert typo.code == 1
    assert "no data asset 'raw_house' in this workspace, and no import of that name" in (
        typo.stderr
    )
    assert "declared imports: raw_house_data" in typo.stderr
    not_yet = invoke("show", "raw_house_data", cwd=globorealty)
    assert not_yet.code == 1
    assert "data asset 'raw_house_data' has no registered version yet" in not_yet.stderr
