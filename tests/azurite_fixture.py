"""pytest plugin: Azurite (Microsoft's Azure Storage emulator, from npm) for the whole session.

Register with ``pytest_plugins``. The ``azurite`` fixture starts ``azurite-blob`` once, lazily,
over HTTPS with OAuth (so the same bearer-token credentials as Azure ML work), in memory, on a
free port, and stops it at teardown. ``tools/azurite`` pins it (``make`` installs it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler_testing.emulator.tls import make_certificate

ROOT = Path(__file__).resolve().parents[1]
AZURITE = ROOT / "tools/azurite/node_modules/.bin/azurite-blob"
ACCOUNT = "devstoreaccount1"


@dataclass(frozen=True)
class Azurite:
    url: str  # the account URL: https://127.0.0.1:PORT/devstoreaccount1
    cert: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    if not AZURITE.exists():
        raise RuntimeError(f"{AZURITE} is missing: run `make venv` (it runs npm ci there)")
    folder = tmp_path_factory.mktemp("azurite")
    certs = make_certificate(folder / "tls")
    port = _free_port()
    process = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost", "127.0.0.1",
            "--blobPort", str(port),
            "--cert", str(certs.cert),
            "--key", str(certs.key),
            "--oauth", "basic",
            "--inMemoryPersistence",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"Azurite did not start: {error[-2000:]}") from None
                time.sleep(0.1)
        yield Azurite(f"https://127.0.0.1:{port}/{ACCOUNT}", certs.cert)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
