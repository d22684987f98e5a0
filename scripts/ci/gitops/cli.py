"""The command line of scripts/ci/reconciler_ci.py: one subcommand per workflow step."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from gitops import action, applyflow, drift, plans
from gitops.common import (
    COMMENT_LIMIT,
    EXIT_CHANGES,
    EXIT_OK,
    SUMMARY_LIMIT,
    append_summary,
    check_env_name,
    out_dir,
    read_text,
    run_url,
    set_outputs,
)


def cmd_plan_report(args: argparse.Namespace) -> int:
    exitcode = int(args.exitcode) if str(args.exitcode).strip() else None
    outcome = plans.PlanOutcome(
        environment=args.env,
        exitcode=exitcode,
        markdown=read_text(args.markdown),
        stderr=read_text(args.stderr),
        fork=args.fork == "true",
        validate=read_text(args.validate),
        head_sha=args.head_sha,
    )
    text = plans.plan_report(
        outcome,
        limit=args.limit,
        artifact_name=args.artifact_name,
        artifact_url=args.artifact_url,
        link=run_url() if args.link_run else "",
        marker_name=args.marker_name,
    )
    Path(args.out).write_text(text, encoding="utf-8")
    set_outputs(path=str(Path(args.out).resolve()))
    return 0


def cmd_verdict(args: argparse.Namespace) -> int:
    env, code = args.env, str(args.exitcode).strip()
    fail_on_changes = str(args.fail_on_changes).lower() == "true"
    if code == str(EXIT_OK):
        print(f"{env}: no changes.")
        return 0
    if code == str(EXIT_CHANGES):
        if fail_on_changes:
            print(f"::error title=Drift in {env}::the workspace does not match the desired state")
            append_summary(drift.DRIFT_NOTE.format(env=env))
            return 1
        print(f"{env}: the plan has changes; review them in the pull request comment.")
        return 0
    what = f"exited {code}" if code else "did not run"
    print(f"::error title=reconcile plan failed ({env})::reconcile plan {what}; see the summary")
    return 1


def cmd_post_plan_comments(args: argparse.Namespace) -> int:
    run = plans.run_from_event()
    plans.post_plan_comments(run, out_dir() / "comments")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    return applyflow.cmd_prepare(check_env_name(args.env))


def cmd_apply(args: argparse.Namespace) -> int:
    return applyflow.cmd_apply(check_env_name(args.env))


def cmd_reapply(args: argparse.Namespace) -> int:
    return applyflow.cmd_reapply(check_env_name(args.env))


def cmd_apply_one(args: argparse.Namespace) -> int:
    return action.cmd_apply_one(
        check_env_name(args.env), args.plan_file, args.workflow, args.artifact
    )


def cmd_drift_issue(args: argparse.Namespace) -> int:
    return drift.update_issue(check_env_name(args.env), args.exitcode, args.report)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="reconciler_ci.py", description="reconciler's GitHub workflow steps"
    )
    sub = root.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan-report", help="the PR comment / job summary for one plan")
    p.add_argument("--env", required=True)
    p.add_argument("--exitcode", default="", help="reconcile plan's exit code; empty: not run")
    p.add_argument("--markdown", default="")
    p.add_argument("--stderr", default="")
    p.add_argument("--validate", default="")
    p.add_argument("--fork", default="false")
    p.add_argument("--head-sha", default="")
    p.add_argument("--out", required=True)
    p.add_argument("--limit", type=int, default=SUMMARY_LIMIT)
    p.add_argument("--artifact-name", default="")
    p.add_argument("--artifact-url", default="")
    p.add_argument("--marker-name", default="")
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

    p = sub.add_parser("post-plan-comments", help="workflow_run: post the plan run's comments")
    p.set_defaults(func=cmd_post_plan_comments)

    for name, func, text in (
        ("prepare", cmd_prepare, "what this apply run will apply (read-only)"),
        ("apply", cmd_apply, "apply the reviewed plans (or the prepared fresh plan)"),
        ("reapply", cmd_reapply, "apply the fresh plan after its approval"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--env", required=True)
        p.set_defaults(func=func)

    p = sub.add_parser("apply-one", help="action.yml: apply one plan file or the reviewed one")
    p.add_argument("--env", required=True)
    p.add_argument("--plan-file", default="")
    p.add_argument("--workflow", default="plan.yml")
    p.add_argument("--artifact", default="")
    p.set_defaults(func=cmd_apply_one)

    p = sub.add_parser("drift-issue", help="open, update or close the environment's drift issue")
    p.add_argument("--env", required=True)
    p.add_argument("--exitcode", default="")
    p.add_argument("--report", default="")
    p.set_defaults(func=cmd_drift_issue)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.func(args)
    return result


__all__ = ["COMMENT_LIMIT", "main"]
