"""The emulator as a user runs it (``reconciler-emulator``, or ``reconcile emulator``), the
fake credential's tokens, and its token endpoint, at which reconcile's ordinary
``DefaultAzureCredential`` signs in with the printed exports alone."""

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

from reconciler_testing.emulator.credential import FakeCredential
from tests.conftest import RunCli


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
    code = "import sys, reconciler_testing.emulator; "
    code += "print(any(m.startswith('azure') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"


def _serve(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start the emulator's command; its exports, read from the banner."""
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("# Ctrl-C"):
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "the emulator exited"
        lines.append(line)
    exports = dict(
        line.removeprefix("export ").strip().split("=", 1)
        for line in lines
        if line.startswith("export ") and "=" in line.split()[1]
    )
    return proc, exports


def test_cli_prints_exports_serves_and_stops_on_signal(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "reconciler_testing.emulator", "--dir", str(tmp_path / "ws")]
    args += ["--workspace", "demo", "--resource-group", "rg-demo"]
    proc, exports = _serve(args, {**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url, bundle = exports["AZUREML_DEV_URL_MFE"], exports["REQUESTS_CA_BUNDLE"]
        context = ssl.create_default_context(cafile=bundle)
        with urllib.request.urlopen(f"{url}/_emulator/health", context=context) as response:
            health = json.loads(response.read())
        assert health["workspace"].endswith(
            "/resourceGroups/rg-demo/providers/Microsoft.MachineLearningServices/workspaces/demo"
        )
        assert exports["AZURE_AUTHORITY_HOST"] == url
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=20)
    assert code == 0
    assert (tmp_path / "ws" / "workspace.db").is_file()


AZURE = """\
workspace:
  provider: azureml
  subscription_id: sub-demo
  resource_group: rg-demo
  workspace_name: demo
"""


def test_reconcile_signs_in_at_the_emulator_with_its_exports_alone(tmp_path: Path) -> None:
    """No credential chosen for the emulator in reconciler: `reconcile emulator` finds the
    doubles' command by its entry point, and the exports sign DefaultAzureCredential in."""
    reconcile = [sys.executable, "-m", "reconciler"]
    args = [*reconcile, "emulator", "--dir", str(tmp_path / "ws"), "--subscription", "sub-demo"]
    args += ["--workspace", "demo", "--resource-group", "rg-demo"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE", "ACTIONS_ID"))}
    proc, exports = _serve(args, {**clean, "PYTHONUNBUFFERED": "1"})
    project = tmp_path / "project"
    (project / "environments").mkdir(parents=True)
    (project / "platform.yaml").write_text("connections: {}\n")
    (project / "environments" / "dev.yaml").write_text(AZURE)
    try:
        signed_in = subprocess.run(
            [*reconcile, "plan", "--env", "dev", "--detailed-exitcode"],
            cwd=project, env={**clean, **exports}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        wrong = {**clean, **exports, "AZURE_CLIENT_SECRET": "not-the-secret"}
        refused = subprocess.run(
            [*reconcile, "plan", "--env", "dev"],
            cwd=project, env=wrong, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert signed_in.returncode == 0, signed_in.stdout + signed_in.stderr
    assert "No changes" in signed_in.stdout
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    # said once, as what it is, with what to check: not "not logged in", not azure/login
    assert refused.stderr.count("AADSTS7000215") == 1, refused.stderr
    assert "Azure rejected the sign-in (AADSTS7000215: Invalid client secret provided.)" in (
        refused.stderr
    )
    assert "AZURE_CLIENT_ID" in refused.stderr and "azure/login" not in refused.stderr


def test_reconcile_emulator_help_explains_every_option(invoke: RunCli, tmp_path: Path) -> None:
    from reconciler_testing.emulator.cli import parser

    shown = invoke("emulator", "--help", cwd=tmp_path)

    assert shown.code == 0, shown.output
    options = [a for a in parser()._actions if a.option_strings]
    undocumented = [a.option_strings[-1] for a in options if not a.help]
    assert undocumented == []
    text = " ".join(shown.stdout.split())
    for action in options:
        assert action.option_strings[-1] in text
        assert " ".join(str(action.help).split()) in text  # its help, as printed
