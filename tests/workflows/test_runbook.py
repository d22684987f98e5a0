"""The README's recovery runbook works as written: every command in it is run, verbatim, by a
scenario in test_apply_scenarios.py (through `scenarios.runbook`, which refuses a command that
is not in the README), and every one is a command the simulated GitHub knows."""

from __future__ import annotations

from tests.workflows.harness import REPO_ROOT
from tests.workflows.scenarios import RUNBOOK, runbook_commands


def test_every_runbook_command_is_run_verbatim_by_a_scenario() -> None:
    commands = runbook_commands()
    assert len(commands) >= 4
    scenarios = (REPO_ROOT / "tests" / "workflows" / "test_apply_scenarios.py").read_text()
    for command in commands:
        assert any(pattern.match(command) for pattern in RUNBOOK), command
        assert repr(command) in scenarios or f'"{command}"' in scenarios, (
            f"no scenario runs the runbook's `{command}`"
        )


def test_every_refusal_names_the_runbook_s_recovery() -> None:
    from reconciler.gitops.reports import dispatch_how

    said = dispatch_how("dev", ".github/workflows/reconciler.yml")
    assert "`gh workflow run reconciler.yml -f environment=dev`" in said
    assert "gh workflow run reconciler.yml -f environment=dev" in runbook_commands()
