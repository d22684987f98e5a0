"""S3 file imports through the CLI on the embedded workspace, against a real local S3 server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import DEMO_KEY, RunCli, write_project
from tests.s3_fixture import LocalS3

WRONG_SECRET = "Wr0ng-S3-secret-7Kq2-never-print-me"
PLATFORM = """\
default_environment: local
connections:
  s3_globorealty:
    type: s3
    target: https://globorealty-raw.s3.eu-west-1.amazonaws.com
    credentials:
      type: access_key
      access_key_id: ${S3_ACCESS_KEY_ID}
      secret_access_key: ${env:S3_SECRET_ACCESS_KEY}
datastores:
  rawdata:
    type: azure_blob
    account_name: globorealtydata
    container_name: rawdata
    credentials:
      account_key: ${env:STORAGE_ACCOUNT_KEY}
imports:
  listing_files:
    source:
      type: file_system
      connection: azureml:s3_globorealty
      path: listings/
    path: azureml://datastores/rawdata/paths/listing_files
"""
# the local environment points the connection at the local server, as for Snowflake
LOCAL = """\
env_file: environments/local.env
workspace:
  provider: local
  path: .reconcile/local
connections:
  s3_globorealty:
    target: {target}
"""


def env_file(s3: LocalS3, secret: str | None = None) -> str:
    return (
        f"S3_ACCESS_KEY_ID={s3.access_key_id}\n"
        f"S3_SECRET_ACCESS_KEY={secret or s3.secret_access_key}\n"
        f"STORAGE_ACCOUNT_KEY={DEMO_KEY}\n"
    )


def s3_project(
    root: Path, s3: LocalS3, *, bucket: str | None = None, secret: str | None = None
) -> Path:
    return write_project(
        root,
        {
            "platform.yaml": PLATFORM,
            "environments/local.yaml": LOCAL.format(target=s3.target(bucket or s3.bucket)),
            "environments/local.env": env_file(s3, secret),
        },
    )


def landed(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def status_row(stdout: str, name: str) -> list[str]:
    """The cells of ``name``'s row in ``reconcile status`` (columns split by 2+ spaces)."""
    (line,) = [line for line in stdout.splitlines() if line.startswith(f"{name}  ")]
    return re.split(r" {2,}", line.strip())


def data_files(project: Path) -> list[Path]:
    return [p for p in (project / ".reconcile/local/datastores").rglob("*") if p.is_file()]


def test_an_s3_import_lands_the_files_registers_version_1_and_converges(
    tmp_path: Path, local_s3: LocalS3, invoke: RunCli
) -> None:
    project = s3_project(tmp_path, local_s3)

    planned = invoke("plan", cwd=project)
    assert planned.code == 0, planned.output
    assert "import.listing_files" in planned.stdout
    assert "materialize version 1" in planned.stdout

    applied = invoke("apply", "--auto-approve", cwd=project)
    assert applied.code == 0, applied.output
    assert "Apply complete: 3 applied, 0 failed, 0 skipped." in applied.stdout

    folder = project / ".reconcile/local/datastores/rawdata/listing_files/1"
    expected = {
        key.removeprefix("listings/"): content
        for key, content in local_s3.objects.items()
        if key.startswith("listings/")
    }
    assert landed(folder) == expected
    assert not (project / ".reconcile/local/staging").exists() or not any(
        (project / ".reconcile/local/staging").iterdir()
    )

    status = invoke("status", cwd=project)
    assert status.code == 0, status.output
    row = status_row(status.stdout, "listing_files")
    assert row[1] == "1"  # latest version
    assert "Completed" in row and "7 files" in row  # the last job copied 7 files

    shown = invoke("show", "listing_files", cwd=project)
    assert shown.code == 0, shown.output
    size = sum(len(content) for content in expected.values())
    assert f"Data asset listing_files, version 1: 7 file(s), {size:,} bytes" in shown.stdout
    assert sorted(expected)[0] in shown.stdout  # the first files, by name

    again = invoke("plan", "--detailed-exitcode", cwd=project)
    assert again.code == 0, again.output
    assert "No changes." in again.stdout


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "wrong-secret",
            "S3 rejected the secret access key of connection 's3_globorealty' "
            "(access key id 'AKIALOCALS3DEMO00001': SignatureDoesNotMatch)",
        ),
        ("missing-bucket", "bucket 'globorealty-missing' does not exist at http://127.0.0.1:"),
        ("empty-prefix", "no files under http://127.0.0.1:"),
        ("escaping-key", "object 'listings/../../../escape.csv' cannot be copied"),
    ],
)
def test_a_failing_s3_import_fails_its_job_and_leaves_no_files_or_version(
    tmp_path: Path, local_s3: LocalS3, invoke: RunCli, case: str, message: str
) -> None:
    bucket, secret = None, None
    if case == "wrong-secret":
        secret = WRONG_SECRET
    elif case == "missing-bucket":
        bucket = "globorealty-missing"
    elif case == "empty-prefix":
        bucket = local_s3.new_bucket({"elsewhere/file.csv": b"x\n"})
    else:
        bucket = local_s3.new_bucket(
            {"listings/-first.csv": b"a\n", "listings/../../../escape.csv": b"pwned\n"}
        )
    project = s3_project(tmp_path / "project", local_s3, bucket=bucket, secret=secret)

    failed = invoke("apply", "--auto-approve", cwd=project)

    assert failed.code == 3, failed.output
    assert "Apply failed part-way: 2 applied, 1 failed, 0 skipped." in failed.stdout
    assert "failed: import.listing_files: import listing_files failed" in failed.stdout
    assert message in failed.output
    assert WRONG_SECRET not in failed.output
    assert local_s3.secret_access_key not in failed.output
    assert data_files(project) == []
    assert not list(tmp_path.rglob("escape.csv"))

    status = invoke("status", cwd=project).stdout
    row = status_row(status, "listing_files")
    assert row[1] == "-" and "Failed" in row  # no version; the job failed
    assert message in status


def test_check_sources_reports_a_missing_bucket_before_anything_changes(
    tmp_path: Path, local_s3: LocalS3, invoke: RunCli
) -> None:
    project = s3_project(tmp_path, local_s3, bucket="globorealty-missing")

    checked = invoke("plan", "--check-sources", cwd=project)
    assert checked.code == 1, checked.output
    assert "materialize version 1" in checked.stdout
    assert "source check failed" in checked.stderr
    assert "bucket 'globorealty-missing' does not exist" in checked.stderr
    assert "hint: fix the source path or the connection's credentials" in checked.stderr
    assert "query" not in checked.stderr

    refused = invoke("apply", "--auto-approve", "--check-sources", cwd=project)
    assert refused.code != 0
    assert "bucket 'globorealty-missing' does not exist" in refused.output
    assert not (project / ".reconcile/local/datastores").exists()
    assert "never run" in invoke("status", cwd=project).stdout


def test_check_sources_passes_for_a_readable_folder(
    tmp_path: Path, local_s3: LocalS3, invoke: RunCli
) -> None:
    project = s3_project(tmp_path, local_s3)

    checked = invoke("plan", "--check-sources", "--detailed-exitcode", cwd=project)

    assert checked.code == 2, checked.output
    assert "source check failed" not in checked.output
    assert re.search(r"import\.listing_files: ok, \d+ files, [\d,]+ bytes", checked.stdout)


def test_passed_source_checks_are_a_list_in_a_markdown_plan_and_keep_json_whole(
    tmp_path: Path, local_s3: LocalS3, invoke: RunCli
) -> None:
    from markdown_it import MarkdownIt

    project = s3_project(tmp_path, local_s3)

    md = invoke("plan", "--check-sources", "--format", "markdown", cwd=project)

    assert md.code == 0, md.output
    tokens = MarkdownIt("commonmark").parse(md.stdout)
    items = [
        tokens[i + 2].content
        for i, t in enumerate(tokens)
        if t.type == "list_item_open" and tokens[i + 2].type == "inline"
    ]
    assert any(
        re.fullmatch(r"`import\.listing_files`: ok, \d+ files, .+ bytes.*", i) for i in items
    )
    as_json = invoke("plan", "--check-sources", "--format", "json", cwd=project)
    assert json.loads(as_json.stdout)["resource_changes"]  # nothing printed after the JSON
    assert "import.listing_files: ok" in as_json.stderr
