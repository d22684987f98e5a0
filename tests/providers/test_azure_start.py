"""An Azure plan starts reading without importing azure-ai-ml (seconds of start-up), and reads
as azure-ai-ml would: the same endpoint, token scope and API versions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.providers.azureml.arm import API_VERSIONS, MFE_OVERRIDE, endpoint
from reconciler_testing.emulator import FakeCredential
from tests.conftest import write_project
from tests.providers.conftest import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE


def test_the_reads_use_the_sdks_api_versions_endpoint_and_scope(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from azure.ai.ml import MLClient

    for variable in (MFE_OVERRIDE, "AZUREML_CURRENT_CLOUD", "ARM_CLOUD_METADATA_URL"):
        monkeypatch.delenv(variable, raising=False)
    ml = MLClient(FakeCredential(), "sub", "rg", "ws")
    assert {
        "connections": ml.connections._operation._config.api_version,
        "datastores": ml.datastores._operation._config.api_version,
        "data": ml.data._operation._config.api_version,
        "jobs": ml.jobs.service_client_01_2024_preview_arm._config.api_version,
        "schedules": ml.schedules.service_client._config.api_version,
    } == API_VERSIONS
    scopes = ml.jobs.service_client_01_2024_preview_arm._config.credential_scopes
    assert endpoint() == (ml._base_url, scopes[0])

    monkeypatch.setenv(MFE_OVERRIDE, "https://127.0.0.1:4443")
    assert endpoint() == (MLClient(FakeCredential(), "sub", "rg", "ws")._base_url, scopes[0])


PLATFORM = """\
datastores:
  rawdata: {type: azure_blob, account_name: globorealtydata, container_name: rawdata}
"""

MODULES = (
    "import sys\nfrom reconciler.cli import main\n"
    "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    "print('SDK', sorted({m.split('.')[2] for m in sys.modules if m.startswith('azure.ai.ml')}),"
    " file=sys.stderr)\n"
)


def test_an_azure_plan_does_not_import_azure_ai_ml(tmp_path: Path, emulator: Any) -> None:
    overlay = (
        f"workspace:\n  provider: azureml\n  subscription_id: {SUBSCRIPTION}\n"
        f"  resource_group: {RESOURCE_GROUP}\n  workspace_name: {WORKSPACE}\n"
    )
    write_project(tmp_path, {"platform.yaml": PLATFORM, "environments/test.yaml": overlay})
    planned = subprocess.run(
        [sys.executable, "-c", MODULES, "plan", "--env", "test"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "+ datastore.rawdata  create" in planned.stdout, planned.stderr
    assert "SDK []" in planned.stderr, planned.stderr
