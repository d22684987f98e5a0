"""Every input is answered within bounded time: an Azure endpoint that accepts connections and
never answers does not hold a plan for hours (request timeouts; --timeout for the command)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunCli, local_env, write_project

AZURE = """\
workspace:
  provider: azureml
  subscription_id: 00000000-0000-0000-0000-000000000000
  resource_group: rg
  workspace_name: ws
"""


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """Accepts TCP connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_silent_azure_endpoint_is_cut_short_by_the_timeout(
    tmp_path: Path, run_cli: RunCli, silent_endpoint: str
) -> None:
    project = write_project(
        tmp_path,
        {
            "platform.yaml": "connections: {}\n",
            "environments/dev.yaml": AZURE,
            "environments/local.yaml": "workspace: {provider: local}\n",
        },
    )
    (project / "environments/local.env").write_text(local_env())
    env = {"AZUREML_DEV_URL_MFE": silent_endpoint, "RECONCILER_AZURE_CREDENTIAL": "emulator"}

    result = run_cli("--timeout", "3", "plan", "--env", "dev", cwd=project, env=env)

    assert result.code == 1, result.output
    assert "the --timeout ran out before anything was changed" in result.stderr
    assert "Traceback" not in result.output


def test_a_request_that_gets_no_answer_times_out_on_its_own(
    tmp_path: Path, invoke: RunCli, silent_endpoint: str
) -> None:
    project = write_project(
        tmp_path,
        {"platform.yaml": "connections: {}\n", "environments/dev.yaml": AZURE},
    )
    env = {
        "AZUREML_DEV_URL_MFE": silent_endpoint,
        "RECONCILER_AZURE_CREDENTIAL": "emulator",
        "RECONCILER_AZURE_READ_TIMEOUT": "0.5",
    }
    result = invoke("plan", "--env", "dev", cwd=project, env=env)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert "Internal error" not in result.output
