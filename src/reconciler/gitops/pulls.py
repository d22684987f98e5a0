"""A pull request's plan: ``reconcile gitops plan --env ENV`` in job ``plan (<env>)``.

This job runs with the pull request's workflow files, so it holds nothing worth stealing (the
planner of ``<env>-plan``, no secret) and nothing it writes is trusted: the review job, on the
default branch's code, reads its plan file as data and renders it. It plans without secrets,
saves the plan and the outcome (the artifact ``reconciler-plan-<env>``), shows the plan in the
job summary, turns located problems into annotations on the changed lines, and fails only when
the plan failed (changes are what a pull request is for).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.errors import EXIT_CHANGES, EXIT_OK
from reconciler.core.plan import Plan
from reconciler.gitops import names
from reconciler.gitops.context import child_environment, past_policy, reconcile
from reconciler.gitops.github import append_summary, out_dir, set_outputs
from reconciler.render.markdown import render_plan
from reconciler.render.safe import clip, code_block, code_span

ERRORS_LIMIT = 20_000
_ANNOTATION = re.compile(r"^::error file=([^,:]+),(line=\d+,col=\d+,title=reconciler::.*)$", re.M)


@dataclass(frozen=True)
class PlanOutcome:
    environment: str
    exitcode: int
    plan_file: Path | None
    errors: str


def plan_pull_request(
    environment: str,
    project: Path,
    working_directory: str = ".",
    *,
    with_secrets: bool = False,
    fail_on_changes: bool = False,
) -> int:
    """Plan ``environment`` (without secrets, unless ``with_secrets``: the composite action
    off a pull request) into the artifact folder; exit 1 on an error (and, with
    ``fail_on_changes``, on changes)."""
    label = names.label(environment, working_directory)
    folder = out_dir() / names.artifact("reconciler-plan", environment, working_directory)
    folder.mkdir(parents=True, exist_ok=True)
    plan_file = folder / names.PLAN_FILE.format(env=environment)
    plan_file.unlink(missing_ok=True)
    env = child_environment(project, environment, secrets=with_secrets)
    args = ["plan", "--env", environment, "--detailed-exitcode"]
    args += [] if with_secrets else ["--no-secrets"]
    ran = reconcile(*args, "--out", str(plan_file), "--format", "json", env=env, cwd=project)
    emit_annotations(ran.stdout, working_directory)
    ran = past_policy(ran, plan_file)
    if ran.exitcode not in (EXIT_OK, EXIT_CHANGES):
        plan_file.unlink(missing_ok=True)  # an error leaves nothing to review or apply
    outcome = PlanOutcome(
        environment, ran.exitcode, plan_file if plan_file.is_file() else None, ran.stderr
    )
    (folder / names.OUTCOME_FILE.format(env=environment)).write_text(
        json.dumps({"environment": environment, "exitcode": ran.exitcode}) + "\n",
        encoding="utf-8",
    )
    (folder / names.ERRORS_FILE.format(env=environment)).write_text(
        clip(ran.stderr, ERRORS_LIMIT), encoding="utf-8"
    )
    shown = report(outcome, label, names.marker("plan", environment, working_directory))
    markdown = out_dir() / f"{label}.md"
    markdown.write_text(shown, encoding="utf-8")
    append_summary(shown)
    set_outputs(
        exitcode=str(ran.exitcode),
        has_changes=str(ran.exitcode == EXIT_CHANGES).lower(),
        dir=str(folder),
        artifact=names.artifact("reconciler-plan", environment, working_directory),
        plan_file=str(plan_file) if outcome.plan_file is not None else "",
        markdown=str(markdown),
    )
    if outcome.plan_file is None:
        print(f"::error title=reconcile plan failed ({label})::see the job summary")
        return 1
    if fail_on_changes and ran.exitcode == EXIT_CHANGES:
        print(f"::error title=Changes in {label}::the workspace does not match the desired state")
        return 1
    return 0


def emit_annotations(stdout: str, working_directory: str) -> None:
    """reconcile's annotations of located problems, with paths from the repository's root."""
    prefix = working_directory.strip().strip("/").removeprefix("./")
    prefix = "" if prefix in ("", ".") else prefix + "/"
    for match in _ANNOTATION.finditer(stdout):
        print(f"::error file={prefix}{match.group(1)},{match.group(2)}", flush=True)


def report(outcome: PlanOutcome, label: str, marker: str) -> str:
    """The job summary: the plan, or why there is none."""
    if outcome.plan_file is not None:
        return render_plan(Plan.read(outcome.plan_file), title=label, marker=marker)
    return (
        f"{marker}\n### reconciler plan · {code_span(label)} · failed\n\n"
        f"**The plan failed (exit code {outcome.exitcode}); nothing can be applied until this "
        "is fixed.**\n\n" + code_block(clip(outcome.errors.strip() or "(no error output)", 20_000))
    )
