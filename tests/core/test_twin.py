"""The twin tells the truth: after the same applies, a plan against it is the plan against the
embedded workspace (SQLite on disk, imports run by an `ImportRunner`)."""

from __future__ import annotations

from pathlib import Path

from reconciler.core.desired import DesiredState
from reconciler.core.plan import Plan
from reconciler.core.workspace import Workspace
from reconciler.engine.planner import build_plan
from reconciler.imports.base import ImportRequest, ImportResult, ProgressCallback, SourceSize
from reconciler.providers.local.provider import LocalWorkspace
from tests.core.test_planner import apply
from tests.core.twin import Twin
from tests.core.values import an_import, changed, connection, datastore, example, state


class OneFile:
    """An import runner that lands one file: what an import registers is the provider's."""

    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult:
        (staging_dir / "part-0.txt").write_text("1\n")
        return ImportResult(rows=1, files=("part-0.txt",))

    def check(self, request: ImportRequest) -> SourceSize | None:
        return SourceSize(rows=1)


def facts(plan: Plan) -> list[tuple[object, ...]]:
    """What a plan says, but where it was made."""
    return [
        (c.address, c.action, c.action_reason, c.version, c.fields, c.change.before, c.dependents)
        for c in plan.resource_changes
    ] + [(o.address, o.with_prune) for o in plan.orphans]


def test_the_twin_plans_as_the_embedded_workspace_does(tmp_path: Path) -> None:
    embedded = LocalWorkspace(tmp_path / "ws", runner_factory=OneFile)
    twin = Twin()
    steps: list[DesiredState] = [
        example(),
        state(
            changed(connection(), target="jdbc:snowflake://other"),
            datastore(prevent_destroy=True),
            an_import(query="SELECT 1"),
        ),
        state(connection(), an_import()),
    ]
    workspaces: list[Workspace] = [embedded, twin]
    try:
        for desired in steps:
            plans = [build_plan(desired, w) for w in workspaces]
            assert facts(plans[0]) == facts(plans[1])
            for workspace in workspaces:
                assert apply(desired, workspace).result.ok
    finally:
        embedded.close()
