"""The commands: each parses its options, calls one operation (`reconciler.engine.operations`),
renders what it returns and says how to exit. Wiring only: the workflows live in the engine,
the text in the renderers, signals in `reconciler.cli.signals`, the error handler in
`reconciler.cli.entry`.

Exit codes: 0 success (no changes), 1 error (nothing changed), 2 changes present (with
--detailed-exitcode), 3 apply changed something and something failed or was not started,
4 a reviewed plan no longer agrees with a fresh one (nothing applied), 5 the policies block
the plan (apply: nothing applied; plan: with --detailed-exitcode), 6 a saved plan's flags
refused (``--expect-flags-from-settings``, nothing applied). Nothing heavy is
imported at start-up, so ``--help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.gitops import doctor, gitops, setup
from reconciler.cli.options import (
    apply_options,
    common,
    consumer_options,
    consumer_window,
    env_option,
    out_path,
    plan_options,
    scope_options,
    session,
)
from reconciler.core.errors import (
    EXIT_APPLY_FAILED,
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_POLICY_BLOCKED,
    PlanDiffers,
    ReconcileError,
)

if TYPE_CHECKING:
    from reconciler.cli.session import Session
    from reconciler.cli.views import ConsoleApplyView
    from reconciler.core.desired import DesiredState
    from reconciler.core.plan import Plan
    from reconciler.core.workspace import Workspace
    from reconciler.engine.operations import ApplyRequest
    from reconciler.engine.review import Difference

EMULATOR_SCRIPT = "reconciler-emulator"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@common
@click.version_option(package_name="reconciler", prog_name="reconcile")
def cli() -> None:
    """Declarative GitOps for Azure Machine Learning workspaces.

    Reads platform.yaml (+ environments/NAME.yaml), shows what would change in the workspace
    (plan) and makes it so (apply).

    Exit codes: 0 success/no changes, 1 error, 2 changes present (--detailed-exitcode),
    3 apply failed part-way, 4 a reviewed plan no longer agrees (nothing applied), 5 the
    policies block the plan (nothing applied), 6 a saved plan's flags refused
    (--expect-flags-from-settings; nothing applied).
    """


@cli.command()
@common
@env_option
def validate(environment: str | None) -> None:
    """Check the desired state without contacting the workspace or needing secrets."""
    from reconciler.core.essences import Kind

    desired = session().load(environment, with_secrets=False)
    counts = ", ".join(
        f"{len(desired.of_kind(kind))} {kind}(s)" for kind in Kind if kind is not Kind.SCHEDULE
    )
    session().out(
        f"The desired state is valid for environment {desired.environment!r}: {counts}.\n"
    )


@cli.command()
def schema() -> None:
    """Print the JSON Schema of platform.yaml (for editors and CI)."""
    from reconciler.config.schema import schema_json

    click.echo(schema_json(), nl=False)


@cli.command()
@common
@env_option
@out_path
@plan_options
@consumer_options
@scope_options
def plan(
    environment: str | None,
    out_file: str | None,
    fmt: str,
    detailed_exitcode: bool,
    prune: bool,
    check_sources: bool,
    no_secrets: bool,
    policy_dirs: tuple[str, ...],
    policy_input: str | None,
    consumers: bool | None,
    consumer_days: int | None,
    consumer_jobs: int | None,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
) -> None:
    """Show what apply would change in the workspace, and what the policies say of it."""
    from reconciler.engine import operations

    here = session()
    if check_sources and no_secrets:
        raise click.UsageError("--check-sources needs secrets; it cannot run with --no-secrets")
    out = here.output_file(out_file)
    input_out = here.output_file(policy_input)
    desired = here.load(environment, with_secrets=not no_secrets)
    policies = here.policies(desired, policy_dirs)
    workspace = here.workspace(desired)
    made_by = _provenance(desired) if policies is not None or input_out else {}
    planned = operations.plan(
        desired,
        workspace,
        prune=prune,
        targets=targets,
        replace=replace,
        check_sources_too=check_sources,
        consumers=consumer_window(desired.consumers, consumers, consumer_days, consumer_jobs),
        policy=policies,
        provenance=made_by,
    )
    from reconciler.cli.views import render_plan, sources_text

    here.out(render_plan(planned.plan, fmt, here))
    if planned.sources is not None:
        refused = planned.sources.refusal()
        if refused is not None:
            raise refused
        here.out(sources_text(planned.sources, fmt), err=fmt == "json")  # stdout stays JSON
    if out is not None:
        here.write_plan(out, planned.plan)
        if fmt == "text":
            here.out(f"\nSaved the plan to {out}; {_how_to_apply(planned.plan, out)}\n")
    if input_out is not None:
        from reconciler.policy.document import policy_input as document

        here.write_json(input_out, document(planned.plan, desired, made_by))
    judged = planned.plan.policy
    if detailed_exitcode and judged is not None and judged.blocked:
        raise SystemExit(EXIT_POLICY_BLOCKED)
    if detailed_exitcode and not planned.plan.converged:
        raise SystemExit(EXIT_CHANGES)


def _how_to_apply(plan: Plan, out: Path | str) -> str:
    """What applying the saved plan takes, as its policy decision has it."""
    from reconciler.core.policy import Decision

    judged = plan.policy
    if judged is not None and judged.decision is Decision.HARD_FAILED:
        return "the policies block it (a hard failure): apply would refuse it"
    if judged is not None and judged.decision is Decision.SOFT_FAILED:
        return (
            "apply it, once a policy owner agrees, with: "
            f"reconcile apply {out} --policy-override REASON"
        )
    return f"apply it with: reconcile apply {out}"


def _provenance(desired: DesiredState) -> dict[str, str]:
    from reconciler.cli import provenance

    return provenance.current(desired.project_dir)


@cli.command()
@common
@env_option
@apply_options
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
    policy_dirs: tuple[str, ...],
    policy_override: str | None,
    expect_flags: bool,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
) -> None:
    """Make the workspace match the desired state.

    With PLAN_FILE, apply the reviewed plan: a plan is made now and applied only where it
    agrees with the reviewed one; changes nobody reviewed are left alone and listed. The
    policies are evaluated on the plan applied: a failure blocks it (exit 5).
    """
    from reconciler.cli import provenance
    from reconciler.cli.views import ConsoleApplyView
    from reconciler.core.plan import Plan
    from reconciler.engine import operations
    from reconciler.engine.review import check_environment

    here = session()
    summary = here.output_file(summary_file)
    fresh_out = here.output_file(fresh_plan_out)
    if fresh_out is not None and not plan_file:
        raise click.UsageError("--fresh-plan-out goes with a PLAN_FILE")
    saved = Plan.read(Path(plan_file)) if plan_file else None
    if expect_flags and (saved is None or environment is None):
        raise click.UsageError("--expect-flags-from-settings goes with a PLAN_FILE and --env")
    if saved is not None and not expect_flags and (targets or replace or prune):
        raise click.UsageError(
            "a saved plan carries its own --target, --replace and --prune; plan again to change "
            "them"
        )
    if expect_flags and prune:
        raise click.UsageError("with --expect-flags-from-settings, prune is settings.prune's")
    if saved is not None and environment:  # before contacting anything
        check_environment(saved, environment)
    env = environment or (saved.environment if saved else None)
    desired = here.load(env)
    policies = here.policies(desired, policy_dirs)
    workspace = here.workspace(desired, read_only=False)
    request = operations.ApplyRequest(
        saved=saved,
        prune=prune,
        targets=targets,
        replace=replace,
        parallelism=parallelism,
        check_sources=check_sources,
        auto_approve=auto_approve,
        lock=lock,
        lock_timeout=lock_timeout,
        wait=wait,
        provenance=provenance.current(desired.project_dir),
        policy=policies,
        policy_override=policy_override,
        expect_flags=expect_flags,
    )
    view = ConsoleApplyView(here, summary, fresh_out)
    try:
        _apply_and_report(here, desired, workspace, request, view, summary, fresh_out)
    finally:
        view.close()  # a Ctrl-C after the steps said so; from here on it is Ctrl-C again


def _apply_and_report(
    here: Session,
    desired: DesiredState,
    workspace: Workspace,
    request: ApplyRequest,
    view: ConsoleApplyView,
    summary: Path | None,
    fresh_out: Path | None,
) -> None:
    from reconciler.cli.views import waited_text
    from reconciler.engine import operations
    from reconciler.render.apply import render_refused_markdown

    try:
        applied = operations.apply_reviewed(desired, workspace, request, view)
    except ReconcileError as exc:
        if summary is not None:
            here.write_text(summary, render_refused_markdown(desired.environment, str(exc)))
        raise
    if applied.review is not None and not applied.review.agrees:
        _differs(applied.fresh, applied.review.differences, summary, fresh_out)
    if applied.cancelled:
        return
    if not applied.result.ok:  # 1 only when no step ran at all: then nothing was changed
        raise SystemExit(EXIT_APPLY_FAILED if applied.result.results else EXIT_ERROR)
    text, failed = waited_text(applied.waited)
    here.out(text)
    if failed:
        raise SystemExit(EXIT_APPLY_FAILED)


def _differs(
    fresh: Plan, differences: Sequence[Difference], summary: Path | None, fresh_out: Path | None
) -> None:
    """The reviewed plan no longer agrees with the plan made now: say where, exit 4."""
    from reconciler.render.apply import render_differences, render_differences_markdown

    here = session()
    here.out(render_differences(fresh.environment, differences))
    if summary is not None:
        here.write_text(summary, render_differences_markdown(fresh.environment, differences))
    raise PlanDiffers(
        f"the reviewed plan for {fresh.environment!r} no longer agrees with a plan made now "
        f"at {len(differences)} resource(s); nothing was applied",
        hint=(
            f"review the plan made now, written to {fresh_out}, and apply it with: "
            f"reconcile apply {fresh_out}"
            if fresh_out is not None
            else "review the plan made now (--fresh-plan-out FILE writes it) and apply "
            "that file with: reconcile apply FILE"
        ),
    )


@cli.group()
def policy() -> None:
    """Policies as code: Rego files in conftest's conventions, evaluated on every plan."""


@policy.command(name="test")
@common
@click.argument("folders", nargs=-1, type=click.Path(file_okay=False, exists=True))
def policy_test(folders: tuple[str, ...]) -> None:
    """Run the test_* rules of the policies in FOLDERS (default: policies/), as opa test does.

    Prints PASS, FAIL or ERROR for each test with its file:line; exits 1 when one does not pass.
    """
    from reconciler.policy import read_policies, run_tests
    from reconciler.render.policy import render_tests

    here = session()
    chosen = [Path(f) for f in folders] or [here.project_dir / "policies"]
    if not folders and not chosen[0].is_dir():
        raise ReconcileError(
            f"no policies/ folder in {here.project_dir}",
            hint="name the folders to test: reconcile policy test DIR...",
        )
    results = run_tests(read_policies(chosen, here.project_dir, tests=True))
    here.out(render_tests(results))
    if not results or any(r.status != "PASS" for r in results):
        raise SystemExit(EXIT_ERROR)


@cli.command()
@common
@env_option
def status(environment: str | None) -> None:
    """Show each import's latest version, last job, rows and schedule."""
    from datetime import UTC, datetime

    from reconciler.engine import operations
    from reconciler.render.tables import render_status

    desired, workspace = session().open(environment, with_secrets=False)
    found = operations.import_status(desired, workspace)
    session().out(
        render_status(list(found.names), found.assets, found.schedules, datetime.now(UTC))
    )


@cli.command()
@common
@env_option
@click.argument("asset", metavar="ASSET|PLAN_FILE")
@click.option("--version", "version", default=None, help="Version to show (default: latest).")
@click.option(
    "--rows",
    "head_rows",
    default=5,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="How many rows to print.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="PLAN_FILE: how to show the plan.",
)
def show(
    environment: str | None, asset: str, version: str | None, head_rows: int, fmt: str
) -> None:
    """Look at an imported data asset (schema, rows, first rows, numeric summary), or at a saved
    plan (an existing file: as terraform show, with no workspace or secret read)."""
    if Path(asset).is_file():
        from reconciler.cli.views import render_plan
        from reconciler.core.plan import Plan

        session().out(render_plan(Plan.read(Path(asset)), fmt, session()))
        return
    if fmt != "text":
        raise click.UsageError(f"{asset!r} is not a plan file; --format is for plan files")
    from reconciler.engine import operations
    from reconciler.render.tables import render_dataset

    desired, workspace = session().open(environment, with_secrets=False)
    shown = operations.show_asset(desired, workspace, asset, version, head_rows)
    session().out(
        render_dataset(shown.asset, shown.version.version, shown.summary, shown.version.provenance)
    )


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
    from reconciler.engine import operations

    here = session()
    out = here.output_file(out_file)
    if out is not None and out.exists():
        raise ReconcileError(f"{out} exists", hint="choose another path: export never overwrites")
    _, workspace = here.open(environment, with_secrets=False)
    result = operations.export_workspace(workspace, [Kind(k) for k in kinds])
    if out is None:
        here.out(result.text)
    else:
        here.write_text(out, result.text)
    names = sorted(set(result.secrets) | set(result.variables))
    what = f"Exported to {out}." if out else "Exported."
    if names:
        what += " Set before planning: " + ", ".join(names) + "."
    if result.skipped:
        what += f" {len(result.skipped)} resource(s) not exported (listed in the file's header)."
    here.out(what + "\n", err=True)


@cli.command(name="list")
@common
@env_option
def list_managed(environment: str | None) -> None:
    """List what this project and environment manage, with versions and who wrote them last."""
    from reconciler.engine import operations
    from reconciler.render.tables import render_list

    desired, workspace = session().open(environment, with_secrets=False)
    managed = operations.list_managed(desired, workspace)
    session().out(render_list(managed.owner, managed.resources, managed.assets))


cli.add_command(gitops)
cli.add_command(doctor)
cli.add_command(setup)


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
