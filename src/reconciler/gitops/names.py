"""The names the flow gives its artifacts and comments, in one place.

At the repository root an environment's plan artifact is ``reconciler-plan-<env>`` and its
comment's marker ``<!-- reconciler-plan:<env> -->``; a project in a folder adds the folder
(``reconciler-plan-infra--dev``, ``<!-- reconciler-plan:infra--dev -->``), so two projects in
one repository never share one.
"""

from __future__ import annotations

import re

PLAN_FILE = "plan-{env}.json"
OUTCOME_FILE = "outcome-{env}.json"
ERRORS_FILE = "errors-{env}.txt"
REVIEW_ARTIFACT = "reconciler-review"  # the review job's records, one file per environment
REVIEW_FILE = "review-{label}.json"
LABEL_CHECK_SOURCES = "reconciler:check-sources"
DRIFT_LABEL = "reconciler-drift"


def slug(working_directory: str) -> str:
    """``infra/ml`` -> ``infra-ml``; the root -> ``""``."""
    folder = working_directory.strip().strip("/").removeprefix("./")
    if folder in ("", "."):
        return ""
    text = re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")
    return text or "project"


def label(environment: str, working_directory: str = ".") -> str:
    """The environment, with the project's folder when it is not the root."""
    folder = slug(working_directory)
    return f"{folder}--{environment}" if folder else environment


def artifact(kind: str, environment: str, working_directory: str = ".") -> str:
    """``<kind>-<label>``: reconciler-plan (a pull request's plan), apply-plan (what an apply
    run applies after the gate), apply-fresh (the plan made now, when that differed), applied
    (the environment converged at this run's commit)."""
    return f"{kind}-{label(environment, working_directory)}"


def marker(kind: str, environment: str, working_directory: str = ".") -> str:
    """``<!-- reconciler-<kind>:<label> -->``: plan, apply, drift, sources."""
    return f"<!-- reconciler-{kind}:{label(environment, working_directory)} -->"
