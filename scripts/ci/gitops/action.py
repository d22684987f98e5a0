"""The composite action's apply (action.yml): one plan file, or the plan reviewed on the pull
request that this push merged; a plan that differs applies nothing and is left for the
caller's own approval gate."""

from __future__ import annotations

from pathlib import Path

from gitops.applyflow import Outcome, apply_file, finish, outcome_of, sha
from gitops.common import out_dir, set_outputs
from gitops.window import reviewed_for


def action_how(env: str) -> str:
    return (
        f"To apply main to `{env}`: plan it with this action (`command: plan`), review the plan, "
        "and apply that file with `command: apply` and `plan-file:` behind your approval gate."
    )


def cmd_apply_one(env: str, plan_file: str, workflow: str, artifact: str) -> int:
    """action.yml's apply: ``plan_file``, or the plan reviewed on the pull request this push
    merged. A plan that differs applies nothing (exit 4) and leaves its fresh plan for the
    caller's approval gate (output ``fresh-plan``)."""
    folder = out_dir()
    pulls: list[int] = []
    if plan_file:
        plan, what, pull = Path(plan_file), f"`{Path(plan_file).name}`", None
    else:
        merged = reviewed_for(sha(), env, folder, workflow=workflow, artifact=artifact)
        if merged.plan_file is None:
            found = Outcome(
                "failed",
                f"**No reviewed plan to apply: {merged.problem}.** Nothing was applied: this "
                "action applies only a plan that was reviewed on a pull request, or the "
                "`plan-file` you give it (e.g. a plan of main you reviewed in the job summary).",
            )
            finish(env, found, [], "apply", action_how)
            set_outputs(exitcode="1")
            return 1
        plan, what, pull = merged.plan_file, f"the plan reviewed on #{merged.pr}", merged.pr
        pulls = [merged.pr] if merged.pr else []
    result, fresh, summary = apply_file(env, plan, folder, "action", pull)
    found = outcome_of(env, result, fresh, summary, what, action_how)
    if found.verdict == "differs":
        found.summary = found.summary.replace(
            f"the job `apply the fresh plan ({env})` in this run applies it after `{env}`'s "
            "approval gate (approve it, or reject it and fix main)",
            "the action's `fresh-plan` output holds it: apply it with `plan-file:` after your "
            "approval gate",
        )
    code = finish(env, found, pulls, "apply", action_how)
    set_outputs(exitcode=str(result.exitcode), summary=str(summary))
    return code if found.verdict != "differs" else 4
