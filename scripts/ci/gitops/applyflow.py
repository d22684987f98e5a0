"""The apply workflow's three steps per environment, run with main's own code.

prepare  (job `plan (ENV)`: read-only identity, no secrets) what this run will apply: the
         pull requests merged since ENV last converged and their reviewed plans, or, for a
         dispatch or a merge without a reviewed plan, main's fresh plan (`--no-secrets`),
         shown in the job summary before anyone approves.
apply    (job `apply (ENV)`: ENV's identity and secrets, after ENV's approval gate) applies the
         reviewed plans in merge order (`reconcile apply PLAN`: the fresh plan must match at
         every address a reviewed plan changes), or the prepared fresh plan. A plan that no
         longer matches applies nothing (exit 4): its fresh plan goes to the pull requests and
         the summary, and the next job applies it after the approval gate.
reapply  (job `apply the fresh plan (ENV)`) applies that fresh plan.

Every outcome is posted on the pull requests it concerns, and every refusal names the one
recovery action: run the apply workflow by hand for the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops.common import (
    EXIT_APPLY_FAILED,
    EXIT_DIFFERS,
    EXIT_OK,
    STDERR_LIMIT,
    SUMMARY_LIMIT,
    GitHubError,
    append_summary,
    clip,
    code_block,
    event,
    fit,
    gh,
    log_untrusted,
    out_dir,
    read_text,
    repo,
    run_link,
    set_outputs,
)
from gitops.plans import upsert_comment
from gitops.reports import details, dispatch_how, render_fresh, window_table
from gitops.window import (
    Window,
    build_window,
    changed_addresses,
    reviewed_addresses,
)


@dataclass
class Reconcile:
    exitcode: int
    stdout: str
    stderr: str


def reconcile(*args: str, pull: int | None = None) -> Reconcile:
    env = {**os.environ, "NO_COLOR": "1"}
    if pull is not None:
        env["RECONCILER_PULL_REQUEST"] = str(pull)  # provenance of what this apply makes
    proc = subprocess.run(
        ["reconcile", *args], capture_output=True, text=True, env=env, check=False
    )
    log_untrusted(f"reconcile {' '.join(args[:2])}: output", proc.stdout)
    log_untrusted(f"reconcile {' '.join(args[:2])}: errors", proc.stderr)
    return Reconcile(proc.returncode, proc.stdout, proc.stderr)


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def fresh_plan(env: str, folder: Path, *, no_secrets: bool) -> tuple[Path, str, Reconcile]:
    plan = folder / f"fresh-{env}.json"
    args = ["plan", "--env", env, "--out", str(plan), "--format", "markdown"]
    if no_secrets:
        args.append("--no-secrets")
    result = reconcile(*args)
    return plan, result.stdout, result


def has_work(plan: dict[str, Any]) -> bool:
    return bool(changed_addresses(plan))


def sha() -> str:
    return os.environ["GITHUB_SHA"]


def classify(window: Window, fresh: dict[str, Any]) -> set[str]:
    """Mark each merged pull request: applied already (none of the addresses its plan changes
    has a change now), to apply, or without a reviewed plan. Returns the addresses that the
    window's reviewed plans cover."""
    now = changed_addresses(fresh)
    covered: set[str] = set()
    for merged in window.merged:
        if merged.plan_file is None:
            merged.status = "no reviewed plan"
            continue
        plan = load(merged.plan_file)
        covered |= reviewed_addresses(plan)
        merged.status = "to apply" if reviewed_addresses(plan) & now else "applied"
    return covered


def mode() -> str:
    return "dispatch" if os.environ.get("GITHUB_EVENT_NAME") == "workflow_dispatch" else "push"


# --- prepare -------------------------------------------------------------------------------


def cmd_prepare(env: str) -> int:
    folder = out_dir()
    head = f"### reconciler apply · `{env}` · what this run applies\n\n"
    window = None
    if mode() == "push":
        window = build_window(env, sha(), str(event().get("before", "")), folder)
        if window.superseded:
            append_summary(
                head + f"Nothing to do: a later commit (`{window.marker.sha[:12]}`, "  # type: ignore[union-attr]
                f"[run]({run_link(window.marker.run_id)})) is already applied to "  # type: ignore[union-attr]
                f"`{env}`."
            )
            set_outputs(todo="none", plan_file="")
            return 0
    plan_file, markdown, result = fresh_plan(env, folder, no_secrets=True)
    if result.exitcode not in (0, 2) or not plan_file.is_file():
        append_summary(
            head + f"**reconcile plan failed (exit {result.exitcode}); nothing will "
            "be applied.**\n\n"
            + code_block(clip(result.stderr, STDERR_LIMIT))
            + "\n"
            + dispatch_how(env)
        )
        set_outputs(todo="none", plan_file="")
        return 1
    fresh = load(plan_file)
    if window is None:  # dispatch: apply main's plan after the approval gate
        todo = "apply" if plan_has_anything(fresh) else "none"
        lead = (
            f"Dispatched by hand: the plan of main below is applied after `{env}`'s approval gate."
            if todo == "apply"
            else "Dispatched by hand: main's plan has no changes, so there is nothing to apply."
        )
        append_summary(head + lead + "\n\n" + markdown)
        set_outputs(todo=todo, plan_file=str(plan_file))
        return 0
    classify(window, fresh)
    pending = [m for m in window.merged if m.status in ("to apply", "no reviewed plan")]
    todo = "apply" if pending else "none"
    if todo == "apply" and window.unreviewed:
        lead = (
            "**Some merged changes have no reviewed plan** (see below): this run applies "
            f"main's fresh plan below after `{env}`'s approval gate."
        )
    elif todo == "apply":
        lead = (
            "This run applies the plans reviewed on these pull requests, in merge order, "
            f"after `{env}`'s approval gate; main's fresh plan is below for reference."
        )
    else:
        lead = f"Nothing to apply: every merged change is already in `{env}`."
        if has_work(fresh):
            lead += (
                " The workspace still differs from main (drift, or a change outside any "
                "reviewed plan): see the plan below. " + dispatch_how(env)
            )
    append_summary(
        head
        + lead
        + "\n\n"
        + window_table(window)
        + "\n"
        + details("main's fresh plan (secrets not compared)", markdown)
    )
    set_outputs(todo=todo, plan_file=str(plan_file))
    return 0


def plan_has_anything(plan: dict[str, Any]) -> bool:
    """Changes, or secrets that only apply can compare (a dispatch after a rotation)."""
    return any(
        c.get("action") not in ("no-op", "in-progress")
        or any(f.get("unknown") for f in c.get("fields") or [])
        for c in plan.get("resource_changes", [])
    )


# --- apply ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    verdict: str  # applied | differs | failed | superseded
    summary: str
    fresh_plan: Path | None = None
    pulls: tuple[int, ...] = ()


def apply_file(
    env: str, plan: Path, folder: Path, tag: str, pull: int | None
) -> tuple[Reconcile, Path, Path]:
    fresh = folder / f"fresh-after-{tag}.json"
    summary = folder / f"apply-{tag}.md"
    result = reconcile(
        "apply",
        str(plan),
        "--env",
        env,
        "--check-sources",
        "--fresh-plan-out",
        str(fresh),
        "--summary-file",
        str(summary),
        pull=pull,
    )
    return result, fresh, summary


def run_apply(env: str) -> Outcome:
    found, window = _run_apply(env)
    if window is not None:
        found.pulls = tuple(window.pulls)
    return found


def _run_apply(env: str) -> tuple[Outcome, Window | None]:
    folder = out_dir()
    if mode() == "dispatch":
        plan = download_own(f"apply-plan-{env}", f"fresh-{env}.json", folder / "prepared")
        result, fresh, summary = apply_file(env, plan, folder, "dispatch", None)
        return outcome_of(env, result, fresh, summary, "main's plan (dispatched by hand)"), None
    window = build_window(env, sha(), str(event().get("before", "")), folder)
    if window.superseded:
        return Outcome("superseded", "Nothing to do: a later commit is already applied."), None
    probe = reconcile("plan", "--env", env, "--out", str(folder / "now.json"), "--format", "json")
    if probe.exitcode not in (0, 2):
        return Outcome(
            "failed",
            "**reconcile plan failed before anything was applied.** "
            + dispatch_how(env)
            + "\n\n"
            + code_block(clip(probe.stderr, STDERR_LIMIT)),
        ), window
    now = load(folder / "now.json")
    covered = classify(window, now)
    table = window_table(window)
    if window.unreviewed:
        plan = download_own(f"apply-plan-{env}", f"fresh-{env}.json", folder / "prepared")
        result, fresh, summary = apply_file(env, plan, folder, "unreviewed", None)
        found = outcome_of(
            env, result, fresh, summary, "main's plan (merged changes without a reviewed plan)"
        )
        found.summary = table + "\n" + found.summary
        return found, window
    parts = [table]
    for merged in window.merged:
        if merged.status != "to apply":
            continue
        assert merged.plan_file is not None and merged.pr is not None
        result, fresh, summary = apply_file(
            env, merged.plan_file, folder, f"pr{merged.pr}", merged.pr
        )
        found = outcome_of(env, result, fresh, summary, f"the plan reviewed on #{merged.pr}")
        parts.append(found.summary)
        merged.status = {"applied": "applied now", "differs": "differs: not applied"}.get(
            found.verdict, "failed"
        )
        if found.verdict != "applied":
            found.summary = "\n".join(parts)
            return found, window
    left = changed_addresses(now) - covered
    text = "\n".join(parts)
    if left:
        text += (
            f"\n> [!WARNING]\n> **{len(left)} change(s) outside every reviewed plan were not "
            f"applied:** {', '.join(f'`{a}`' for a in sorted(left))} (drift, a secret rotated "
            f"in the store, or a change made outside reconciler). {dispatch_how(env)}\n"
        )
    return Outcome("applied", text), window


def outcome_of(
    env: str,
    result: Reconcile,
    fresh: Path,
    summary: Path,
    what: str,
    how: Callable[[str], str] = dispatch_how,
) -> Outcome:
    cli = read_text(str(summary)).strip()
    if result.exitcode == EXIT_OK:
        return Outcome("applied", f"#### Applied {what}\n\n{cli}\n")
    if result.exitcode == EXIT_DIFFERS:
        return Outcome(
            "differs",
            f"#### Not applied: {what} no longer matches\n\n**What apply would do now differs "
            "from the reviewed plan at the addresses it reviewed, so nothing was applied.** "
            f"The fresh plan is below; the job `apply the fresh plan ({env})` in this run "
            f"applies it after `{env}`'s approval gate (approve it, or reject it and fix "
            "main). If it is rejected or never approved: "
            + how(env)
            + "\n\n"
            + details("the fresh plan", render_fresh(env, fresh))
            + "\n"
            + cli,
            fresh if fresh.is_file() else None,
        )
    lead = (
        "**Apply failed part-way (exit code 3).** The steps marked applied are done; "
        "failed and skipped steps are not. Fix the cause (the failed step's message), then:"
        if result.exitcode == EXIT_APPLY_FAILED
        else f"**reconcile apply failed before changing anything (exit code {result.exitcode}).**"
        " Nothing was applied. Fix the cause below, then:"
    )
    return Outcome(
        "failed",
        f"#### Failed: {what}\n\n{lead} {how(env)}\n\n{cli}\n\n"
        + code_block(clip(result.stderr.strip() or "(no error output)", STDERR_LIMIT)),
    )


def download_own(name: str, file: str, dest: Path) -> Path:
    gh(
        "run",
        "download",
        os.environ["GITHUB_RUN_ID"],
        "--repo",
        repo(),
        "--name",
        name,
        "--dir",
        str(dest),
    )
    return dest / file


HEADINGS = {
    "applied": "applied",
    "differs": "plan differs: waiting for approval of the fresh plan",
    "failed": "FAILED",
    "superseded": "nothing to do",
}


def finish(
    env: str,
    found: Outcome,
    pulls: list[int],
    stage: str,
    how: Callable[[str], str] = dispatch_how,
) -> int:
    run = run_link(os.environ.get("GITHUB_RUN_ID", ""))
    title = f"### reconciler apply · `{env}` · {HEADINGS[found.verdict]}\n\n"
    if found.verdict == "failed":  # the promotion rule: later environments wait for this one
        title += (
            f"> [!CAUTION]\n> **`{env}` did not converge, so the environments promoted after it "
            "are skipped in this run.**\n\n"
        )
    body = fit(
        title + found.summary + f"\n\n<sub>[{stage} run]({run}) · commit `{sha()[:12]}`</sub>\n",
        "",
        SUMMARY_LIMIT,
        "> [!NOTE]\n> Cut here; the full output is in the log.\n",
    )
    append_summary(body)
    folder = out_dir()
    for number in pulls:
        try:
            comment = fit(body, "", 60_000, "> [!NOTE]\n> Cut here; see the workflow run.\n")
            upsert_comment(
                number, f"<!-- reconciler-apply:{env} -->", comment, folder / "comment.json"
            )
        except GitHubError as exc:
            print(f"::warning::could not comment on #{number}: {exc}")
    converged = found.verdict in ("applied",)
    fresh = ""
    if found.fresh_plan is not None:  # a fixed name, for the artifact the next job downloads
        target = folder / "fresh-after.json"
        target.write_bytes(found.fresh_plan.read_bytes())
        fresh = str(target)
    marker = ""
    if converged:  # uploaded as artifact `applied-ENV`: the next run's window starts here
        record = folder / f"applied-{env}.json"
        record.write_text(
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
        marker = str(record)
    set_outputs(
        verdict=found.verdict, converged=str(converged).lower(), fresh_plan=fresh, marker=marker
    )
    if found.verdict == "differs":
        print(
            f"::warning title=Plan differs ({env})::nothing applied; approve `apply the "
            f"fresh plan ({env})` to apply the fresh plan"
        )
    if found.verdict == "failed":
        print(f"::error title=Apply failed ({env})::see the job summary. {how(env)}")
        return 1
    return 0


def cmd_apply(env: str) -> int:
    found = run_apply(env)
    return finish(env, found, list(found.pulls), "apply")


def window_of_run(env: str) -> Window | None:
    """The pull requests this run is about (for the fresh plan's outcome)."""
    if mode() == "dispatch":
        return None
    try:
        return build_window(env, sha(), str(event().get("before", "")), out_dir() / "again")
    except GitHubError:
        return None


def cmd_reapply(env: str) -> int:
    folder = out_dir()
    plan = download_own(f"apply-fresh-{env}", "fresh-after.json", folder / "fresh")
    result, fresh, summary = apply_file(env, plan, folder, "fresh", None)
    found = outcome_of(env, result, fresh, summary, "the fresh plan (approved)")
    if found.verdict == "differs":  # moved again while it waited: a person has to look
        found.verdict = "failed"
        found.summary = (
            "#### Not applied: the workspace changed again while the fresh plan waited for "
            f"approval\n\nNothing was applied. {dispatch_how(env)}\n\n"
            + details("what apply would do now", render_fresh(env, fresh))
        )
    window = window_of_run(env)
    pulls: list[int] = []
    if window is not None:
        for merged in window.merged:
            merged.status = "in the fresh plan"
        found.summary = window_table(window) + "\n" + found.summary
        pulls = window.pulls
    return finish(env, found, pulls, "apply")
