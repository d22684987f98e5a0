"""The local S3 server: idempotent start/stop, the seeded bucket, demo logins checked as S3 does."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from reconciler_testing.locals3 import (
    BUCKET,
    DEMO_SECRET_ACCESS_KEY,
    NO_ACCESS_KEY_ID,
    NO_ACCESS_SECRET_ACCESS_KEY,
)
from reconciler_testing.locals3 import server as local_server
from reconciler_testing.locals3.generate import client, demo_objects
from tests.s3_fixture import LocalS3


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=120, check=False
    )


def error_code(call: object) -> str:
    assert callable(call)
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_status_and_a_second_start_find_the_running_server(local_s3: LocalS3) -> None:
    running = local_server.status(local_s3.state_dir)
    again = local_server.start(local_s3.state_dir, port=0)

    assert running is not None
    assert (running.port, running.pid) == (local_s3.port, local_s3.pid)
    assert again == running
    assert running.target() == local_s3.target()


def test_cli_status_prints_where_it_runs_and_its_demo_keys_to_paste(local_s3: LocalS3) -> None:
    done = cli(
        "reconciler_testing.locals3.server", "status", "--state-dir", str(local_s3.state_dir)
    )

    assert done.returncode == 0
    assert f"# connection target: {local_s3.target()}\n" in done.stdout
    exports = [line for line in done.stdout.splitlines() if line.startswith("export ")]
    assert exports == [
        f"export S3_ACCESS_KEY_ID={local_s3.access_key_id}",
        f"export S3_SECRET_ACCESS_KEY={DEMO_SECRET_ACCESS_KEY}",  # a demo value, to paste
    ]


def test_the_bucket_holds_the_deterministic_listing_files(local_s3: LocalS3) -> None:
    s3 = local_s3.client()
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]

    assert keys == sorted(demo_objects())
    assert demo_objects() == local_s3.objects  # same seed, same bytes
    for key in keys:
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == local_s3.objects[key]
    assert b"listing_id,city,bedrooms" in local_s3.objects["listings/2026-10/listings.csv"]


def test_logins_are_checked_as_s3_checks_them(local_s3: LocalS3) -> None:
    wrong_secret = client(local_s3.endpoint, local_s3.access_key_id, "not-the-secret")
    unknown_key = client(local_s3.endpoint, "AKIANOSUCHKEY0000000", "whatever")
    no_access = client(local_s3.endpoint, NO_ACCESS_KEY_ID, NO_ACCESS_SECRET_ACCESS_KEY)

    assert error_code(lambda: wrong_secret.list_objects_v2(Bucket=BUCKET)) == (
        "SignatureDoesNotMatch"
    )
    assert error_code(lambda: unknown_key.list_objects_v2(Bucket=BUCKET)) == "InvalidAccessKeyId"
    assert error_code(lambda: no_access.list_objects_v2(Bucket=BUCKET)) == "AccessDenied"


def test_stop_and_status_are_fine_when_nothing_runs(tmp_path: Path) -> None:
    assert local_server.status(tmp_path) is None
    assert local_server.stop(tmp_path) is False

    status = cli("reconciler_testing.locals3.server", "status", "--state-dir", str(tmp_path))
    stop = cli("reconciler_testing.locals3.server", "stop", "--state-dir", str(tmp_path))
    assert (status.returncode, status.stdout.strip()) == (1, "not running")
    assert (stop.returncode, stop.stdout.strip()) == (0, "not running")


def test_the_server_stops_when_the_process_it_exits_with_is_gone(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        info = local_server.start(tmp_path, port=0, listings=0, exit_with=parent.pid)
        assert local_server.status(tmp_path) == info
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and local_server.status(tmp_path) is not None:
        time.sleep(0.1)
    assert local_server.status(tmp_path) is None
    local_server.stop(tmp_path)


def test_a_port_in_use_is_reported(local_s3: LocalS3, tmp_path: Path) -> None:
    with pytest.raises(local_server.LocalServerError, match="exited during start-up"):
        local_server.start(tmp_path, port=local_s3.port, listings=0)
    assert local_server.status(tmp_path) is None
