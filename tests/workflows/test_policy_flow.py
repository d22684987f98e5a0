"""The default branch's policies in the flow (issue 19 wired into issue 16's): apply judges
with main's policies and a blocked environment applies nothing and says how out; a soft
failure passes only with a reason given by hand and approved by a policy owner (the required
reviewers of `<env>-policy`), and the reason is recorded on what apply writes; a pull request's
own policy result never reaches the trusted comment."""

from __future__ import annotations

import pytest

from tests.workflows.attacks import tag
from tests.workflows.conftest import GitHub, Repo
from tests.workflows.scenarios import FLOW, bootstrap, comment, edit, result, stage_job

CONNECTION = "connection.snowflake_globorealty"
SOFT = """\
# METADATA
# custom:
#   enforcement: soft
package team.prod_changes

import rego.v1

deny contains msg if {
	input.environment == "prod"
	some rc in input.resource_changes
	"update" in rc.change.actions
	msg := sprintf("%s: a change in prod needs a policy owner's override", [rc.address])
}
"""
REASON = "CAB-42: tag change agreed with the data owners"


def policies(text: str) -> object:
    def change(repo: Repo) -> None:
        repo.write("policies/prod_changes.rego", text)

    return change


def merged_owner_change(github: GitHub) -> None:
    """main's policy, then a reviewed pull request that changes the connection's tag."""
    bootstrap(github)
    github.direct_push(policies(SOFT))  # no desired state changed: no apply run
    github.sim.settle()
    github.open_pull(51, edit("owner: data-platform", "owner: ml-platform"))
    github.sim.settle()
    reviewed = comment(github, 51, "<!-- reconciler-plan:prod -->")  # blocked, still a plan
    assert "**Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.**" in reviewed
    assert "the default branch's policies judge this change when it is applied" in reviewed
    github.merge(51)
    github.sim.settle()


def test_a_soft_policy_failure_blocks_prod_until_a_policy_owner_approves_the_override(
    github: GitHub,
) -> None:
    merged_owner_change(github)
    run = [r for r in github.sim.runs_of(FLOW) if r.event_name == "push"][-1]
    assert result(run, "apply", "dev") == "success"  # the policy is prod's only
    shown = stage_job(run, "plan", "prod").summary  # type: ignore[union-attr]
    assert "Policy check (policies): soft-failed" in shown  # the approver sees it at the gate
    github.sim.approve_all("prod", by="lead-ana")
    assert result(run, "apply", "prod") == "failure"
    said = comment(github, 51, "<!-- reconciler-apply:prod -->")
    assert "Blocked by the default branch's policies: nothing was applied." in said
    assert '-f environment=prod -f policy-override="REASON"' in said and "prod-policy" in said
    assert tag(github.repo, "prod", CONNECTION, "owner") == "data-platform"

    override = github.sim.dispatch(FLOW, {"environment": "prod", "policy-override": REASON})
    github.sim.settle()
    (waiting,) = github.sim.waiting()
    assert waiting.environment == "prod-policy"
    with pytest.raises(PermissionError):  # an approver of prod is not a policy owner
        github.sim.approve(waiting, by="lead-ana")
    github.sim.approve(waiting, by="policy-pat")
    github.sim.settle()
    github.sim.approve_all("prod", by="lead-ana")
    assert result(override, "apply", "prod") == "success"
    assert tag(github.repo, "prod", CONNECTION, "owner") == "ml-platform"
    recorded = tag(github.repo, "prod", CONNECTION, "reconciler.made-by.policy-override")
    assert recorded == REASON


def test_a_hard_policy_failure_is_not_overridden(github: GitHub) -> None:
    bootstrap(github)
    github.direct_push(policies(SOFT.replace("enforcement: soft", "enforcement: hard")))
    github.sim.settle()
    github.open_pull(52, edit("owner: data-platform", "owner: ml-platform"))
    github.sim.settle()
    github.merge(52)
    github.sim.settle()
    github.sim.approve_all("prod", by="lead-ana")
    override = github.sim.dispatch(FLOW, {"environment": "prod", "policy-override": REASON})
    github.sim.settle()
    github.sim.approve_all("prod-policy", by="policy-pat")
    github.sim.approve_all("prod", by="lead-ana")
    assert result(override, "apply", "prod") == "failure"
    assert tag(github.repo, "prod", CONNECTION, "owner") == "data-platform"


def test_the_review_comment_never_shows_a_pull_request_s_own_policy_result(
    github: GitHub,
) -> None:
    """The pull request's run evaluates its own copy of the policies (here: none that fail,
    as it deleted main's): the trusted comment says main's policies judge at apply."""
    bootstrap(github)
    github.direct_push(policies(SOFT))
    github.sim.settle()

    def weaken(repo: Repo) -> None:
        repo.write("policies/prod_changes.rego", SOFT.replace('"prod"', '"nowhere"'))
        repo.edit("owner: data-platform", "owner: ml-platform")

    github.open_pull(53, weaken)
    github.sim.settle()
    said = comment(github, 53, "<!-- reconciler-plan:prod -->")
    assert "Policy check" not in said
    assert "the default branch's policies judge this change when it is applied" in said


def test_drift_is_reported_whatever_the_policies_say_of_it(github: GitHub) -> None:
    bootstrap(github)
    github.repo.edit("owner: data-platform", "owner: by-hand")  # prod changed by hand: drift
    assert github.repo.reconcile("prod", "apply", "--auto-approve").returncode == 0
    github.repo.edit("owner: by-hand", "owner: data-platform")
    github.direct_push(policies(SOFT.replace("enforcement: soft", "enforcement: hard")))
    github.sim.schedule(FLOW)
    github.sim.settle()
    (issue,) = github.sim.issues("open")
    assert issue["title"] == "Drift in prod" and "Policy check" in issue["body"]


def test_an_override_whose_environment_requires_no_reviewers_is_refused(github: GitHub) -> None:
    """A repository set up before `<env>-policy` existed: GitHub runs the override job in an
    environment nobody must approve, so the apply refuses to pass the reason on."""
    del github.sim.environments["prod-policy"]
    merged_owner_change(github)
    github.sim.approve_all("prod", by="lead-ana")
    override = github.sim.dispatch(FLOW, {"environment": "prod", "policy-override": REASON})
    github.sim.settle()
    assert [j.environment for j in github.sim.waiting()] == ["prod"]  # nobody approved it
    github.sim.approve_all("prod", by="lead-ana")
    assert result(override, "apply", "prod") == "failure"
    said = stage_job(override, "apply", "prod").summary  # type: ignore[union-attr]
    assert "the policy override was not approved by policy owners" in said
    assert tag(github.repo, "prod", CONNECTION, "owner") == "data-platform"
