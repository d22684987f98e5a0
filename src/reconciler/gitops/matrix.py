"""Which environments each job of the flow runs for: ``reconcile gitops matrix``.

From platform.yaml's ``gitops:`` section: every environment to plan and check for drift, the
stages an apply runs in order (``stage-1`` … ``stage-6``; a dispatch for one environment starts
at its stage, alone, and goes on with the stages after it), each as a GitHub matrix with the
name of the GitHub environment to use.
"""

from __future__ import annotations

from typing import Any

from reconciler.config.model.gitops import MAX_STAGES, GitOps
from reconciler.core.errors import ReconcileError


def stages_from(gitops: GitOps, start: str = "") -> list[list[str]]:
    """The stages to apply: all of them, or (``start``) that environment alone, then the
    stages after its own. An environment outside ``promote`` is applied alone."""
    stages = gitops.stages
    if not start:
        return stages
    if start not in gitops.names:
        known = ", ".join(gitops.names) or "none"
        raise ReconcileError(
            f"unknown environment {start!r}; the gitops section names: {known}",
            hint="dispatch with one of them, or leave environment empty for the whole chain",
        )
    for index, stage in enumerate(stages):
        if start in stage:
            return [[start], *stages[index + 1 :]]
    return [[start]]


def _legs(gitops: GitOps, names: list[str]) -> dict[str, Any]:
    """A matrix over ``names``: each leg's environment and its GitHub environments."""
    return {"include": [{"environment": n, **gitops.github(n).model_dump()} for n in names]}


def matrix(gitops: GitOps, start: str = "") -> dict[str, Any]:
    """Every job's matrix: ``plan`` over all environments (plan, drift, source checks),
    ``stage-K`` over the K-th stage of the apply (empty when there is none). Each leg names
    the environment and its GitHub environments (``plan``, ``apply``, ``sources``)."""
    stages = stages_from(gitops, start)
    found: dict[str, Any] = {
        "environments": gitops.names,
        "stages": stages,
        "plan": _legs(gitops, gitops.names),
    }
    for number in range(1, MAX_STAGES + 1):
        found[f"stage-{number}"] = (
            _legs(gitops, stages[number - 1]) if number <= len(stages) else ""
        )
    return found
