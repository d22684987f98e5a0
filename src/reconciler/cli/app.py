"""The command line: options, exit codes and the one error handler. Wiring only.

Exit codes: 0 success (no changes), 1 error (nothing changed), 2 changes present (with
--detailed-exitcode), 3 apply changed something and something failed or was not started,
4 a reviewed plan no longer agrees with a fresh one (nothing applied). Nothing heavy is
imported at start-up, so ``--help`` stays fast.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.cli.session import Session
from reconciler.core.errors import (
    EXIT_APPLY_FAILED,
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    ConfigError,
    PlanDiffers,
    ReconcileError,
)
from reconciler.core.live import JobStatus

if TYPE_CHECKING:
    from reconciler.core.desired import DesiredState
    from reconciler.core.plan import ApplyResult, Plan, ResourceChange
    from reconciler.core.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


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


def _set_timeout(ctx: click.Context, _: Any, value: float | None) -> None:
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
        type=click.FloatRange(min=0.1),
        default=None,
        expose_value=False,
        callback=_set_timeout,
        metavar="SECONDS",
        help="Give up after SECONDS: before apply starts changing anything, nothing is changed; "
        "during apply, no new step starts and the summary says what was applied.",
    )(func)
    return func


def _environment(ctx: click.Context, _: Any, value: str | None) -> str | None:
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


def out_path(func: F) -> F:
    return click.option(
        "--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan to FILE."
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@common
@click.version_option(package_name="reconciler", prog_name="reconcile")
def cli() -> None:
    """Declarative GitOps for Azure Machine Learning workspaces.

    Reads platform.yaml (+ environments/NAME.yaml), shows what would change in the workspace
    (plan) and makes it so (apply).

    Exit codes: 0 success/no changes, 1 error, 2 changes present (--detailed-exitcode),
    3 apply failed part-way, 4 a reviewed plan no longer agrees (nothing applied).
    """


@cli.command()
@common
@env_option
def validate(environment: str | None) -> None:
    """Check the desired state without contacting the workspace or needing secrets."""
    session = _session()
    desired = session.load(environment, with_secrets=False)
    counts = {kind: len(desired.of_kind(kind)) for kind in _kinds()}
    session.out(
        f"The desired state is valid for environment {desired.environment!r}: "
        + ", ".join(f"{n} {kind}(s)" for kind, n in counts.items() if kind != "schedule")
        + ".\n"
    )


def _kinds() -> tuple[Any, ...]:
    from reconciler.core.essences import KINDS

    return KINDS


@cli.command()
def schema() -> None:
    """Print the JSON Schema of platform.yaml (for editors and CI)."""
    from reconciler.config.schema import schema_json

    click.echo(schema_json(), nl=False)


@cli.command()
@common
@env_option
@out_path
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
@click.option(
    "--no-secrets",
    is_flag=True,
    help="Read no secret: secret fields show as (sensitive, compared at apply). For reviews "
    "by jobs that must not hold secrets.",
)
@scope_options
def plan(
    environment: str | None,
    out_file: str | None,
    fmt: str,
    detailed_exitcode: bool,
    prune: bool,
    check_sources: bool,
    no_secrets: bool,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
) -> None:
    """Show what apply would change in the workspace."""
    from reconciler.engine.planner import build_plan

    session = _session()
    if check_sources and no_secrets:
        raise click.UsageError("--check-sources needs secrets; it cannot run with --no-secrets")
    out = session.output_file(out_file)
    desired, workspace = session.open(environment, with_secrets=not no_secrets)
    result = build_plan(desired, workspace, prune=prune, targets=targets, replace=replace)
    session.out(_render(result, fmt, session))
    if check_sources:
        _check_sources(result, desired, session)
    if out is not None:
        session.write_plan(out, result)
        if fmt == "text":
            session.out(f"\nSaved the plan to {out}; apply it with: reconcile apply {out}\n")
    if detailed_exitcode and not result.converged:
        raise SystemExit(EXIT_CHANGES)


def _check_sources(result: Plan, desired: DesiredState, session: Session) -> None:
    from reconciler.engine.checks import check_sources

    report = check_sources(result, desired)
    if report.problems:
        raise ReconcileError(
            "source check failed:\n" + "\n".join(f"  {p}" for p in report.problems),
            hint="fix the query or the connection's credentials; nothing was changed",
        )
    if report.sizes:
        lines = [f"  import.{name}: ok, {size.describe()}" for name, size in report.sizes.items()]
        session.out("\nSource checks passed:\n" + "\n".join(lines) + "\n")


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
    help="Also write a markdown summary (applied, failed, skipped steps, or why nothing was "
    "applied) to FILE.",
)
@click.option(
    "--check-sources",
    is_flag=True,
    help="Before any change, run each new or changed import query with LIMIT 0; a failure "
    "applies nothing.",
)
@click.option(
    "--wait",
    "wait",
    is_flag=True,
    help="Also wait for imports already running (from an earlier, interrupted apply or a "
    "schedule) and report how they ended.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(0, 24 * 3600),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="Wait this long for another apply to release the workspace's lock.",
)
@click.option(
    "--lock/--no-lock",
    default=True,
    show_default=True,
    help="Hold the workspace's apply lock (one apply at a time). --no-lock is for a workspace "
    "nothing else applies to.",
)
@click.option(
    "--fresh-plan-out",
    type=click.Path(dir_okay=False),
    default=None,
    help="With PLAN_FILE: write the plan made now to FILE (to review or apply it when the "
    "reviewed plan no longer agrees).",
)
@scope_options
def apply(
    environment: str | None,
    plan_file: str | None,
    auto_approve: bool,
    prune: bool,
    parallelism: int,
    summary_file: str | None,
    check_sources: bool,
    wait: bool,
    lock_timeout: float,
    lock: bool,
    fresh_plan_out: str | None,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
) -> None:
    """Make the workspace match the desired state.

    With PLAN_FILE, apply the reviewed plan: a plan is made now and applied only where it
    agrees with the reviewed one; changes nobody reviewed are left alone and listed.
    """
    session = _session()
    summary = session.output_file(summary_file)
    fresh_out = session.output_file(fresh_plan_out)
    if fresh_out is not None and not plan_file:
        raise click.UsageError("--fresh-plan-out goes with a PLAN_FILE")
    saved = _plan_file(Path(plan_file)) if plan_file else None
    if saved is not None and (targets or replace or prune):
        raise click.UsageError(
            "a saved plan carries its own --target, --replace and --prune; plan again to change "
            "them"
        )
    scope = (saved.targets, saved.replace) if saved is not None else (targets, replace)
    env = environment or (saved.environment if saved else None)
    desired, workspace = session.open(env, read_only=False)
    try:
        with _lock(desired, workspace, lock_timeout) if lock else nullcontext():
            fresh = _apply_locked(
                session, desired, workspace, saved, prune, auto_approve, parallelism, summary,
                check_sources, fresh_out, scope,
            )  # fmt: skip
            if wait:
                _wait_for_running(session, workspace, fresh)
    except PlanDiffers:
        raise  # its summary says where the plans differ
    except ReconcileError as exc:
        if summary is not None:
            _refused_summary(session, summary, desired.environment, exc)
        raise


def _lock(
    desired: DesiredState, workspace: Workspace, timeout: float
) -> AbstractContextManager[None]:
    from reconciler.cli import provenance

    made_by = provenance.current(desired.project_dir)
    holder = made_by.get("run") or f"{made_by.get('by', 'someone')} (pid {os.getpid()})"
    return workspace.lock(f"reconcile apply by {holder}", timeout)


def _apply_locked(
    session: Session,
    desired: DesiredState,
    workspace: Workspace,
    saved: Plan | None,
    prune: bool,
    auto_approve: bool,
    parallelism: int,
    summary: Path | None,
    check_sources: bool,
    fresh_out: Path | None,
    scope: tuple[tuple[str, ...], tuple[str, ...]],
) -> Plan:
    """Plan, review (a saved plan), apply; returns the fresh plan. Exits 3 (or 1) on failure."""
    from reconciler.engine.planner import build_plan
    from reconciler.render.apply import render_apply_summary

    targets, replace = scope
    fresh = build_plan(
        desired,
        workspace,
        prune=saved.prune if saved else prune,
        targets=targets,
        replace=replace,
    )
    if fresh_out is not None:
        session.write_plan(fresh_out, fresh)
    unreviewed: tuple[ResourceChange, ...] = ()
    if saved is not None:
        the_plan, unreviewed = _reviewed(saved, fresh, session, summary, fresh_out)
    else:
        the_plan = fresh
    session.out(_render(the_plan, "text", session))
    if check_sources:
        _check_sources(the_plan, desired, session)
    if not the_plan.steps:
        _unreviewed_note(session, unreviewed)
        if summary is not None:
            _write_summary(session, summary, the_plan, _empty_result(), unreviewed)
        return fresh
    if saved is None and not auto_approve:
        _confirm(session)
    outcome = _run_apply(session, the_plan, desired, workspace, parallelism)
    session.out(render_apply_summary(outcome, unreviewed))
    if summary is not None:
        _write_summary(session, summary, the_plan, outcome, unreviewed)
    if not outcome.ok:  # 1 only when no step ran at all: then nothing was changed
        raise SystemExit(EXIT_APPLY_FAILED if outcome.results else EXIT_ERROR)
    return fresh


def _wait_for_running(session: Session, workspace: Workspace, fresh: Plan) -> None:
    """``--wait``: imports that were already running when apply planned."""
    from reconciler.core.plan import Action
    from reconciler.engine.apply import wait_for_imports

    running = {
        c.name: c.reason_detail or ""
        for c in fresh.resource_changes
        if c.action is Action.IN_PROGRESS
    }
    if not running:
        return
    session.out(f"\nWaiting for {len(running)} running import(s): {', '.join(running)} …\n")
    ended = wait_for_imports(workspace, running)
    failed = []
    for name, job in sorted(ended.items()):
        rows = f", {job.rows:,} rows" if job.rows is not None else ""
        detail = f": {job.error}" if job.error else ""
        session.out(f"  import.{name}: job {job.id} {job.status.lower()}{rows}{detail}\n")
        if job.status is not JobStatus.COMPLETED:
            failed.append(name)
    if failed:
        session.out("Fix the cause, then plan and apply again: the failed import is retried.\n")
        raise SystemExit(EXIT_APPLY_FAILED)


def _reviewed(
    saved: Plan, fresh: Plan, session: Session, summary: Path | None, fresh_out: Path | None
) -> tuple[Plan, tuple[ResourceChange, ...]]:
    """The part of ``fresh`` the reviewed plan agrees with; refuses when they disagree."""
    from reconciler.engine.review import review
    from reconciler.render.apply import render_differences, render_differences_markdown

    verdict = review(saved, fresh)
    if not verdict.agrees:
        session.out(render_differences(fresh.environment, verdict.differences))
        if summary is not None:
            text = render_differences_markdown(fresh.environment, verdict.differences)
            session.write_text(summary, text)
        raise PlanDiffers(
            f"the reviewed plan for {fresh.environment!r} no longer agrees with a plan made now "
            f"at {len(verdict.differences)} resource(s); nothing was applied",
            hint=(
                f"review the plan made now, written to {fresh_out}, and apply it with: "
                f"reconcile apply {fresh_out}"
                if fresh_out is not None
                else "review the plan made now (--fresh-plan-out FILE writes it) and apply "
                "that file with: reconcile apply FILE"
            ),
        )
    agreed = {c.address for c in verdict.to_apply}
    kept = tuple(c for c in fresh.resource_changes if c.address in agreed or not c.is_change)
    return fresh.model_copy(update={"resource_changes": kept}), verdict.unreviewed


def _unreviewed_note(session: Session, unreviewed: tuple[ResourceChange, ...]) -> None:
    if unreviewed:
        from reconciler.render.apply import render_apply_summary

        session.out(render_apply_summary(_empty_result(), unreviewed))


def _empty_result() -> ApplyResult:
    from reconciler.core.plan import ApplyResult

    return ApplyResult()


def _confirm(session: Session) -> None:
    if not sys.stdin.isatty():
        raise ReconcileError(
            "apply needs confirmation, but no terminal is attached",
            hint="review the plan and pass --auto-approve, or apply a saved plan file",
        )
    if not click.confirm("\nApply these changes?", default=False):
        session.out("Apply cancelled; nothing was changed.\n")
        raise SystemExit(EXIT_OK)


def _run_apply(
    session: Session, the_plan: Plan, desired: DesiredState, workspace: Workspace, parallelism: int
) -> ApplyResult:
    from reconciler.cli import provenance
    from reconciler.cli.console import ConsoleReporter
    from reconciler.engine.apply import apply_plan

    session.out("\n")
    reporter = ConsoleReporter(session.out, color=session.color, redact=session.redact)
    try:
        with _interruptible(reporter, session) as stopping:
            return apply_plan(
                the_plan,
                desired,
                workspace,
                reporter,
                parallelism=parallelism,
                provenance=provenance.current(desired.project_dir),
                stopping=stopping,
            )
    finally:
        reporter.close()


_INTERRUPTED = (
    "\nInterrupted: no new step will start; waiting for the running ones to finish "
    "(Ctrl-C again to stop at once).\n"
)


@contextmanager
def _interruptible(reporter: Any, session: Session) -> Iterator[Callable[[], bool]]:
    """First Ctrl-C (or the --timeout running out): start no new step, let running ones finish
    and report. Second Ctrl-C: stop now (a running import is then seen as interrupted and
    retried by the next apply)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop.is_set
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        # A signal handler runs between two bytecodes of the main thread, which may be holding
        # the console's lock mid-write: take no lock here.
        if stop.is_set() and signum == signal.SIGINT:
            os.write(2, b"\nInterrupted again: stopping now; running steps are abandoned.\n")
            os._exit(130)
        if not stop.is_set():
            stop.set()
            note = _INTERRUPTED if signum == signal.SIGINT else _TIMED_OUT
            threading.Thread(target=reporter.note, args=(note,), daemon=True).start()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    previous_alarm = signal.signal(signal.SIGALRM, on_interrupt)
    try:
        yield stop.is_set
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)  # the steps are over: nothing left to cut short
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGALRM, previous_alarm)


_TIMED_OUT = (
    "\nThe --timeout ran out: no new step will start; waiting for the running ones to finish.\n"
)


def _write_summary(
    session: Session,
    path: Path,
    the_plan: Plan,
    outcome: ApplyResult,
    unreviewed: tuple[ResourceChange, ...],
) -> None:
    from reconciler.render.apply import render_apply_markdown

    session.write_text(path, render_apply_markdown(the_plan, outcome, unreviewed))


def _refused_summary(session: Session, path: Path, environment: str, exc: ReconcileError) -> None:
    from reconciler.render.apply import render_refused_markdown

    session.write_text(path, render_refused_markdown(environment, str(exc)))


@cli.command()
@common
@env_option
def status(environment: str | None) -> None:
    """Show each import's latest version, last job, rows and schedule."""
    from reconciler.core.essences import Kind
    from reconciler.render.tables import render_status

    session = _session()
    desired, workspace = session.open(environment, with_secrets=False)
    names = sorted(r.name for r in desired.of_kind(Kind.IMPORT))
    assets = workspace.list_assets(names)
    schedules = workspace.list_resources(Kind.SCHEDULE)
    session.out(render_status(names, assets, schedules, datetime.now(UTC)))


@cli.command()
@common
@env_option
@click.argument("asset")
@click.option("--version", "version", default=None, help="Version to show (default: latest).")
@click.option(
    "--rows",
    "head_rows",
    default=5,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="How many rows to print.",
)
def show(environment: str | None, asset: str, version: str | None, head_rows: int) -> None:
    """Look at an imported data asset: schema, rows, first rows, numeric summary."""
    from reconciler.core.essences import Kind
    from reconciler.imports.dataset import summarize
    from reconciler.render.tables import render_dataset

    session = _session()
    desired, workspace = session.open(environment, with_secrets=False)
    found = workspace.list_assets([asset])
    latest = found[0].latest_version() if found else None
    declared = sorted(r.name for r in desired.of_kind(Kind.IMPORT))
    if latest is None and asset not in declared:
        raise ReconcileError(
            f"no data asset {asset!r} in this workspace, and no import of that name is declared",
            hint="declared imports: " + (", ".join(declared) or "none"),
        )
    if latest is None:
        raise ReconcileError(
            f"data asset {asset!r} has no registered version yet",
            hint="run reconcile apply, then reconcile status",
        )
    chosen = version or latest.version
    picked = next((v for v in found[0].versions if v.version == chosen), None)
    if picked is None:
        known = ", ".join(v.version for v in found[0].versions)
        raise ReconcileError(f"data asset {asset!r} has no version {chosen!r} (it has: {known})")
    summary = summarize(workspace.data_folder(asset, chosen), head_rows)
    session.out(render_dataset(asset, chosen, summary, picked.provenance))


@cli.command()
@common
@env_option
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["connection", "datastore", "import"]),
    help="Export only these kinds (repeatable; default: all). Imports bring their schedules.",
)
@click.option(
    "--out", "out_file", type=click.Path(dir_okay=False), help="Write to FILE (default: stdout)."
)
def export(environment: str | None, kinds: tuple[str, ...], out_file: str | None) -> None:
    """Write what the live workspace holds as platform.yaml sections, to adopt it.

    Secrets become ${env:NAME} references (their names are listed); what reconciler cannot
    declare is listed as comments. Then: plan (adoption only), apply, plan (no changes).
    """
    from reconciler.core.essences import Kind
    from reconciler.engine.export import export_yaml

    session = _session()
    out = session.output_file(out_file)
    if out is not None and out.exists():
        raise ReconcileError(f"{out} exists", hint="choose another path: export never overwrites")
    _, workspace = session.open(environment, with_secrets=False)
    resources = [
        r
        for kind in (Kind.CONNECTION, Kind.DATASTORE, Kind.SCHEDULE)
        for r in workspace.list_resources(kind)
    ]
    imports = workspace.list_import_definitions()
    latest = {
        a.name: v for a in workspace.list_assets(sorted(imports)) if (v := a.latest_version())
    }
    chosen = [Kind(k) for k in kinds] or [Kind.CONNECTION, Kind.DATASTORE, Kind.IMPORT]
    result = export_yaml(resources, imports, latest, chosen)
    if out is None:
        session.out(result.text)
    else:
        session.write_text(out, result.text)
    names = sorted(set(result.secrets) | set(result.variables))
    what = f"Exported to {out}." if out else "Exported."
    if names:
        what += " Set before planning: " + ", ".join(names) + "."
    if result.skipped:
        what += f" {len(result.skipped)} resource(s) not exported (listed in the file's header)."
    session.out(what + "\n", err=True)


@cli.command(name="list")
@common
@env_option
def list_managed(environment: str | None) -> None:
    """List what this project and environment manage, with versions and who wrote them last."""
    from reconciler.core.essences import Kind
    from reconciler.engine.guards import is_ours
    from reconciler.render.tables import render_list

    session = _session()
    desired, workspace = session.open(environment, with_secrets=False)
    resources = [
        r
        for kind in (Kind.CONNECTION, Kind.DATASTORE, Kind.SCHEDULE)
        for r in workspace.list_resources(kind)
        if is_ours(r, desired.owner)
    ]
    names = {r.name for r in desired.of_kind(Kind.IMPORT)}
    names |= set(workspace.list_imported_assets(desired.owner))
    assets = workspace.list_assets(sorted(names))
    session.out(render_list(desired.owner, resources, assets))


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Run an Azure ML management API emulator (try any azure-ai-ml code offline).

    The reconciler-emulator command of the test doubles (reconciler[local]), found by its
    entry point: the product never imports them. Prints the environment variables that point
    azure-ai-ml and azure-identity at it. See --help.
    """
    from importlib.metadata import entry_points

    found = entry_points(group="console_scripts", name=EMULATOR_SCRIPT)
    if not found:
        raise ReconcileError(
            f"the emulator is not installed (no {EMULATOR_SCRIPT} command)",
            hint="pip install 'reconciler[local]' (from a checkout: make venv)",
        )
    next(iter(found)).load()(list(args))


EMULATOR_SCRIPT = "reconciler-emulator"


def _plan_file(path: Path) -> Plan:
    from reconciler.core.plan import Plan

    return Plan.read(path)


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


def _annotate(session: Session, exc: ConfigError) -> None:
    """In GitHub Actions, each located problem also becomes an error annotation on its line."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    for problem in exc.problems:
        where = f"file={problem.file}"
        if problem.line is not None:
            where += f",line={problem.line}"
            if problem.column is not None:
                where += f",col={problem.column}"
        text = f"{problem.path}: {problem.message}" if problem.path else problem.message
        session.out(f"::error {where},title=reconciler::{_escape_annotation(text)}\n")


def _escape_annotation(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _on_alarm(signum: int, frame: Any) -> None:
    raise TimedOut()


class TimedOut(ReconcileError):
    def __init__(self) -> None:
        super().__init__(
            "the --timeout ran out before anything was changed; nothing was changed",
            hint="check that the workspace (and the sources) answer, or allow more time",
        )


def main(argv: list[str] | None = None) -> None:
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        signal.signal(signal.SIGALRM, _on_alarm)
    try:
        _main(argv)
    finally:
        if in_main_thread:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _main(argv: list[str] | None) -> None:
    session = Session()
    try:
        code = cli.main(args=argv, obj=session, standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except SystemExit:
        raise
    except ReconcileError as exc:
        if session.debug:
            session.out("".join(traceback.format_exception(exc)), err=True)
        if isinstance(exc, ConfigError):
            _annotate(session, exc)
        session.out(f"Error: {exc}\n", err=True)
        if isinstance(exc, TimedOut) and argv is None:
            # a request still hanging in a worker thread would hold the exit until it gives up
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.exit_code)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        session.out("Aborted; nothing more was changed.\n", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:  # outside apply's own handling: nothing was being changed
        session.out("\nInterrupted.\n", err=True)
        sys.exit(130)
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
