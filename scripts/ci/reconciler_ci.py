#!/usr/bin/env python3
"""The logic of reconciler's GitHub workflows, kept out of YAML so that tests can run it.

Standard library only (it runs on a bare runner's Python). Subcommands:

  plan-report    the PR comment / job summary for one environment's plan (or its error)
  find-plan      find and download the plan reviewed on the pull request a push merged
  compare-plans  is a saved plan what reconciler plans now (same, stale or different)?
  apply-report   the job summary for one environment's apply
  verdict        fail the job on a plan error (or, for drift detection, on changes)

Every text written here may contain names from platform.yaml and error messages, never a
secret: reconciler redacts secrets itself, and nothing here reads one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# GitHub refuses comments over 65,536 characters; the sticky-comment action appends its own
# hidden marker (~60 characters), so the body stays well under.
COMMENT_LIMIT = 65_000
# Job summaries may hold 1 MiB per step.
SUMMARY_LIMIT = 900_000
STDERR_LIMIT = 20_000

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_APPLY_FAILED, EXIT_PLAN_DIFFERS = 0, 1, 2, 3, 4
STALE_MARKERS = ("changed since this plan was made", "the workspace changed since")

REPLAN_HOW = (
    "A re-plan is needed: open a pull request (an empty commit is enough: "
    "`git commit --allow-empty -m 're-plan'`), review its plan comment and merge it; "
    "the merge applies that plan."
)


# --- small helpers ------------------------------------------------------------------------


def read_text(path: str | None) -> str:
    if not path:
        return ""
    file = Path(path)
    return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else ""


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def code_block(text: str, language: str = "text") -> str:
    fence = fence_for(text)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n"


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f"\n… ({len(text) - limit:,} more characters in the log)\n"


def append_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path and text:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text.rstrip("\n") + "\n\n")


def set_outputs(**values: str) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as output:
        for name, value in values.items():
            if "\n" in value:
                raise ValueError(f"output {name} must be one line")
            output.write(f"{name.replace('_', '-')}={value}\n")


def run_url() -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    run_id = os.environ.get("GITHUB_RUN_ID", "")
    return f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else ""


def event() -> dict[str, Any]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


# --- fitting markdown under a size limit ----------------------------------------------------


def fit(body: str, tail: str, limit: int, note: str) -> str:
    """``body + tail`` if it fits in ``limit`` characters; otherwise ``body`` cut at a line,
    with any open code fence and ``<details>`` closed, then ``note`` and ``tail``."""
    if len(body) + len(tail) <= limit:
        return body + tail
    budget = limit - len(tail) - len(note) - 200
    kept: list[str] = []
    size, fence, details = 0, "", 0
    for line in body.splitlines(keepends=True):
        if size + len(line) > budget:
            break
        kept.append(line)
        size += len(line)
        stripped = line.strip()
        if fence:
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                fence = ""
            continue
        opening = re.match(r"(`{3,}|~{3,})", stripped)
        if opening:
            fence = opening.group(1)
        else:
            details += stripped.count("<details") - stripped.count("</details>")
    closers = f"\n{fence}\n" if fence else ""
    closers += "\n</details>\n" * max(details, 0)
    return "".join(kept).rstrip("\n") + "\n" + closers + "\n" + note + tail


# --- plan-report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanOutcome:
    environment: str
    exitcode: int | None  # None: the plan step did not run
    markdown: str
    stderr: str


def plan_report(
    outcome: PlanOutcome,
    *,
    limit: int,
    artifact_name: str = "",
    artifact_url: str = "",
    link: str = "",
) -> str:
    env = outcome.environment
    head_sha = str(event().get("pull_request", {}).get("head", {}).get("sha", ""))[:12]
    facts = []
    if artifact_url:
        facts.append(f"plan file: [`{artifact_name}`]({artifact_url}) (artifact)")
    elif artifact_name and outcome.exitcode in (EXIT_OK, EXIT_CHANGES):
        facts.append(f"plan file: artifact `{artifact_name}`")
    if link:
        facts.append(f"[workflow run]({link})")
    if head_sha:
        facts.append(f"commit `{head_sha}`")
    tail = ("\n---\n<sub>" + " · ".join(facts) + "</sub>\n") if facts else ""

    if outcome.exitcode in (EXIT_OK, EXIT_CHANGES) and outcome.markdown.strip():
        where = f"[download it]({artifact_url})" if artifact_url else "see the workflow run"
        note = (
            "> [!NOTE]\n"
            f"> This plan is cut here to stay under GitHub's 65,536-character comment limit. "
            f"The full plan is the `{artifact_name or 'plan'}` artifact: {where} "
            f"(`plan-{env}.json`, and `plan-{env}.md`).\n"
        )
        return fit(outcome.markdown.rstrip("\n") + "\n", tail, limit, note)

    marker = f"<!-- reconciler-plan:{env} -->\n"
    if outcome.exitcode is None:
        body = (
            f"{marker}### reconciler plan · `{env}` · did not run\n\n"
            "**An earlier step of the job failed (installing reconciler or signing in to "
            "Azure), so there is no plan for this commit.** See the workflow run.\n"
        )
        return body + tail
    stderr = clip(outcome.stderr.strip() or "(no error output)", STDERR_LIMIT)
    body = (
        f"{marker}### reconciler plan · `{env}` · failed\n\n"
        f"**The plan failed (exit code {outcome.exitcode}); nothing can be applied until "
        "this is fixed.**\n\n" + code_block(stderr)
    )
    return fit(body, tail, limit, "> [!NOTE]\n> The error output is cut here.\n")


def cmd_plan_report(args: argparse.Namespace) -> int:
    exitcode = int(args.exitcode) if str(args.exitcode).strip() else None
    outcome = PlanOutcome(
        environment=args.env,
        exitcode=exitcode,
        markdown=read_text(args.markdown),
        stderr=read_text(args.stderr),
    )
    text = plan_report(
        outcome,
        limit=args.limit,
        artifact_name=args.artifact_name,
        artifact_url=args.artifact_url,
        link=run_url() if args.link_run else "",
    )
    Path(args.out).write_text(text, encoding="utf-8")
    set_outputs(path=str(Path(args.out).resolve()))
    return 0


# --- verdict -------------------------------------------------------------------------------


def cmd_verdict(args: argparse.Namespace) -> int:
    env, code = args.env, str(args.exitcode).strip()
    fail_on_changes = str(args.fail_on_changes).lower() == "true"
    if code == str(EXIT_OK):
        print(f"{env}: no changes.")
        return 0
    if code == str(EXIT_CHANGES):
        if fail_on_changes:
            print(f"::error title=Drift in {env}::the workspace does not match the desired state")
            append_summary(
                f"> [!CAUTION]\n> **Drift in `{env}`**: the workspace does not match the desired "
                "state on the default branch; the plan above shows what differs. Either someone "
                "changed the workspace outside reconciler (revert it, or record the change in "
                "platform.yaml through a pull request), or a merged change was not applied (see "
                "the apply workflow's last run)."
            )
            return 1
        print(f"{env}: the plan has changes; review them in the pull request comment.")
        return 0
    what = f"exited {code}" if code else "did not run"
    print(f"::error title=reconcile plan failed ({env})::reconcile plan {what}; see the summary")
    return 1


# --- find-plan -----------------------------------------------------------------------------


class NoReviewedPlan(Exception):
    """No plan that was reviewed on a pull request can be applied for this push."""


def gh(*args: str) -> str:
    proc = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise NoReviewedPlan(
            f"`gh {' '.join(args[:3])} …` failed: {proc.stderr.strip() or proc.returncode}"
        )
    return proc.stdout


def gh_json(*args: str) -> Any:
    return json.loads(gh(*args) or "null")


@dataclass(frozen=True)
class ReviewedPlan:
    pr: int
    run_id: int
    run_url: str
    plan_file: Path


def find_reviewed_plan(
    repo: str, sha: str, environment: str, workflow: str, dest: Path
) -> ReviewedPlan:
    pulls = gh_json("api", f"repos/{repo}/commits/{sha}/pulls")
    merged = [p for p in pulls or [] if p.get("merged_at")]
    merged.sort(key=lambda p: p.get("merge_commit_sha") != sha)  # the one this push merged first
    if not merged:
        raise NoReviewedPlan(
            f"commit `{sha[:12]}` is not the merge of a pull request (a direct push?), so no "
            "plan was reviewed for it"
        )
    pr = merged[0]
    number, head_sha = int(pr["number"]), str(pr["head"]["sha"])
    runs = gh_json(
        "api",
        "-X",
        "GET",
        f"repos/{repo}/actions/workflows/{workflow}/runs",
        "-f",
        f"head_sha={head_sha}",
        "-f",
        "event=pull_request",
        "-f",
        "status=success",
        "-f",
        "per_page=100",
    )
    candidates = [
        run
        for run in (runs or {}).get("workflow_runs", [])
        if run.get("head_sha") == head_sha
        and run.get("conclusion") == "success"
        and (run.get("head_repository") or {}).get("full_name") == repo
    ]
    if not candidates:
        raise NoReviewedPlan(
            f"pull request #{number} has no successful `{workflow}` run for its last commit "
            f"`{head_sha[:12]}` (the plan failed, was cancelled or never ran)"
        )
    run = max(candidates, key=lambda r: (str(r.get("created_at", "")), int(r.get("id", 0))))
    run_id = int(run["id"])
    name = f"plan-{environment}"
    dest.mkdir(parents=True, exist_ok=True)
    try:
        gh("run", "download", str(run_id), "--repo", repo, "--name", name, "--dir", str(dest))
    except NoReviewedPlan as exc:
        raise NoReviewedPlan(
            f"the plan run {run_id} of pull request #{number} has no artifact `{name}` that "
            f"can be downloaded (expired, or the environment was not planned): {exc}"
        ) from exc
    plan_file = dest / f"plan-{environment}.json"
    if not plan_file.is_file():
        raise NoReviewedPlan(
            f"artifact `{name}` of plan run {run_id} (pull request #{number}) has no "
            f"`{plan_file.name}`: the plan for `{environment}` failed, so nothing was reviewed"
        )
    return ReviewedPlan(number, run_id, str(run.get("html_url", "")), plan_file)


def cmd_find_plan(args: argparse.Namespace) -> int:
    repo, sha = os.environ["GITHUB_REPOSITORY"], os.environ["GITHUB_SHA"]
    dest = Path(args.dir) / f"reviewed-{args.env}"
    try:
        found = find_reviewed_plan(repo, sha, args.env, args.workflow, dest)
    except NoReviewedPlan as exc:
        text = (
            f"### reconciler apply · `{args.env}` · not applied\n\n"
            f"**No reviewed plan to apply: {exc}.** Nothing was applied: reconciler applies "
            f"only a plan that was reviewed on a pull request.\n\n{REPLAN_HOW}\n"
        )
        append_summary(text)
        print(f"::error title=No reviewed plan for {args.env}::{exc}")
        return 1
    print(
        f"Applying the plan reviewed on pull request #{found.pr} "
        f"(plan run {found.run_id}): {found.plan_file}"
    )
    set_outputs(
        plan_file=str(found.plan_file),
        pr=str(found.pr),
        run_id=str(found.run_id),
        run_url=found.run_url,
    )
    return 0


# --- compare-plans -------------------------------------------------------------------------

SAME, STALE, DIFFERENT = 0, 10, 11


def compare_plans(saved: dict[str, Any], fresh: dict[str, Any]) -> int:
    """SAME: ``saved`` is exactly what reconciler plans now. STALE: the desired or live state
    moved on (reconcile apply refuses it with its own message). DIFFERENT: same states, other
    steps: the plan file was not made by this reconciler from this state."""
    digests = ("environment", "workspace", "desired_digest", "live_digest")
    if any(saved.get(key) != fresh.get(key) for key in digests):
        return STALE
    return SAME if saved == fresh else DIFFERENT


def cmd_compare_plans(args: argparse.Namespace) -> int:
    saved = json.loads(Path(args.saved).read_text(encoding="utf-8"))
    fresh = json.loads(Path(args.fresh).read_text(encoding="utf-8"))
    result = compare_plans(saved, fresh)
    print(
        {
            SAME: "The plan file is what reconciler plans for this state.",
            STALE: "The desired or live state moved since the plan: reconcile apply refuses it.",
            DIFFERENT: "The plan file is NOT what reconciler plans for this same state.",
        }[result]
    )
    return result


# --- apply-report --------------------------------------------------------------------------


def apply_report(
    env: str,
    exitcode: int,
    cli_summary: str,
    stderr: str,
    *,
    pr: str = "",
    plan_run_url: str = "",
    different: bool = False,
) -> str:
    origin = ""
    if pr:
        run = f" ([plan run]({plan_run_url}))" if plan_run_url else ""
        origin = f"Plan reviewed on pull request #{pr}{run}.\n\n"
    if different:
        return (
            f"### reconciler apply · `{env}` · refused\n\n{origin}"
            "**The downloaded plan is not what reconciler plans for the same desired and live "
            "state, so it was not made by this reconciler from this commit (was the plan job "
            "changed?).** Nothing was applied.\n\n" + REPLAN_HOW + "\n"
        )
    if exitcode == EXIT_OK:
        body = cli_summary.strip() or (
            f"### reconciler apply · `{env}`\n\n**No changes: the reviewed plan had nothing to "
            "apply.**"
        )
        return f"{body}\n\n{origin}"
    if exitcode == EXIT_APPLY_FAILED:
        body = cli_summary.strip() or f"### reconciler apply · `{env}` · failed part-way"
        return (
            f"{body}\n\n{origin}> [!WARNING]\n> **Apply failed part-way (exit code 3).** The "
            "steps marked applied are done; failed and skipped steps are not. Fix the cause "
            "(see the failed step's message). Re-running this job is refused, since the "
            "workspace changed under the plan. " + REPLAN_HOW + "\n"
        )
    stale = exitcode == EXIT_PLAN_DIFFERS or any(marker in stderr for marker in STALE_MARKERS)
    lead = (
        "**The reviewed plan no longer agrees with a plan made now from this commit and the "
        "workspace, so reconciler refused it. Nothing was applied.**"
        if stale
        else f"**reconcile apply failed before changing anything (exit code {exitcode}).** "
        "Nothing was applied."
    )
    heading = "stale plan, not applied" if stale else "failed"
    return (
        f"### reconciler apply · `{env}` · {heading}\n\n{origin}{lead}\n\n"
        + code_block(clip(stderr.strip() or "(no error output)", STDERR_LIMIT))
        + ("\n" + REPLAN_HOW + "\n" if stale else "")
    )


def cmd_apply_report(args: argparse.Namespace) -> int:
    text = apply_report(
        args.env,
        int(args.exitcode),
        read_text(args.cli_summary),
        read_text(args.stderr),
        pr=args.pr,
        plan_run_url=args.plan_run_url,
        different=args.different,
    )
    text = fit(text, "", SUMMARY_LIMIT, "> [!NOTE]\n> Cut here; the full output is in the log.\n")
    Path(args.out).write_text(text, encoding="utf-8")
    append_summary(text)
    return 0


# --- command line --------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="reconciler_ci.py", description=__doc__.split("\n")[0])
    sub = root.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan-report", help="the PR comment / job summary for one plan")
    p.add_argument("--env", required=True)
    p.add_argument("--exitcode", default="", help="reconcile plan's exit code; empty: not run")
    p.add_argument("--markdown", default="")
    p.add_argument("--stderr", default="")
    p.add_argument("--out", required=True)
    p.add_argument("--limit", type=int, default=SUMMARY_LIMIT)
    p.add_argument("--artifact-name", default="")
    p.add_argument("--artifact-url", default="")
    p.add_argument("--link-run", action="store_true", help="link the workflow run")
    p.set_defaults(func=cmd_plan_report)

    p = sub.add_parser("verdict", help="fail on a plan error (and, for drift, on changes)")
    p.add_argument("--env", required=True)
    p.add_argument("--exitcode", default="")
    p.add_argument(
        "--fail-on-changes",
        nargs="?",
        const="true",
        default="false",
        choices=["true", "false"],
        help="fail on changes too (drift detection)",
    )
    p.set_defaults(func=cmd_verdict)

    p = sub.add_parser("find-plan", help="download the plan reviewed on the merged PR")
    p.add_argument("--env", required=True)
    p.add_argument("--workflow", default="plan.yml")
    p.add_argument("--dir", default=os.environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    p.set_defaults(func=cmd_find_plan)

    p = sub.add_parser("compare-plans", help="exit 0 same, 10 stale, 11 different")
    p.add_argument("saved")
    p.add_argument("fresh")
    p.set_defaults(func=cmd_compare_plans)

    p = sub.add_parser("apply-report", help="the job summary for one apply")
    p.add_argument("--env", required=True)
    p.add_argument("--exitcode", required=True)
    p.add_argument("--cli-summary", default="")
    p.add_argument("--stderr", default="")
    p.add_argument("--out", required=True)
    p.add_argument("--pr", default="")
    p.add_argument("--plan-run-url", default="")
    p.add_argument("--different", action="store_true")
    p.set_defaults(func=cmd_apply_report)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
