"""What the workspace holds is not ours to trust (issue 21, Low): a value set by hand in the
portal, with an escape sequence that rewrites the terminal or a U+202E that reverses what a
reviewer reads, is shown escaped in text and markdown plans, never raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.core.essences import ConnectionEssence, Credentials, Kind
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import DEMO_PASSWORD, RunCli

HOSTILE_TARGET = "jdbc:snowflake://evil\x1b]0;pwned\x07.example/?db=\u202eLATOT"
HOSTILE_WHO = "\x1b[2Jmallory\u2028admin"
RAW = ("\x1b", "\x07", "\u202e", "\u2028")


@pytest.mark.parametrize("form", ["text", "markdown"])
def test_hostile_live_values_are_escaped_in_plans(project: Path, invoke: RunCli, form: str) -> None:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("datastores:")])
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    workspace = LocalWorkspace(project / ".reconcile/local")
    essence = ConnectionEssence(
        type="snowflake",
        target=HOSTILE_TARGET,
        credentials=Credentials(type="username_password", username="globorealty"),
    )
    (live,) = workspace.list_resources(Kind.CONNECTION)
    tags = {
        "managed-by": "reconciler",
        "reconciler.owner": "default/local",
        "reconciler.made-by.by": HOSTILE_WHO,
    }
    workspace.put(
        Kind.CONNECTION, live.name, essence, {"credentials.password": DEMO_PASSWORD}, tags
    )
    workspace.close()

    plan = invoke("plan", "--format", form, cwd=project)

    assert plan.code == 0, plan.output
    assert not any(char in plan.stdout for char in RAW), repr(plan.stdout)
    assert "\\u202eLATOT" in plan.stdout and "\\u001b]0;pwned\\u0007" in plan.stdout
    assert "last changed by \\u001b[2Jmallory\\u2028admin" in plan.stdout
