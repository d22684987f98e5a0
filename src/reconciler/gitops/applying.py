"""Jobs ``apply (<env>)`` and ``apply the fresh plan (<env>)``: after the environment's gate,
inside its concurrency group, with its applier and its secrets.

Each refuses a commit behind the environment's applied marker (a re-run of an old run, an old
dispatch approved late), then applies exactly the file the job before it wrote: its digest
must be the one that job output, and ``reconcile apply --expect-flags-from-settings`` refuses a
scope the settings and this run's own inputs did not ask for. The apply job's file may no
longer agree with a plan made now (exit 4): its fresh plan, with its digest, goes to the next
job, which applies it after the gate again. The outcome goes to the job summary and to the
merged pull requests; a converged environment gets its marker (``applied-<env>``), naming the
commit applied. The default branch's policies are evaluated by ``reconcile apply`` itself; a
blocked plan (exit 5) names how a policy owner overrides a soft failure
(``RECONCILER_POLICY_OVERRIDE``, set only after ``<env>-policy``'s reviewers approved).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.errors import (
    EXIT_APPLY_FAILED,
    EXIT_OK,
    EXIT_PLAN_DIFFERS,
    EXIT_POLICY_BLOCKED,
)
from reconciler.core.plan import Plan
from reconciler.gitops import comments, names
from reconciler.gitops.context import Flow, reconcile
from reconciler.gitops.github import (
    GitHubError,
    api,
    append_summary,
    download,
    out_dir,
    run_link,
    set_outputs,
    sha,
    workflow_path,
)
from reconciler.gitops.prepare import WINDOW_FILE
from reconciler.gitops.records import digest
from reconciler.gitops.reports import blocked, details, dispatch_how, heading, override_how
from reconciler.gitops.window import behind, find_marker
from reconciler.render.markdown import render_plan
from reconciler.render.safe import clip, code_block, code_span, fit

SUMMARY_LIMIT = 900_000


@dataclass
class Outcome:
    verdict: str  # applied | differs | failed | refused
    text: str
    fresh: Path | None = None
    window: str = ""  # which merges the plan covers (markdown), passed on with a fresh plan


def apply_file(
    flow: Flow, stage: str, artifact: str, expected: str, pulls: list[int], *, last: bool = False
) -> int:
    """Apply this run's ``artifact`` (digest ``expected``) to the environment. ``last``: the
    approved fresh plan, after which nothing follows (a second difference fails)."""
    folder = out_dir() / stage
    how = dispatch_how(flow.environment, workflow_path())
    marker = find_marker(flow.environment, flow.working_directory, flow.tool_repository)
    refusal = behind(flow.environment, marker, sha(), flow.project)
    if refusal is not None:
        return finish(flow, Outcome("refused", f"**Refused:** {refusal}\n"), pulls, how)
    try:
        where = download(os.environ["GITHUB_RUN_ID"], artifact, folder / "in")
        plan_file = next(where.glob("*.json"))
    except (GitHubError, StopIteration):
        return finish(flow, Outcome("failed", "**The plan to apply is missing.**\n"), pulls, how)
    table = where / WINDOW_FILE
    window = table.read_text(encoding="utf-8") + "\n" if table.is_file() else ""
    if not expected or digest(plan_file) != expected:
        text = (
            "**Refused: the plan file is not the one shown before the gate** (its sha256 "
            f"`{digest(plan_file)}` is not `{expected or 'none'}`). Nothing was applied.\n"
        )
        return finish(flow, Outcome("refused", text), pulls, how)
    unguarded = unguarded_override()
    if unguarded is not None:
        return finish(flow, Outcome("refused", f"**Refused:** {unguarded}\n"), pulls, how)
    fresh = folder / "fresh.json"
    summary = folder / "apply.md"
    args = ["apply", str(plan_file), "--env", flow.environment, "--expect-flags-from-settings"]
    args += [*flow.scope(), "--check-sources", "--fresh-plan-out", str(fresh)]
    env = flow.env(secrets=True)
    if len(pulls) == 1:
        env["RECONCILER_PULL_REQUEST"] = str(pulls[0])  # provenance of what this apply writes
    ran = reconcile(*args, "--summary-file", str(summary), env=env, cwd=flow.project)
    cli = summary.read_text(encoding="utf-8").strip() if summary.is_file() else ""
    if cli.startswith("### reconciler apply"):  # this job's heading says it already
        cli = cli.split("\n", 1)[1].strip() if "\n" in cli else ""
    if ran.exitcode == EXIT_OK:
        return finish(flow, Outcome("applied", window + cli + "\n"), pulls, how)
    if ran.exitcode == EXIT_PLAN_DIFFERS and last:
        text = (
            "**Not applied: the workspace changed again while the plan made now waited for "
            f"approval.** Nothing was applied. {how}\n\n{cli}\n"
        )
        return finish(flow, Outcome("failed", text), pulls, how)
    if ran.exitcode == EXIT_PLAN_DIFFERS and fresh.is_file():
        shown = render_plan(Plan.read(fresh), title=flow.environment)
        text = (
            "**What apply would do now differs from the plan shown before the gate, so nothing "
            f"was applied.** The plan made now is below; `apply the fresh plan "
            f"({flow.environment})` in this run applies it after the gate (approve it, or "
            "reject it and fix the default branch). If it is rejected or never approved: "
            + how
            + "\n\n"
            + details("the plan made now", shown)
            + "\n"
            + window
            + cli
            + "\n"
        )
        return finish(flow, Outcome("differs", text, fresh, window), pulls, how)
    errors = code_block(clip(ran.stderr.strip() or "(no error output)", 20_000))
    if ran.exitcode == EXIT_POLICY_BLOCKED:
        policy_env = os.environ.get("RECONCILE_POLICY_ENVIRONMENT") or f"{flow.environment}-policy"
        text = (
            "**Blocked by the default branch's policies: nothing was applied.** "
            + override_how(flow.environment, workflow_path(), policy_env)
            + f"\n\n{window}{cli}\n\n{errors}"
        )
        return finish(flow, Outcome("failed", text), pulls, how)
    lead = (
        "**Apply failed part-way (exit code 3).** The steps marked applied are done; failed "
        "and skipped steps are not. Fix the cause (the failed step's message), then:"
        if ran.exitcode == EXIT_APPLY_FAILED
        else f"**reconcile apply failed before changing anything (exit code {ran.exitcode}).** "
        "Nothing was applied. Fix the cause below, then:"
    )
    text = f"{lead} {how}\n\n{window}{cli}\n\n{errors}"
    return finish(flow, Outcome("failed", text), pulls, how)


def unguarded_override() -> str | None:
    """Why this job must not pass its policy override on (None: it may, or there is none).

    GitHub creates an environment a job names if it does not exist, unprotected: then the
    `policy override (<env>)` job would have run with nobody's approval. The override counts
    only when GitHub says its environment requires reviewers."""
    if not os.environ.get("RECONCILER_POLICY_OVERRIDE"):
        return None
    name = os.environ.get("RECONCILE_POLICY_ENVIRONMENT", "")
    try:
        found = api(f"environments/{name}") if name else None
        why = "it has no required reviewers" if found else "it does not exist"
    except GitHubError as exc:
        found, why = None, exc.message
    rules = (found or {}).get("protection_rules") or []
    if any(r.get("type") == "required_reviewers" and r.get("reviewers") for r in rules):
        return None
    return (
        "the policy override was not approved by policy owners: GitHub environment "
        f"{code_span(name or '(none)')} does not require reviewers ({why}). Nothing was "
        "applied. Create it with the policy owners as required reviewers (`reconcile setup "
        "azure` prints it), then dispatch again."
    )


def finish(flow: Flow, found: Outcome, pulls: list[int], how: str) -> int:
    env = flow.environment
    title = heading(names.label(env, flow.working_directory), found.verdict)
    if found.verdict in ("failed", "refused"):
        title += blocked(env)
    footer = f"\n\n<sub>[apply run]({run_link()}) · commit `{sha()[:12]}`</sub>\n"
    body = fit(title + found.text + footer, "", SUMMARY_LIMIT, "> [!NOTE]\n> Cut here.\n")
    append_summary(body)
    marker = names.marker("apply", env, flow.working_directory)
    for number in pulls:
        try:
            comments.upsert(number, marker, f"{marker}\n{body}")
        except GitHubError as exc:
            print(f"::warning::could not comment on #{number}: {exc.message}")
    converged = found.verdict == "applied"
    record, fresh_file, fresh_digest = "", "", ""
    if converged:  # uploaded as `applied-<env>`: the next run's window starts here
        path = out_dir() / f"{names.artifact('applied', env, flow.working_directory)}.json"
        path.write_text(
            json.dumps(
                {
                    "environment": env,
                    "sha": sha(),
                    "run_id": os.environ.get("GITHUB_RUN_ID", ""),
                    "pull_requests": pulls,
                }
            )
            + "\n",
            encoding="utf-8",
        )
        record = str(path)
    if found.fresh is not None:
        bundle = out_dir() / "apply-fresh"
        bundle.mkdir(parents=True, exist_ok=True)
        target = bundle / f"{names.artifact('apply-fresh', env, flow.working_directory)}.json"
        target.write_bytes(found.fresh.read_bytes())
        (bundle / WINDOW_FILE).write_text(found.window, encoding="utf-8")
        fresh_file, fresh_digest = str(bundle), digest(target)
    set_outputs(
        verdict=found.verdict,
        converged=str(converged).lower(),
        marker=record,
        marker_name=names.artifact("applied", env, flow.working_directory),
        fresh_plan=fresh_file,
        fresh_name=names.artifact("apply-fresh", env, flow.working_directory),
        fresh_digest=fresh_digest,
    )
    if found.verdict == "differs":
        print(f"::warning title=Plan differs ({env})::nothing applied; approve the fresh plan")
        return 0
    if found.verdict in ("failed", "refused"):
        print(f"::error title=Apply {found.verdict} ({env})::see the job summary. {how}")
        return 1
    return 0
