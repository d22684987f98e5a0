"""pytest plugin: a real local S3 server (moto) for the whole test session.

Register with ``pytest_plugins = ["tests.s3_fixture"]``. The ``local_s3`` fixture starts the
server once per session in a temporary state directory on a free port, with request signing
checked, and seeds bucket ``globorealty-raw`` with the deterministic listing files under
``listings/`` (`reconciler_testing.locals3.generate.demo_objects`); it stops the server at teardown.
Tests that need other contents put them in a bucket of their own (`LocalS3.new_bucket`), so the
seeded bucket stays as seeded.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler_testing.locals3 import (
    BUCKET,
    DEFAULT_LISTINGS,
    DEMO_ACCESS_KEY_ID,
    DEMO_SECRET_ACCESS_KEY,
    PREFIX,
)
from reconciler_testing.locals3 import server as local_server
from reconciler_testing.locals3.generate import client, demo_objects, put_objects

_buckets = itertools.count(1)


@dataclass(frozen=True)
class LocalS3:
    host: str
    port: int
    endpoint: str
    state_dir: Path
    pid: int
    access_key_id: str
    secret_access_key: str = field(repr=False)
    bucket: str = BUCKET
    prefix: str = PREFIX
    objects: Mapping[str, bytes] = field(default_factory=dict, repr=False)

    def target(self, bucket: str = BUCKET) -> str:
        """The connection target of ``bucket`` on this server."""
        return f"{self.endpoint}/{bucket}"

    def client(self) -> Any:
        return client(self.endpoint, self.access_key_id, self.secret_access_key)

    def new_bucket(self, objects: Mapping[str, bytes]) -> str:
        """A fresh bucket holding ``objects``; returns its name."""
        name = f"test-bucket-{next(_buckets):04d}"
        put_objects(self.client(), name, objects)
        return name


@pytest.fixture(scope="session")
def local_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalS3]:
    state_dir = tmp_path_factory.mktemp("local-s3")
    info = local_server.start(state_dir, port=0, exit_with=os.getpid())
    try:
        yield LocalS3(
            host=info.host,
            port=info.port,
            endpoint=info.endpoint,
            state_dir=state_dir,
            pid=info.pid,
            access_key_id=DEMO_ACCESS_KEY_ID,
            secret_access_key=DEMO_SECRET_ACCESS_KEY,
            objects=demo_objects(DEFAULT_LISTINGS),
        )
    finally:
        local_server.stop(state_dir)
