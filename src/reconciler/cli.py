"""The command line: options, exit codes and the one error handler. Wiring only.

Exit codes: 0 success (no changes), 1 error, 2 changes present (with --detailed-exitcode),
3 apply failed part-way. Nothing heavy is imported at start-up, so ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.errors import EXIT_APPLY_FAILED, EXIT_CHANGES, EXIT_ERROR, EXIT_OK, ReconcileError

if TYPE_CHECKING:
    from reconciler.config import LoadedConfig
    from reconciler.plan import Plan
    from reconciler.providers.base import Workspace

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Session:
    """Per-invocation settings and the redaction list that guards every line we print."""

    project_dir: Path = field(default_factory=Path.cwd)
    debug: bool = False
    color: bool = True
    secrets: set[str] = field(default_factory=set)

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def out(self, text: str, *, err: bool = False) -> None:
        click.echo(self.redact(text), nl=False, err=err)

    def open(self, environment: str | None) -> tuple[LoadedConfig, Workspace]:
        """The environment's validated desired state and the workspace it targets."""
        from reconciler.providers.factory import open_workspace

        config = self.load(environment)
        return config, open_workspace(config)

    def load(self, environment: str | None) -> LoadedConfig:
        from reconciler.config import load

        config = load(self.project_dir, environment)
        from reconciler.resources import desired_resources

        for resource in desired_resources(config.platform):
            for ref in resource.secrets.values():
                value = config.variables.get(ref.name)
                if value and len(value) >= 3:
                    self.secrets.add(value)
        return config


def _session() -> Session:
    return click.get_current_context().ensure_object(Session)


def _set_dir(ctx: click.Context, _: Any, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(Session).project_dir = Path(value)


def _set_debug(ctx: click.Context, _: Any, value: bool) -> None:
    if value:
        ctx.ensure_object(Session).debug = True


def _set_no_color(ctx: click.Context, _: Any, value: bool) -> None:
    if value:
        ctx.ensure_object(Session).color = False


def common(func: F) -> F:
    """Options accepted before or after the command name."""
    func = click.option(
        "-C",
        "directory",
        default=None,
        expose_value=False,
        callback=_set_dir,
        type=click.Path(file_okay=False, exists=True),
        is_eager=True,
        help="Run as if started in DIR (the folder holding platform.yaml).",
    )(func)
    func = click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=_set_debug,
        is_eager=True,
        help="Show tracebacks.",
    )(func)
    func = click.option(
        "--no-color",
        is_flag=True,
        expose_value=False,
        callback=_set_no_color,
        help="Plain output (also when NO_COLOR is set).",
    )(func)
    return func


def env_option(func: F) -> F:
    return click.option(
        "--env",
        "environment",
        default=None,
        metavar="NAME",
        help="Environment overlay environments/NAME.yaml (default: platform.yaml's "
        "default_environment).",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@common
@click.version_option(package_name="reconciler", prog_name="reconcile")
def cli() -> None:
    """Declarative GitOps for Azure Machine Learning workspaces.

    Reads platform.yaml (+ environments/NAME.yaml), shows what would change in the workspace
    (plan) and makes it so (apply).

    Exit codes: 0 success/no changes, 1 error, 2 changes present (--detailed-exitcode),
    3 apply failed part-way.
    """


@cli.command()
@common
@env_option
def validate(environment: str | None) -> None:
    """Check the desired state without contacting the workspace or needing secrets."""
    session = _session()
    config = session.load(environment)
    p = config.platform
    session.out(
        f"The desired state is valid for environment {config.environment!r}: "
        f"{len(p.connections)} connection(s), {len(p.datastores)} datastore(s), "
        f"{len(p.imports)} import(s).\n"
    )


@cli.command()
def schema() -> None:
    """Print the JSON Schema of platform.yaml (for editors and CI)."""
    from reconciler.schema import schema_json

    click.echo(schema_json(), nl=False)


@cli.command()
@common
@env_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan to FILE.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option("--prune", is_flag=True, help="Delete managed resources no longer declared.")
@click.option(
    "--check-sources",
    is_flag=True,
    help="Run each new or changed import query with zero rows returned (LIMIT 0).",
)
def plan(
    environment: str | None,
    out_file: str | None,
    fmt: str,
    detailed_exitcode: bool,
    prune: bool,
    check_sources: bool,
) -> None:
    """Show what apply would change in the workspace."""
    from reconciler.planner import build_plan

    session = _session()
    config, workspace = session.open(environment)
    result = build_plan(config, workspace, prune=prune)
    session.out(_render(result, fmt, session))
    if check_sources:
        from reconciler.checks import check_sources as run_checks

        problems = run_checks(result, config)
        if problems:
            raise ReconcileError(
                "source check failed:\n" + "\n".join(f"  {p}" for p in problems),
                hint="fix the query or the connection's credentials; nothing was changed",
            )
    if out_file:
        Path(out_file).write_text(session.redact(result.to_json()), encoding="utf-8")
    if out_file and fmt == "text":
        session.out(f"\nSaved the plan to {out_file}; apply it with: reconcile apply {out_file}\n")
    if detailed_exitcode and result.has_changes:
        raise SystemExit(EXIT_CHANGES)


@cli.command()
@common
@env_option
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--prune", is_flag=True, help="Delete managed resources no longer declared.")
@click.option(
    "--parallelism",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="How many independent steps run at once.",
)
@click.option(
    "--summary-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write a markdown summary (applied, failed, skipped steps) to FILE.",
)
def apply(
    environment: str | None,
    plan_file: str | None,
    auto_approve: bool,
    prune: bool,
    parallelism: int,
    summary_file: str | None,
) -> None:
    """Make the workspace match the desired state (or apply a saved PLAN_FILE exactly)."""
    from reconciler.apply import apply_plan, check_fresh
    from reconciler.planner import build_plan
    from reconciler.secrets import SecretHasher

    session = _session()
    hasher = SecretHasher()
    if plan_file:
        saved = _read_plan(Path(plan_file))
        config, workspace = session.open(environment or saved.environment)
        check_fresh(saved, config, workspace, hasher)
        the_plan = saved
    else:
        config, workspace = session.open(environment)
        the_plan = build_plan(config, workspace, prune=prune, hasher=hasher)
    session.out(_render(the_plan, "text", session))
    if not the_plan.steps:
        return
    if not plan_file and not auto_approve:
        if not sys.stdin.isatty():
            raise ReconcileError(
                "apply needs confirmation, but no terminal is attached",
                hint="review the plan and pass --auto-approve, or apply a saved plan file",
            )
        if not click.confirm("\nApply these changes?", default=False):
            session.out("Apply cancelled; nothing was changed.\n")
            return
    from reconciler.render.progress import (
        ConsoleReporter,
        render_apply_markdown,
        render_apply_summary,
    )

    session.out("\n")
    reporter = ConsoleReporter(session.out, color=session.color, redact=session.redact)
    outcome = apply_plan(the_plan, config, workspace, reporter, hasher, parallelism)
    reporter.close()
    session.out(render_apply_summary(outcome))
    if summary_file:
        text = render_apply_markdown(the_plan, outcome)
        Path(summary_file).write_text(session.redact(text), encoding="utf-8")
    if not outcome.ok:
        raise SystemExit(EXIT_APPLY_FAILED)


@cli.command()
@common
@env_option
def status(environment: str | None) -> None:
    """Show each import's latest version, last job, rows and schedule."""
    from reconciler.render.tables import render_status

    session = _session()
    config, workspace = session.open(environment)
    names = sorted(config.platform.imports)
    assets = workspace.list_assets(names)
    schedules = workspace.list_resources("schedule")
    session.out(render_status(names, assets, schedules))


@cli.command()
@common
@env_option
@click.argument("asset")
@click.option("--version", "version", default=None, help="Version to show (default: latest).")
@click.option("--rows", "head_rows", default=5, show_default=True, help="How many rows to print.")
def show(environment: str | None, asset: str, version: str | None, head_rows: int) -> None:
    """Look at an imported data asset: schema, rows, first rows, numeric summary."""
    from reconciler.dataset import summarize
    from reconciler.render.tables import render_dataset

    session = _session()
    _, workspace = session.open(environment)
    found = workspace.list_assets([asset])
    if not found or not found[0].versions:
        raise ReconcileError(
            f"data asset {asset!r} has no registered version yet",
            hint="run reconcile apply, then reconcile status",
        )
    chosen = version or found[0].latest_version().version  # type: ignore[union-attr]
    summary = summarize(workspace.data_folder(asset, chosen), head_rows)
    session.out(render_dataset(asset, chosen, summary))


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Run an Azure ML management API emulator (try any azure-ai-ml code offline).

    Prints the environment variables that point azure-ai-ml at it. See --help.
    """
    from reconciler.emulator import main as emulator_main

    code = emulator_main(list(args))
    if code:
        raise SystemExit(code)


def _read_plan(path: Path) -> Plan:
    from pydantic import ValidationError

    from reconciler.plan import FORMAT_VERSION, Plan

    try:
        saved = Plan.from_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise ReconcileError(
            f"{path} is not a reconciler plan file (or one from an incompatible version)",
            hint="create one with: reconcile plan --out FILE",
        ) from exc
    if saved.format_version != FORMAT_VERSION:
        raise ReconcileError(
            f"{path} has plan format {saved.format_version}; this reconciler reads "
            f"{FORMAT_VERSION}",
            hint="plan again with this version of reconciler",
        )
    return saved


def _render(result: Plan, fmt: str, session: Session) -> str:
    if fmt == "json":
        return result.to_json()
    if fmt == "markdown":
        from reconciler.render.markdown import render_plan as markdown

        return markdown(result)
    from reconciler.render.terminal import render_plan as terminal

    return terminal(result, color=session.color and _wants_color())


def _wants_color() -> bool:
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def main(argv: list[str] | None = None) -> None:
    session = Session()
    try:
        code = cli.main(args=argv, obj=session, standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except SystemExit:
        raise
    except ReconcileError as exc:
        if session.debug:
            traceback.print_exc()
        session.out(f"Error: {exc}\n", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        session.out("Aborted; nothing more was changed.\n", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        session.out(f"Error: {exc.format_message()}\n", err=True)
        context = getattr(exc, "ctx", None)
        if context is not None:
            session.out(f"Try '{context.command_path} --help' for help.\n", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:
        if session.debug:
            session.out("".join(traceback.format_exception(exc)), err=True)
        else:
            session.out(
                f"Internal error ({type(exc).__name__}): {exc}\n"
                "  This is a bug in reconciler; rerun with --debug and report the traceback.\n",
                err=True,
            )
        sys.exit(EXIT_ERROR)
