"""Every input is answered within bounded time: an Azure endpoint that accepts connections and
never answers does not hold a plan for hours (request timeouts; --timeout for the command)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunCli, local_env, write_project
from tests.fakes.entra import nothing_else, sign_in_variables, signing_in
from tests.fakes.https import serve

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


@pytest.fixture
def sign_in(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A token endpoint: the credential signs in, then the workspace is silent."""
    with serve(signing_in(nothing_else), tmp_path / "entra-tls") as server:
        yield sign_in_variables(server)


def test_a_silent_azure_endpoint_is_cut_short_by_the_timeout(
    tmp_path: Path, run_cli: RunCli, silent_endpoint: str, sign_in: dict[str, str]
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
    env = {"AZUREML_DEV_URL_MFE": silent_endpoint, **sign_in}

    result = run_cli("--timeout", "3", "plan", "--env", "dev", cwd=project, env=env)

    assert result.code == 1, result.output
    assert "the --timeout ran out before anything was changed" in result.stderr
    assert "Traceback" not in result.output


def test_a_request_that_gets_no_answer_times_out_on_its_own(
    tmp_path: Path, invoke: RunCli, silent_endpoint: str, sign_in: dict[str, str]
) -> None:
    project = write_project(
        tmp_path,
        {"platform.yaml": "connections: {}\n", "environments/dev.yaml": AZURE},
    )
    env = {
        "AZUREML_DEV_URL_MFE": silent_endpoint,
        "RECONCILER_AZURE_READ_TIMEOUT": "0.5",
        **sign_in,
    }
    result = invoke("plan", "--env", "dev", cwd=project, env=env)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert "Internal error" not in result.output
