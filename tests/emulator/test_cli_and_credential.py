"""``python -m reconciler.emulator`` as a user runs it, and the fake credential's tokens."""

from __future__ import annotations

import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

from reconciler.emulator.credential import FakeCredential


def claims(token: str) -> dict[str, object]:
    header, payload, signature = token.split(".")
    assert signature == ""
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "none"
    return decoded


def test_tokens_are_jwts_for_the_requested_audience() -> None:
    credential = FakeCredential()

    ml_token = credential.get_token("https://ml.azure.com/.default")
    arm_info = credential.get_token_info("https://management.azure.com/.default")

    assert claims(ml_token.token)["aud"] == "https://ml.azure.com"
    assert claims(arm_info.token)["aud"] == "https://management.azure.com"
    assert arm_info.token_type == "Bearer"
    assert ml_token.expires_on > 0


def test_importing_the_emulator_does_not_import_azure() -> None:
    code = "import sys, reconciler.emulator; print(any(m.startswith('azure') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"


def test_cli_prints_exports_serves_and_stops_on_signal(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "reconciler.emulator", "--dir", str(tmp_path / "ws")]
    args += ["--workspace", "demo", "--resource-group", "rg-demo"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        exports = dict(
            line.removeprefix("export ").strip().split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        url, bundle = exports["AZUREML_DEV_URL_MFE"], exports["REQUESTS_CA_BUNDLE"]
        context = ssl.create_default_context(cafile=bundle)
        with urllib.request.urlopen(f"{url}/_emulator/health", context=context) as response:
            health = json.loads(response.read())
        assert health["workspace"].endswith(
            "/resourceGroups/rg-demo/providers/Microsoft.MachineLearningServices/workspaces/demo"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=20)
    assert code == 0
    assert (tmp_path / "ws" / "workspace.db").is_file()
