"""``reconcile gitops ...``: the steps of the GitHub flow, one command per job of the published
workflows (`reconciler.gitops`). Wiring only: parse, call, exit."""

from __future__ import annotations

import json

import click

from reconciler.cli.options import common, session


@click.group()
@common
def gitops() -> None:
    """The steps of the GitHub flow (what the reusable workflows run)."""


@gitops.command()
@common
@click.option(
    "--from",
    "start",
    default="",
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
