"""One provider contract, two providers: the embedded workspace and Azure ML (real azure-ai-ml
SDK over HTTPS to our emulator). Each test gets a `Harness` that plans and applies a desired
state against the provider under test through the engine's operations, as the CLI does."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import desired_state
from reconciler.core.plan import ApplyResult, Plan
from reconciler.core.workspace import Workspace
from reconciler.engine import operations
from reconciler.providers.factory import open_workspace
from reconciler_testing.emulator import Emulator, FakeCredential
from tests.azurite_fixture import Azurite
from tests.conftest import write_project
from tests.fidelity.spec_check import Report, capture
from tests.fidelity.spec_report import undocumented
from tests.snowflake_fixture import LocalSnowflake
from tests.views import Quiet

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RESOURCE_GROUP = "rg-globorealty-test"
WORKSPACE = "mlw-globorealty-test"


HMAC_KEY = "test-hmac-key-0123456789abcdef0123456789abcdef"  # the applier's, from its store
KEY_SETTING = "settings:\n  secret_key: ${env:RECONCILER_HMAC_KEY}\n"


@dataclass
class Harness:
    """A project folder whose `test` environment targets the provider under test."""

    root: Path
    kind: str
    snowflake: LocalSnowflake
    variables: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind != "local":  # Azure ML keeps no key of its own: the applier brings one
            self.variables.setdefault("RECONCILER_HMAC_KEY", HMAC_KEY)

    def write(self, platform: str, **variables: str) -> None:
        self.variables.update(variables)
        env = "".join(f"{k}={v}\n" for k, v in self.variables.items())
        write_project(self.root, {"platform.yaml": platform, "environments/test.env": env})

    def credential(self) -> Any:
        """What the CLI hands the Azure provider: the emulator's credential here (the live run
        uses DefaultAzureCredential)."""
        return FakeCredential() if self.kind == "azureml" else None

    def workspace(self) -> Workspace:
        target = desired_state(self.root, "test", with_secrets=False).workspace
        return open_workspace(target, credential=self.credential())

    def plan(self, prune: bool = False) -> Plan:
        desired = desired_state(self.root, "test")
        workspace = open_workspace(desired.workspace, credential=self.credential())
        return operations.plan(desired, workspace, prune=prune).plan

    def apply(self, prune: bool = False) -> ApplyResult:
        desired = desired_state(self.root, "test")
        workspace = open_workspace(desired.workspace, credential=self.credential())
        request = operations.ApplyRequest(prune=prune, parallelism=4, lock=False)
        return operations.apply_reviewed(desired, workspace, request, Quiet()).result


def _local_overlay() -> str:
    return "env_file: environments/test.env\nworkspace:\n  provider: local\n  path: ws\n"


def _azure_overlay() -> str:
    return (
        KEY_SETTING + "env_file: environments/test.env\nworkspace:\n  provider: azureml\n"
        f"  subscription_id: {SUBSCRIPTION}\n  resource_group: {RESOURCE_GROUP}\n"
        f"  workspace_name: {WORKSPACE}\n"
    )


def trust(bundle: Path, *certs: Path) -> Path:
    """One CA bundle for the emulator's certificate and others (Azurite's): REQUESTS_CA_BUNDLE
    names a single file."""
    combined = bundle.with_name("ca-bundle-all.pem")
    combined.write_text("".join(p.read_text() for p in (bundle, *certs)))
    return combined


# every answer the provider suites' emulators gave, checked against the REST specification
SPEC_REPORT = Report()


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, azurite: Azurite) -> Iterator[Any]:
    """An emulator for the real azure-ai-ml SDK. Every answer it gives is validated against the
    vendored REST specification as the test goes; a finding `spec_expectations` does not
    document fails the test (tests/fidelity/README.md, "Against the REST API specification")."""
    instance = Emulator(
        tmp_path / "ws",
        subscription_id=SUBSCRIPTION,
        resource_group=RESOURCE_GROUP,
        workspace_name=WORKSPACE,
        lro_retry_after=0.02,  # long-running operations polled as on Azure, 20 ms apart
    )
    instance.start()
    with capture() as exchanges:
        try:
            for key, value in instance.env().items():
                monkeypatch.setenv(key, value)
            assert instance.ca_bundle is not None
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(trust(instance.ca_bundle, azurite.cert)))
            monkeypatch.setenv("RECONCILER_BLOB_URL", azurite.url)  # the apply lock's storage
            monkeypatch.setenv("RECONCILER_AZURE_POLL_SECONDS", "0.2")
            yield instance
        finally:
            instance.stop()
    found = undocumented(exchanges, SPEC_REPORT)
    assert found == [], (
        f"answers the REST specification does not allow (spec_expectations): {found}"
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """``RECONCILER_SPEC_COUNTS=FILE`` writes what the fixtures validated (for the README)."""
    out = os.environ.get("RECONCILER_SPEC_COUNTS")
    if out and SPEC_REPORT.answers:
        counts = {
            "validated": dict(SPEC_REPORT.validated),
            "not_in_spec": dict(SPEC_REPORT.not_in_spec),
            "findings": len(SPEC_REPORT.findings),
        }
        with open(out, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(counts, sort_keys=True) + "\n")


LIVE_VARIABLES = ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZURE_ML_WORKSPACE")
LIVE_SNOWFLAKE = ("LIVE_SNOWFLAKE_TARGET", "LIVE_SNOWFLAKE_USER", "LIVE_SNOWFLAKE_PASSWORD")


def _live(local_snowflake: LocalSnowflake) -> tuple[str, LocalSnowflake]:
    """The opt-in live run: a real, dedicated, empty test workspace (az login first), and a
    Snowflake that Azure ML can reach (the local one cannot be)."""
    missing = [v for v in (*LIVE_VARIABLES, *LIVE_SNOWFLAKE) if not os.environ.get(v)]
    if missing:
        pytest.skip(f"live Azure ML run: set {', '.join(missing)}")
    overlay = (
        KEY_SETTING + "env_file: environments/test.env\nworkspace:\n  provider: azureml\n"
        f"  subscription_id: {os.environ['AZURE_SUBSCRIPTION_ID']}\n"
        f"  resource_group: {os.environ['AZURE_RESOURCE_GROUP']}\n"
        f"  workspace_name: {os.environ['AZURE_ML_WORKSPACE']}\n"
    )
    snowflake = LocalSnowflake(
        host="",
        port=0,
        jdbc_target=os.environ["LIVE_SNOWFLAKE_TARGET"],
        username=os.environ["LIVE_SNOWFLAKE_USER"],
        password=os.environ["LIVE_SNOWFLAKE_PASSWORD"],
        state_dir=local_snowflake.state_dir,
        pid=0,
    )
    return overlay, snowflake


@pytest.fixture(
    params=["local", "azureml", pytest.param("live", marks=pytest.mark.live)],
)
def harness(
    request: pytest.FixtureRequest, tmp_path: Path, local_snowflake: LocalSnowflake
) -> Iterator[Harness]:
    kind = request.param
    snowflake = local_snowflake
    if kind == "azureml":
        request.getfixturevalue("emulator")
        overlay = _azure_overlay()
    elif kind == "live":
        overlay, snowflake = _live(local_snowflake)
    else:
        overlay = _local_overlay()
    write_project(tmp_path, {"environments/test.yaml": overlay})
    os.environ.pop("SNOWFLAKE_PASSWORD", None)
    harness = Harness(tmp_path, kind, snowflake)
    yield harness
    if kind == "live":  # leave the workspace as found (data versions are kept, as in AML)
        harness.write("{}\n")
        harness.apply(prune=True)
