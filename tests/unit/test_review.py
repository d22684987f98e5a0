"""A reviewed plan applies where a plan made now agrees with it, and nowhere else.

Each case builds a real embedded workspace, makes the reviewed plan, changes the world the way a
busy main does (another merge, a scheduled import, a rotated secret, someone applying first),
makes the fresh plan and reviews one against the other.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.config import desired_state
from reconciler.core.errors import StalePlanError
from reconciler.core.essences import Kind, fingerprint
from reconciler.core.plan import Action, Plan, ResourceChange, StepResult
from reconciler.core.vocabulary import DEFINITION_PROPERTY, FINGERPRINT_PROPERTY, MANAGED_BY_TAG
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import build_plan
from reconciler.engine.review import review
from reconciler.providers.local.provider import LocalWorkspace
from reconciler.render.terminal import render_plan
from tests.conftest import local_env


class Quiet:
    def step_started(self, step: ResourceChange) -> None: ...
    def step_progress(self, step: ResourceChange, rows: int) -> None: ...
    def step_finished(self, step: ResourceChange, result: StepResult) -> None: ...


def workspace(project: Path) -> LocalWorkspace:
    return LocalWorkspace(project / ".reconcile/local", label=".reconcile/local")


def plan(project: Path, *, secrets: bool = True) -> Plan:
    return build_plan(desired_state(project, with_secrets=secrets), workspace(project))


def apply_all(project: Path, *, imports: bool = False) -> None:
    """Apply everything but imports, and register each import's version as a job would."""
    desired = desired_state(project)
    ws = workspace(project)
    made = build_plan(desired, ws)
    steps = tuple(c for c in made.resource_changes if c.type is not Kind.IMPORT)
    apply_plan(made.model_copy(update={"resource_changes": steps}), desired, ws, Quiet())
    for item in desired.of_kind(Kind.IMPORT):
        asset = ws.list_assets([item.name])
        version = asset[0].next_version() if asset else "1"
        register(ws, item.name, version, item.essence)


def register(ws: LocalWorkspace, name: str, version: str, spec: object) -> None:
    ws.store.create_version(
        name,
        version,
        {
            "path": f"{spec.path}/{version}",  # type: ignore[attr-defined]
            "type": spec.type,  # type: ignore[attr-defined]
            "tags": {MANAGED_BY_TAG: "reconciler"},
            "properties": {
                FINGERPRINT_PROPERTY: spec.fingerprint,  # type: ignore[attr-defined]
                DEFINITION_PROPERTY: json.dumps(
                    spec.definition.to_dict(),  # type: ignore[attr-defined]
                    sort_keys=True,
                ),
            },
        },
    )


def edit(project: Path, old: str, new: str) -> None:
    path = project / "platform.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def addresses(changes: tuple[ResourceChange, ...]) -> list[str]:
    return [c.address for c in changes]


def test_an_unchanged_world_agrees_everywhere(project: Path) -> None:
    reviewed = plan(project)
    verdict = review(reviewed, plan(project))
    assert verdict.agrees
    assert addresses(verdict.to_apply) == addresses(reviewed.steps)
    assert verdict.unreviewed == ()


def test_another_merge_touching_a_reviewed_resource_disagrees_there(project: Path) -> None:
    reviewed = plan(project)
    edit(project, "container_name: rawdata", "container_name: rawdata\n    tags: {x: y}")
    verdict = review(reviewed, plan(project))
    assert not verdict.agrees
    assert [d.address for d in verdict.differences] == ["datastore.rawdata"]


def test_another_change_elsewhere_is_left_alone_and_listed(project: Path) -> None:
    apply_all(project)
    edit(project, "container_name: rawdata", "container_name: rawdata\n    tags: {x: y}")
    reviewed = plan(project)
    edit(project, "SNOWFLAKE_PASSWORD}", "SNOWFLAKE_PASSWORD}\n    tags: {owner: other}")
    verdict = review(reviewed, plan(project))
    assert verdict.agrees
    assert addresses(verdict.to_apply) == ["datastore.rawdata"]
    assert addresses(verdict.unreviewed) == ["connection.snowflake_globorealty"]


def test_a_scheduled_import_taking_the_version_number_still_agrees(project: Path) -> None:
    apply_all(project)
    edit(project, "REAL_ESTATE.RAW", "REAL_ESTATE.RAW WHERE SALE_PRICE > 0")
    reviewed = plan(project)
    (materialize,) = reviewed.steps
    assert (materialize.action, materialize.version) == (Action.MATERIALIZE, "2")
    # the schedule runs the old definition meanwhile and registers version 2
    found = desired_state(project).get("import.raw_house_data")
    assert found is not None
    source = found.imported.source.model_copy(update={"query": "SELECT 1"})
    old = found.imported.model_copy(update={"source": source})
    old = old.model_copy(update={"fingerprint": fingerprint(old.definition)})
    register(workspace(project), "raw_house_data", "2", old)
    fresh = plan(project)
    verdict = review(reviewed, fresh)
    assert verdict.agrees
    assert [(c.address, c.version) for c in verdict.to_apply] == [("import.raw_house_data", "3")]


def test_a_pinned_version_that_moved_disagrees(project: Path) -> None:
    edit(project, "    path: azureml://", "    version: '5'\n    path: azureml://")
    reviewed = plan(project)
    edit(project, "version: '5'", "version: '6'")
    assert not review(reviewed, plan(project)).agrees


def test_changes_already_made_meanwhile_agree_and_need_nothing(project: Path) -> None:
    reviewed = plan(project)
    apply_all(project)
    verdict = review(reviewed, plan(project))
    assert verdict.agrees and verdict.to_apply == () and verdict.unreviewed == ()


def test_an_edited_plan_file_disagrees(project: Path) -> None:
    reviewed = plan(project)
    data = json.loads(reviewed.to_json())
    for change in data["resource_changes"]:
        if change["address"] == "datastore.rawdata":
            change["change"]["after"]["container_name"] = "elsewhere"
    verdict = review(Plan.from_json(json.dumps(data)), plan(project))
    assert [d.address for d in verdict.differences] == ["datastore.rawdata"]


def test_a_plan_for_another_environment_or_workspace_is_refused(project: Path) -> None:
    reviewed = plan(project)
    with pytest.raises(StalePlanError, match="environment 'prod'"):
        review(reviewed.model_copy(update={"environment": "prod"}), plan(project))
    with pytest.raises(StalePlanError, match="workspace local:elsewhere"):
        review(reviewed.model_copy(update={"workspace": "local:elsewhere"}), plan(project))


def test_a_plan_without_secrets_shows_them_as_compared_at_apply(project: Path) -> None:
    apply_all(project)
    reviewed = plan(project, secrets=False)
    assert not reviewed.secrets_compared and not reviewed.has_changes
    text = render_plan(reviewed)
    assert "credentials.password: (sensitive, compared at apply)" in text
    assert "credentials.account_key: (sensitive, compared at apply)" in text
    assert "Planned without secrets" in text
    unknown = [f for c in reviewed.resource_changes for f in c.fields]
    assert unknown and all(f.unknown and f.sensitive for f in unknown)


def test_a_secret_rotated_after_a_plan_without_secrets_applies(project: Path) -> None:
    apply_all(project)
    reviewed = plan(project, secrets=False)
    (project / "environments/local.env").write_text(local_env(password="rotated-password-42"))
    fresh = plan(project)
    verdict = review(reviewed, fresh)
    assert verdict.agrees
    assert addresses(verdict.to_apply) == ["connection.snowflake_globorealty"]
    assert verdict.unreviewed == ()


def test_a_secret_rotated_after_a_plan_with_secrets_is_not_reviewed(project: Path) -> None:
    apply_all(project)
    reviewed = plan(project)
    (project / "environments/local.env").write_text(local_env(password="rotated-password-42"))
    verdict = review(reviewed, plan(project))
    assert verdict.agrees and verdict.to_apply == ()
    assert addresses(verdict.unreviewed) == ["connection.snowflake_globorealty"]


def test_a_protection_added_after_the_review_disagrees_and_says_so(project: Path) -> None:
    apply_all(project)
    edit(project, "container_name: rawdata", "container_name: rawdata\n    tags: {x: y}")
    reviewed = plan(project)
    edit(project, "tags: {x: y}", "tags: {x: y}\n    lifecycle: {prevent_destroy: true}")
    verdict = review(reviewed, plan(project))
    (difference,) = verdict.differences
    assert difference.address == "datastore.rawdata"
    assert difference.reviewed == 'update (tags.x: (none) → "y")'
    assert (
        difference.now == 'update (lifecycle.prevent_destroy: false → true; tags.x: (none) → "y")'
    )
