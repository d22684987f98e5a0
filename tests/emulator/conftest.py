"""Emulator fixtures: a running emulator per test and the real azure-ai-ml SDK pointed at it.

Emulators run with their default knobs (long-running operations polled, as on the service)
except that polls are 20 ms apart instead of a second, to keep the tests fast.

``ml`` is a real ``MLClient`` built after the emulator's environment variables were set (the
SDK reads ``AZUREML_DEV_URL_MFE`` once, in its constructor) and talks HTTPS to the emulator,
trusting its self-signed certificate through ``REQUESTS_CA_BUNDLE``. Tests that need the SDK
need azure-ai-ml, a hard dependency; raw-HTTP tests use `call` (urllib) instead.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler_testing.emulator import Emulator, FakeCredential

SUB = "11111111-2222-3333-4444-555555555555"
RG = "rg-emulator-tests"
WS = "ws-emulator-tests"
RECORDINGS = Path(__file__).parent / "recordings"

MakeEmulator = Callable[..., Emulator]
MakeClient = Callable[[Emulator], Any]


@pytest.fixture
def make_emulator(tmp_path: Path) -> Iterator[MakeEmulator]:
    """Start emulators with the given knobs (same workspace triple); all stopped at teardown."""
    started: list[Emulator] = []

    def make(**knobs: Any) -> Emulator:
        root = knobs.pop("root", tmp_path / f"workspace{len(started)}")
        knobs.setdefault("lro_retry_after", 0.02)  # polled as the service is, 20 ms apart
        emulator = Emulator(
            root, subscription_id=SUB, resource_group=RG, workspace_name=WS, **knobs
        ).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: MakeEmulator) -> Emulator:
    return make_emulator()


@pytest.fixture
def make_client(monkeypatch: pytest.MonkeyPatch) -> MakeClient:
    """An MLClient for an emulator: its env vars set first, as a user would export them."""
    import azure.ai.ml as azure_ml

    def make(emulator: Emulator) -> Any:
        for name, value in emulator.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")  # MLClient sets it; restore
        return azure_ml.MLClient(FakeCredential(), SUB, RG, WS, enable_telemetry=False)

    return make


@pytest.fixture
def ml(emulator: Emulator, make_client: MakeClient) -> Any:
    return make_client(emulator)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def call(
    emulator: Emulator, method: str, path: str, body: Any = None, *, absolute: bool = False
) -> Reply:
    """A raw request (``path`` under the workspace unless ``absolute``); JSON in and out."""
    url = path if absolute else emulator.workspace_url + path
    if "://" not in url:
        url = emulator.base_url + url
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    context = None
    if emulator.cert_path is not None:
        context = ssl.create_default_context(cafile=str(emulator.cert_path))
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return _reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return _reply(error.code, dict(error.headers), error.read())


def _reply(status: int, headers: dict[str, str], raw: bytes) -> Reply:
    lowered = {k.lower(): v for k, v in headers.items()}
    return Reply(status, lowered, json.loads(raw) if raw else None)
