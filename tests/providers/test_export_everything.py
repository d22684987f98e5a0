"""`reconcile export` writes every connection and datastore type reconciler models: a workspace
holding one of each (all of Microsoft's published YAML and the types it does not show, made by
another tool) exports as platform.yaml, which plans as adoption only, applies, and then plans no
changes, on the embedded workspace and through the real SDK against the emulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from reconciler.core.plan import Action, Reason
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import RunCli
from tests.providers.conftest import Harness
from tests.providers.test_published_yaml import (
    MADE_BY_REST,
    SDK_CANNOT_LOAD,
    _made_by_rest,
    _made_by_the_sdk,
    accepted,
    declared,
    desired_state_of,
)
from tests.samples import SECRET_VALUE


def _made_bare(root: Path) -> set[str]:
    """Every declared resource written to the embedded workspace as another tool would: no
    reconciler tags."""
    state = desired_state_of(declared())
    workspace = LocalWorkspace(root)
    try:
        for resource in state.resources:
            secrets = dict.fromkeys(resource.secrets, SECRET_VALUE)
            workspace.put(resource.kind, resource.name, resource.essence, secrets, {})
    finally:
        workspace.close()
    return {r.address for r in state.resources}


@pytest.mark.parametrize("harness", ["local", "azureml"], indirect=True)
def test_a_workspace_with_one_of_each_exports_adopts_and_converges(
    harness: Harness, request: pytest.FixtureRequest, invoke: RunCli, tmp_path: Path
) -> None:
    harness.write("{}\n")
    if harness.kind == "local":
        made = _made_bare(harness.root / "ws")
    else:
        emulator = request.getfixturevalue("emulator")
        folder = tmp_path / "sdk"
        folder.mkdir()
        samples = [s for s in accepted() if s.file not in SDK_CANNOT_LOAD]
        _made_by_the_sdk(emulator, samples, folder)
        _made_by_rest(emulator)
        made = {s.address for s in samples} | {f"connection.{n}" for n in MADE_BY_REST}
    exported = invoke("export", "--env", "test", cwd=harness.root)
    assert exported.code == 0, exported.output
    assert "is not modelled" not in exported.stdout, exported.stdout
    data = yaml.safe_load(exported.stdout)
    found = {f"connection.{n}" for n in data["connections"]}
    found |= {f"datastore.{n}" for n in data["datastores"]}
    assert found == made

    header = exported.stdout.split("\n\n", 1)[0]
    values = {
        name: SECRET_VALUE if secret else "exported-value"
        for name, secret in re.findall(r"^#   (\w+)(  \(secret\))?$", header, re.MULTILINE)
    }
    harness.write(exported.stdout, **values)
    plan = harness.plan()
    assert plan.resource_changes, "nothing planned"
    for change in plan.resource_changes:
        assert (change.action, change.action_reason) == (Action.UPDATE, Reason.ADOPT), change
        assert [f.path for f in change.fields if not f.sensitive] == [], change.address
    assert harness.apply().ok
    again = harness.plan()
    changed = [(c.address, c.fields) for c in again.resource_changes if c.fields]
    assert not again.has_changes, changed
