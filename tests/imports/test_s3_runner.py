"""The S3 import runner against a real local S3 server: files on success, clear failures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.errors import ImportFailed
from reconciler.imports.base import ImportRequest
from reconciler.imports.s3 import S3ImportRunner
from reconciler_testing.locals3 import NO_ACCESS_KEY_ID, NO_ACCESS_SECRET_ACCESS_KEY
from tests.s3_fixture import LocalS3

WRONG_SECRET = "Wr0ng-s3-secret-never-print-me"


def request(s3: LocalS3, path: str | None = "listings", **overrides: Any) -> ImportRequest:
    credentials = {"access_key_id": s3.access_key_id, "secret_access_key": s3.secret_access_key}
    credentials.update(overrides.pop("credentials", {}))
    fields: dict[str, Any] = {
        "asset_name": "listing_files",
        "version": "1",
        "source_type": "file_system",
        "connection_name": "s3_globorealty",
        "connection_type": "s3",
        "connection_target": overrides.pop("target", None) or s3.target(),
        "credentials": credentials,
        "asset_type": "uri_folder",
        "path": path,
    }
    return ImportRequest(**{**fields, **overrides})


def landed(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def under(objects: Any, prefix: str) -> dict[str, bytes]:
    return {k.removeprefix(prefix): v for k, v in objects.items() if k.startswith(prefix)}


@pytest.fixture(scope="module")
def runner() -> S3ImportRunner:
    """One runner for the module: it is stateless but for the SDK's loaded service model."""
    return S3ImportRunner()


def failure(
    runner: S3ImportRunner, s3: LocalS3, folder: Path, path: str | None = "listings", **kw: Any
) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        runner.run(request(s3, path, **kw), folder)
    return caught.value


def test_import_copies_every_file_under_the_folder_keeping_its_path(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path
) -> None:
    seen: list[int] = []
    result = runner.run(request(local_s3), tmp_path, seen.append)

    expected = under(local_s3.objects, "listings/")
    assert landed(tmp_path) == expected
    assert result.files == tuple(sorted(expected))
    assert result.rows == len(expected) == 7
    assert seen == list(range(1, 8))


MONTHS = ("2026-09", "2026-10", "2026-11")
EVERYTHING = {f"{m}/{f}" for m in MONTHS for f in ("listings.csv", "photos.json")} | {
    "manifest.json"
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("listings/", EVERYTHING),
        ("/listings", EVERYTHING),
        ("listings/*", EVERYTHING),  # Azure ML's examples write folder/*
        ("listings/*/listings.csv", {f"{m}/listings.csv" for m in MONTHS}),
        ("listings/2026-1?/*.json", {"2026-10/photos.json", "2026-11/photos.json"}),
        ("listings/*.json", {f"{m}/photos.json" for m in MONTHS} | {"manifest.json"}),
        ("listings/2026-10", {"listings.csv", "photos.json"}),
        ("", {f"listings/{name}" for name in EVERYTHING}),  # the whole bucket
    ],
)
def test_source_paths_select_folders_and_trailing_globs(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path, path: str, expected: set[str]
) -> None:
    result = runner.run(request(local_s3, path), tmp_path)

    assert set(result.files) == set(landed(tmp_path)) == expected
    folder = "listings/2026-10/" if path == "listings/2026-10" else "listings/"
    for relative, content in landed(tmp_path).items():
        assert local_s3.objects[relative if path == "" else folder + relative] == content


def test_a_path_naming_one_object_imports_that_file(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path
) -> None:
    result = runner.run(request(local_s3, "listings/manifest.json"), tmp_path)

    assert result.files == ("manifest.json",)
    assert landed(tmp_path) == {"manifest.json": local_s3.objects["listings/manifest.json"]}


def test_a_folder_in_the_target_roots_the_source_path(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path
) -> None:
    target = local_s3.target() + "/listings"
    runner.run(request(local_s3, "2026-11", target=target), tmp_path)

    assert landed(tmp_path) == under(local_s3.objects, "listings/2026-11/")


def test_folder_markers_are_skipped_and_large_objects_stream_in_chunks(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path
) -> None:
    big = bytes(range(256)) * 12_288  # 3 MiB
    bucket = local_s3.new_bucket({"photos/": b"", "photos/2026/": b"", "photos/2026/big.bin": big})
    runner = S3ImportRunner(chunk_bytes=64 * 1024)
    result = runner.run(request(local_s3, "photos", target=local_s3.target(bucket)), tmp_path)

    assert result.files == ("2026/big.bin",)
    assert (tmp_path / "2026/big.bin").read_bytes() == big


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("listings/../../escape.csv", "'.' and '..' segments are not allowed"),
        ("listings//etc/cron.d/evil", "absolute paths are not allowed"),
        ("listings/a\\..\\..\\evil", "backslashes are not allowed"),
    ],
)
def test_a_key_that_would_leave_the_folder_fails_the_import(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path, key: str, reason: str
) -> None:
    bucket = local_s3.new_bucket({"listings/-first.csv": b"a\n", key: b"pwned\n"})
    staging = tmp_path / "staging"
    staging.mkdir()
    error = failure(runner, local_s3, staging, target=local_s3.target(bucket))

    assert f"object {key!r} cannot be copied into the import's folder" in error.message
    assert reason in error.message
    assert not list(tmp_path.parent.rglob("escape.csv"))
    assert not list(tmp_path.rglob("evil"))


def test_an_object_and_a_folder_of_one_name_fail_clearly(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path
) -> None:
    bucket = local_s3.new_bucket(
        {"data/a": b"file", "data/a-1": b"x", "data/a.csv": b"y", "data/a/b": b"nested"}
    )
    error = failure(runner, local_s3, tmp_path, "data", target=local_s3.target(bucket))

    assert error.message == (
        "import 'listing_files': object 'data/a' and object 'data/a/b' cannot both be copied: "
        "the first would have to be a file and a folder at once; nothing was imported"
    )


def test_check_passes_for_a_readable_non_empty_folder(
    runner: S3ImportRunner, local_s3: LocalS3
) -> None:
    everything = runner.check(request(local_s3))
    assert everything is not None and everything.files and everything.bytes
    assert everything.rows is None  # files are copied as they are: no rows to count
    json_only = runner.check(request(local_s3, "listings/*.json"))
    assert json_only is not None and json_only.files and json_only.bytes
    assert json_only.files < everything.files and json_only.bytes < everything.bytes


@pytest.mark.parametrize("operation", ["run", "check"])
@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            {"credentials": {"secret_access_key": WRONG_SECRET}},
            "S3 rejected the secret access key of connection 's3_globorealty' "
            "(access key id 'AKIALOCALS3DEMO00001': SignatureDoesNotMatch)",
        ),
        (
            {"credentials": {"access_key_id": "AKIAUNKNOWNKEY000000"}},
            "S3 rejected the access key id of connection 's3_globorealty' "
            "(access key id 'AKIAUNKNOWNKEY000000': InvalidAccessKeyId)",
        ),
        (
            {
                "credentials": {
                    "access_key_id": NO_ACCESS_KEY_ID,
                    "secret_access_key": NO_ACCESS_SECRET_ACCESS_KEY,
                }
            },
            "access denied to {target}/listings/ for access key id 'AKIALOCALS3NOACCESS1'",
        ),
        (
            {"bucket": "globorealty-missing"},
            "bucket 'globorealty-missing' does not exist at {endpoint} "
            "(connection 's3_globorealty')",
        ),
        ({"path": "no-such-folder/"}, "no files under {target}/no-such-folder/"),
        ({"path": "listings/*.parquet"}, "no files under {target}/listings/*.parquet"),
    ],
    ids=["wrong-secret", "unknown-key", "access-denied", "missing-bucket", "empty", "no-match"],
)
def test_failures_name_the_import_and_the_cause_and_never_the_secret(
    runner: S3ImportRunner,
    local_s3: LocalS3,
    tmp_path: Path,
    operation: str,
    case: dict[str, Any],
    message: str,
) -> None:
    case = dict(case)
    target = local_s3.target(case.pop("bucket", local_s3.bucket))
    req = request(local_s3, case.pop("path", "listings"), target=target, **case)
    with pytest.raises(ImportFailed) as caught:
        runner.run(req, tmp_path) if operation == "run" else runner.check(req)

    error = caught.value
    assert error.message.startswith("import 'listing_files': ")
    assert message.format(target=target, endpoint=local_s3.endpoint) in error.message
    assert error.hint
    for secret in (WRONG_SECRET, local_s3.secret_access_key, NO_ACCESS_SECRET_ACCESS_KEY):
        assert secret not in f"{error} {error.__cause__!r}"
    assert not list(tmp_path.iterdir())


def test_a_path_starting_with_the_bucket_name_gets_a_hint(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path
) -> None:
    error = failure(runner, local_s3, tmp_path, "globorealty-raw/listings")

    assert error.hint == (
        "the path is read inside bucket 'globorealty-raw' already: drop 'globorealty-raw/' from it"
    )


def test_an_unreachable_endpoint_fails_fast(
    runner: S3ImportRunner, local_s3: LocalS3, tmp_path: Path
) -> None:
    started = time.monotonic()
    error = failure(runner, local_s3, tmp_path, target="http://127.0.0.1:9/globorealty-raw")

    assert time.monotonic() - started < 10
    assert "could not reach S3 at http://127.0.0.1:9 through connection 's3_globorealty'" in (
        error.message
    )
    assert error.hint == "check that the server in the connection target is up and reachable"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target": "globorealty-raw"}, "connection 's3_globorealty' has an invalid target"),
        ({"connection_type": "azure_sql_db"}, "from azure_sql_db connections are not supported"),
        ({"asset_type": "mltable"}, "lands files as a uri_folder, not a mltable"),
        ({"credentials": {"secret_access_key": ""}}, "has no access key id or secret access key"),
        ({"path": "listings/../.."}, "the source path 'listings/../..' is not usable"),
    ],
)
def test_requests_it_cannot_run_are_refused_before_any_download(
    runner: S3ImportRunner,
    local_s3: LocalS3,
    tmp_path: Path,
    overrides: dict[str, Any],
    message: str,
) -> None:
    error = failure(runner, local_s3, tmp_path, overrides.pop("path", "listings"), **overrides)

    assert message in error.message
    assert not list(tmp_path.iterdir())
