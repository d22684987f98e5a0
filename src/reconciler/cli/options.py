"""The options every command shares, and the `Session` they fill (``-C``, ``--debug``,
``--no-color``, ``--timeout`` before or after the command name; ``--env``; ``--target`` and
``--replace``; ``--out``). Parsing only."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.cli.session import Session


class Seconds(click.ParamType):  # type: ignore[type-arg]
    """A finite number of seconds in a range: click's FloatRange lets nan through (it compares
    false with both bounds), and inf or 1e308 overflow the timers they set."""

    name = "seconds"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            self.fail(
                f"{value!r} is not a number of seconds from {self.low:g} to {self.high:g}",
                param,
                ctx,
            )
        return number


WEEK = 7 * 24 * 3600

if TYPE_CHECKING:  # pydantic stays out of --help
    from reconciler.core.consumers import ConsumerWindow

F = TypeVar("F", bound=Callable[..., Any])
PRUNE_HELP = "Delete managed resources no longer declared."


def session() -> Session:
    """This command's session."""
    return click.get_current_context().ensure_object(Session)


def _set_dir(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(Session).project_dir = Path(value)


def _set_debug(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Session).debug = True


def _set_no_color(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Session).color = False


def _set_timeout(ctx: click.Context, _: click.Parameter, value: float | None) -> None:
    if value is not None:
        ctx.ensure_object(Session).timeout = value


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
    func = click.option(
        "--timeout",
        type=Seconds(0.1, WEEK),
        default=None,
        expose_value=False,
        callback=_set_timeout,
        metavar="SECONDS",
        help="Give up after SECONDS: before apply starts changing anything, nothing is changed; "
        "during apply, no new step starts and the summary says what was applied.",
    )(func)
    return func


def _environment(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("an environment name cannot be empty", ctx=ctx)
    return value


def env_option(func: F) -> F:
    return click.option(
        "--env",
        "environment",
        default=None,
        metavar="NAME",
        callback=_environment,
        help="Environment overlay environments/NAME.yaml (default: platform.yaml's "
        "default_environment).",
    )(func)


def scope_options(func: F) -> F:
    func = click.option(
        "--replace",
        "replace",
        multiple=True,
        metavar="ADDRESS",
        help="Import a new version of this unchanged import (import.NAME), or delete and "
        "re-create this resource. Repeatable.",
    )(func)
    func = click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="ADDRESS",
        help="Plan only this resource (KIND.NAME) and what it depends on. Repeatable.",
    )(func)
    return func


def policy_folders(func: F) -> F:
    return click.option(
        "--policies",
        "policy_dirs",
        multiple=True,
        type=click.Path(file_okay=False, exists=True),
        metavar="DIR",
        help="Evaluate the Rego policies in DIR instead of platform.yaml's policies (default "
        "policies/). Repeatable. In CI: the trusted branch's checkout of them.",
    )(func)


def _override(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    reason = " ".join(value.split())
    if not reason or len(reason) > MAX_OVERRIDE:
        raise click.BadParameter(
            f"give the reason in 1 to {MAX_OVERRIDE} characters (it is recorded on what apply "
            "writes)",
            ctx=ctx,
        )
    return reason


MAX_OVERRIDE = 256


def policy_override(func: F) -> F:
    return click.option(
        "--policy-override",
        "policy_override",
        default=None,
        metavar="REASON",
        envvar="RECONCILER_POLICY_OVERRIDE",
        callback=_override,
        help="Apply although soft policies fail, for REASON (recorded on everything apply "
        "writes, as reconciler.made-by.policy-override). Hard failures are never overridden. "
        "Also RECONCILER_POLICY_OVERRIDE (set it only in a job behind the policy owners' "
        "approval).",
    )(func)


def consumer_options(func: F) -> F:
    """Who consumes what a plan changes (settings.consumers gives the defaults)."""
    func = click.option(
        "--consumer-jobs",
        type=click.IntRange(0, 5000),
        default=None,
        metavar="N",
        help="Consumers: read at most N recent jobs, newest first (default 200).",
    )(func)
    func = click.option(
        "--consumer-days",
        type=click.IntRange(1, 3650),
        default=None,
        metavar="DAYS",
        help="Consumers: read the jobs of the last DAYS days (default 30).",
    )(func)
    func = click.option(
        "--consumers/--no-consumers",
        "consumers",
        default=None,
        help="List the schedules and recent jobs that read what the plan changes (a data "
        "asset's new version, a datastore or connection deleted or replaced). Default: on, "
        "or settings.consumers.enabled.",
    )(func)
    return func


def consumer_window(
    settings: ConsumerWindow | None, wanted: bool | None, days: int | None, jobs: int | None
) -> ConsumerWindow | None:
    """The window the flags ask for, over platform.yaml's settings (None: not looked for)."""
    from reconciler.core.consumers import ConsumerWindow

    if wanted is False or (wanted is None and settings is None):
        return None
    base = settings or ConsumerWindow()
    return ConsumerWindow(
        days=days if days is not None else base.days,
        jobs=jobs if jobs is not None else base.jobs,
    )


def out_path(func: F) -> F:
    return click.option(
        "--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan to FILE."
    )(func)


def plan_options(func: F) -> F:
    """``reconcile plan``'s own options."""
    func = click.option(
        "--policy-input",
        "policy_input",
        type=click.Path(dir_okay=False),
        default=None,
        metavar="FILE",
        help="Also write the document the policies read (the plan's JSON with environment, "
        "desired and provenance) to FILE: for conftest, opa eval or writing policy tests.",
    )(func)
    func = policy_folders(func)
    func = click.option(
        "--no-secrets",
        is_flag=True,
        help="Read no secret: secret fields show as (sensitive, compared at apply). For reviews "
        "by jobs that must not hold secrets.",
    )(func)
    func = click.option(
        "--check-sources",
        is_flag=True,
        help="Have the database compile each new or changed import query, as the import sends it, "
        "and count its rows.",
    )(func)
    func = click.option("--prune", is_flag=True, help=PRUNE_HELP)(func)
    changes = "Exit 2 when there are changes, 5 when the policies block the plan."
    func = click.option("--detailed-exitcode", is_flag=True, help=changes)(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "markdown", "json"]),
        default="text",
        show_default=True,
        help="Output format.",
    )(func)
    return func


def apply_options(func: F) -> F:
    """``reconcile apply``'s own options and its PLAN_FILE."""
    func = policy_override(func)
    func = policy_folders(func)
    func = click.option(
        "--expect-flags-from-settings",
        "expect_flags",
        is_flag=True,
        help="With PLAN_FILE and --env: refuse (exit 6, nothing applied) a saved plan whose "
        "environment, prune, targets or replace are not --env, settings.prune and the --target "
        "and --replace given here (none by default). For pipelines applying a file someone else "
        "wrote.",
    )(func)
    func = click.option(
        "--fresh-plan-out",
        type=click.Path(dir_okay=False),
        default=None,
        help="With PLAN_FILE: write the plan made now to FILE (to review or apply it when the "
        "reviewed plan no longer agrees).",
    )(func)
    func = click.option(
        "--lock/--no-lock",
        default=True,
        show_default=True,
        help="Hold the workspace's apply lock (one apply at a time). --no-lock is for a workspace "
        "nothing else applies to.",
    )(func)
    func = click.option(
        "--lock-timeout",
        type=Seconds(0, 24 * 3600),
        default=0,
        show_default=True,
        metavar="SECONDS",
        help="Wait this long for another apply to release the workspace's lock.",
    )(func)
    func = click.option(
        "--wait",
        "wait",
        is_flag=True,
        help="Also wait for imports already running (from an earlier, interrupted apply or a "
        "schedule) and report how they ended.",
    )(func)
    func = click.option(
        "--check-sources",
        is_flag=True,
        help="Before any change, have the database compile each new or changed import query; a "
        "failure applies nothing.",
    )(func)
    func = click.option(
        "--summary-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="Also write a markdown summary (applied, failed, skipped steps, or why nothing was "
        "applied) to FILE.",
    )(func)
    func = click.option(
        "--parallelism",
        default=8,
        show_default=True,
        type=click.IntRange(1, 64),
        help="How many independent steps run at once.",
    )(func)
    func = click.option("--prune", is_flag=True, help=PRUNE_HELP)(func)
    approve = "Apply without asking for confirmation."
    func = click.option("--auto-approve", is_flag=True, help=approve)(func)
    plan_file = click.Path(dir_okay=False, exists=True)
    func = click.argument("plan_file", required=False, type=plan_file)(func)
    return func
