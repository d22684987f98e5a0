"""``reconcile gitops ...``: the steps of the GitHub flow, one command per job of the published
workflows (`reconciler.gitops`). Wiring only: options (each also read from the variable the
workflows set), one call, its exit code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli.options import common, session

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
@common
def gitops() -> None:
    """The steps of the GitHub flow (what the reusable workflows run)."""


def _flow_options(func: F) -> F:
    func = click.option(
        "--target",
        "target",
        multiple=True,
        envvar="RECONCILE_TARGET",
        metavar="ADDRESS",
        help="A dispatch's --target (planned before the gate). Repeatable.",
    )(func)
    func = click.option(
        "--replace",
        "replace",
        multiple=True,
        envvar="RECONCILE_REPLACE",
        metavar="ADDRESS",
        help="A dispatch's --replace (planned before the gate). Repeatable.",
    )(func)
    func = click.option(
        "--tool",
        "tool",
        envvar="RECONCILER_TOOL",
        default="",
        metavar="REPOSITORY@SHA",
        help="Which reconciler runs (the tool job's answer): its repository names our "
        "workflows in the runs it trusts.",
    )(func)
    func = click.option(
        "--review-workflow",
        envvar="RECONCILE_REVIEW_WORKFLOW",
        default="reconciler-review.yml",
        show_default=True,
        help="The caller's review workflow file (whose runs hold records).",
    )(func)
    func = click.option(
        "--working-directory",
        envvar="RECONCILE_WORKDIR",
        default=".",
        show_default=True,
        help="The project's folder from the repository's root (names, annotations).",
    )(func)
    func = click.option("--env", "environment", required=True, metavar="NAME")(func)
    return func


def _flow(
    environment: str,
    working_directory: str,
    review_workflow: str,
    tool: str,
    replace: tuple[str, ...] = (),
    target: tuple[str, ...] = (),
) -> Any:
    from reconciler.gitops.context import Flow

    return Flow(
        environment=environment,
        project=session().project_dir.resolve(),
        working_directory=working_directory,
        review_workflow=review_workflow,
        tool_repository=tool.partition("@")[0],
        replace=tuple(a for item in replace for a in item.replace(",", " ").split()),
        target=tuple(a for item in target for a in item.replace(",", " ").split()),
    )


def _pulls(text: str) -> list[int]:
    return [int(n) for n in text.replace(",", " ").split() if n.isdigit()]


@gitops.command()
@common
@click.option(
    "--from",
    "start",
    default="",
    envvar="RECONCILE_FROM",
    metavar="ENV",
    help="Apply stages starting at ENV (alone), then the stages after it (a dispatch).",
)
def matrix(start: str) -> None:
    """Print each job's matrix from platform.yaml's gitops: section (as JSON; in GitHub
    Actions also as step outputs: environments, stages, plan, sources, stage-1 … stage-6)."""
    from reconciler.config.gitops import load_gitops
    from reconciler.gitops.github import set_outputs
    from reconciler.gitops.matrix import matrix as matrices

    found = matrices(load_gitops(session().project_dir), start)
    set_outputs(**{k.replace("-", "_"): json.dumps(v) if v != "" else "" for k, v in found.items()})
    session().out(json.dumps(found, indent=2) + "\n")


@gitops.command(name="plan")
@common
@_flow_options
@click.option("--with-secrets", is_flag=True, help="Compare secrets (not on a pull request).")
@click.option("--fail-on-changes", is_flag=True, help="Exit 1 on changes too (drift).")
def plan_pull_request(
    environment: str, working_directory: str, with_secrets: bool, fail_on_changes: bool, **_: Any
) -> None:
    """A pull request's plan: without secrets, saved with its outcome for the review job."""
    from reconciler.gitops.pulls import plan_pull_request as run

    project = session().project_dir.resolve()
    raise SystemExit(
        run(
            environment,
            project,
            working_directory,
            with_secrets=with_secrets,
            fail_on_changes=fail_on_changes,
        )
    )


@gitops.command()
@common
@click.option("--working-directory", envvar="RECONCILE_WORKDIR", default=".", show_default=True)
@click.option(
    "--review-workflow", envvar="RECONCILE_REVIEW_WORKFLOW", default="reconciler-review.yml"
)
@click.option("--tool", envvar="RECONCILER_TOOL", default="", metavar="REPOSITORY@SHA")
def review(working_directory: str, review_workflow: str, tool: str) -> None:
    """The review job (workflow_run): bind the plan run to its pull request, comment, record
    every environment of the gitops section."""
    from reconciler.gitops.review import review as run

    raise SystemExit(run(session().project_dir.resolve(), working_directory, review_workflow, tool))


@gitops.command()
@common
@_flow_options
def prepare(**options: Any) -> None:
    """Before the gate: what this apply run applies (the file, its digest)."""
    from reconciler.gitops.prepare import prepare as run

    raise SystemExit(run(_flow(**options)))


@gitops.command(name="apply")
@common
@_flow_options
@click.option("--digest", envvar="RECONCILE_PLAN_DIGEST", default="", help="The file's sha256.")
@click.option("--pulls", envvar="RECONCILE_PULLS", default="", help="Merged pull requests.")
@click.option("--fresh", is_flag=True, help="Apply the approved fresh plan (the second job).")
def apply_run(digest: str, pulls: str, fresh: bool, **options: Any) -> None:
    """After the gate: apply this run's prepared file (or, --fresh, the approved fresh plan)."""
    from reconciler.gitops import names
    from reconciler.gitops.applying import apply_file

    flow = _flow(**options)
    kind = "apply-fresh" if fresh else "apply-plan"
    artifact = names.artifact(kind, flow.environment, flow.working_directory)
    stage = "fresh" if fresh else "apply"
    raise SystemExit(apply_file(flow, stage, artifact, digest, _pulls(pulls), last=fresh))


@gitops.command()
@common
@_flow_options
def drift(**options: Any) -> None:
    """Daily: plan without secrets; one issue per environment while it drifts."""
    from reconciler.gitops.drift import drift as run

    raise SystemExit(run(_flow(**options)))


@gitops.command(name="check-sources")
@common
@_flow_options
@click.option("--pull-request", type=int, required=True, envvar="RECONCILE_PULL_REQUEST_NUMBER")
@click.option(
    "--pull-checkout",
    type=click.Path(file_okay=False, exists=True),
    required=True,
    envvar="RECONCILE_PULL_CHECKOUT",
    help="A checkout of the pull request's head (as data).",
)
def check_sources(pull_request: int, pull_checkout: str, **options: Any) -> None:
    """A pull request's changed queries with LIMIT 0, with the default branch's code."""
    from reconciler.gitops.sources import check_sources as run

    raise SystemExit(run(_flow(**options), pull_request, Path(pull_checkout).resolve()))


@click.command()
@common
@click.option("--env", "environment", required=True, metavar="NAME")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
def doctor(environment: str, fmt: str) -> None:
    """What this identity can and cannot do against what plan and apply need (read-only):
    who it is, the variables and secrets platform.yaml names, and, on Azure ML, its roles and
    the environment's applier's (AZURE_APPLIER_PRINCIPAL_ID). Exit 1 when something is
    missing."""
    from reconciler.gitops.doctor import diagnose, render
    from reconciler.gitops.github import append_summary

    checks = diagnose(session().project_dir.resolve(), environment)
    session().out(render(checks, environment, fmt))
    append_summary(render(checks, environment, "markdown"))
    if any(c.gap for c in checks):
        raise SystemExit(1)


@click.group()
def setup() -> None:
    """Print the commands that set a config repository up (they are never run here)."""


@setup.command()
@common
@click.option("--repo", "repository", required=True, metavar="OWNER/REPO", help="The config repo.")
@click.option(
    "--tool",
    default="globorealty/reconciler",
    show_default=True,
    metavar="OWNER/REPO",
    help="The repository of reconciler's reusable workflows.",
)
@click.option("--tool-ref", required=True, metavar="TAG", help="The tag the workflows call, v1.")
@click.option(
    "--reviewers",
    default="ORG/platform-leads",
    show_default=True,
    metavar="ORG/TEAM",
    help="The team that approves applies after the first stage, and source checks.",
)
@click.option(
    "--policy-owners",
    default=None,
    metavar="ORG/TEAM",
    help="The team that approves a soft policy failure's override (default: --reviewers).",
)
def azure(
    repository: str, tool: str, tool_ref: str, reviewers: str, policy_owners: str | None
) -> None:
    """Entra ID apps (a planner; one applier per environment, federated with our apply
    workflow only), their roles, the GitHub environments and variables, branch protection:
    from platform.yaml's gitops: section and environments/*.yaml."""
    from reconciler.gitops.setup import script

    project = session().project_dir.resolve()
    session().out(script(project, repository, tool, tool_ref, reviewers, policy_owners))
