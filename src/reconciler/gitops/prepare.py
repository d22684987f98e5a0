"""Job ``plan (<env>)`` of an apply run: what this run applies, decided before the gate.

Read-only (the planner of ``<env>-plan``, no secret). It refuses a commit behind the
environment's applied marker. For a push it takes every commit since the marker with the plan
recorded for the pull request it merged; a recorded plan whose scope (prune, targets, replace)
or environment is not what the default branch's settings say is refused, as if there were none.
It plans the default branch now and writes the one file the apply job applies after the gate:

- every merged change had a plan reviewed for it: each reviewed change where the plan made now
  agrees (as the plan made now has it), and where it differs, as it was reviewed (the apply
  then finds the difference and hands the fresh plan to a second approval);
- otherwise (a direct push, a fork's pull request, an expired or refused plan), and for a
  dispatch (with its own replace and target): the default branch's plan made now.

The approver reads exactly that file in this job's summary, with its sha256; the apply job
applies it only if its digest is the one this job output.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.core.errors import EXIT_CHANGES, EXIT_OK, ReconcileError
from reconciler.core.plan import Plan, ResourceChange
from reconciler.engine.flags import unexpected_flags
from reconciler.engine.review import review
from reconciler.gitops import names
from reconciler.gitops.context import Flow, reconcile
from reconciler.gitops.github import (
    append_summary,
    event_name,
    out_dir,
    set_outputs,
    sha,
    workflow_path,
)
from reconciler.gitops.records import digest
from reconciler.gitops.reports import details, dispatch_how, window_table
from reconciler.gitops.window import Window, behind, build_window, find_marker
from reconciler.render.markdown import render_plan
from reconciler.render.safe import clip, code_block, code_span

WINDOW_FILE = "window.md"  # beside the plan file: which merges it covers, for the comments


def fresh_plan(flow: Flow, out: Path, *, secrets: bool = False) -> Plan:
    """The default branch's plan now (``flow``'s replace and target), or why there is none."""
    args = ["plan", "--env", flow.environment, "--out", str(out), "--format", "json"]
    if not secrets:
        args.append("--no-secrets")
    ran = reconcile(*args, *flow.scope(), env=flow.env(secrets=secrets), cwd=flow.project)
    if ran.exitcode not in (EXIT_OK, EXIT_CHANGES) or not out.is_file():
        raise ReconcileError(
            f"reconcile plan failed (exit {ran.exitcode}); nothing will be applied.\n\n"
            + code_block(clip(ran.stderr.strip() or "(no error output)", 20_000))
        )
    return Plan.read(out)


def combine(fresh: Plan, window: Window) -> Plan:
    """What the reviewed plans agree on (the fresh changes), and where one differs, what it
    reviewed; each merged commit's status says which."""
    agreed: set[str] = set()
    differing: dict[str, ResourceChange] = {}
    for merged in window.merged:
        assert merged.plan is not None
        verdict = review(merged.plan, fresh)
        mine = {c.address for c in verdict.to_apply}
        agreed |= mine
        reviewed = {c.address: c for c in merged.plan.resource_changes}
        for difference in verdict.differences:
            differing[difference.address] = reviewed[difference.address]
        merged.status = (
            "differs from the plan made now"
            if verdict.differences
            else "to apply"
            if any(c.is_change for c in verdict.to_apply)
            else "nothing left to apply"
        )
    kept = []
    for change in fresh.resource_changes:
        if change.address in differing:
            kept.append(differing[change.address])
        elif change.address in agreed or not change.is_change:
            kept.append(change)
    return fresh.model_copy(update={"resource_changes": tuple(kept)})


def refuse_flags(window: Window, environment: str, prune: bool) -> None:
    """A recorded plan may not choose its scope: refused, it counts as no reviewed plan."""
    for merged in window.merged:
        if merged.plan is None:
            continue
        found = unexpected_flags(merged.plan, environment=environment, prune=prune)
        if found:
            merged.plan = None
            merged.problem = (
                f"the plan reviewed on #{merged.pr} was refused: it asks for " + "; ".join(found)
            )


def prepare(flow: Flow) -> int:
    folder = out_dir() / "prepare"
    folder.mkdir(parents=True, exist_ok=True)
    label = names.label(flow.environment, flow.working_directory)
    head = f"### reconciler apply · {code_span(label)} · what this run applies\n\n"
    how = dispatch_how(flow.environment, workflow_path())
    marker = find_marker(flow.environment, flow.working_directory, flow.tool_repository)
    refusal = behind(flow.environment, marker, sha(), flow.project)
    if refusal is not None:
        append_summary(head + f"> [!CAUTION]\n> **Refused:** {refusal}\n")
        print(f"::error title=Refused ({flow.environment})::a commit behind the applied one")
        set_outputs(todo="none", plan_file="", digest="", pulls="")
        return 1
    dispatch = event_name() == "workflow_dispatch"
    window = None
    if not dispatch:
        if marker is not None and marker.sha == sha():
            append_summary(head + "Nothing to do: this commit is already applied.\n")
            set_outputs(todo="none", plan_file="", digest="", pulls="")
            return 0
        window = build_window(
            flow.environment,
            sha(),
            flow.project,
            marker=marker,
            working_directory=flow.working_directory,
            review_workflow=flow.review_workflow,
            tool_repository=flow.tool_repository,
            dest=folder,
        )
    try:
        fresh = fresh_plan(flow, folder / "fresh.json")
    except ReconcileError as exc:
        append_summary(head + f"**{exc.message}**\n\n{how}\n")
        set_outputs(todo="none", plan_file="", digest="", pulls="")
        return 1
    if window is not None:
        refuse_flags(window, flow.environment, fresh.prune)
    chosen, todo, lead = decide(fresh, window, flow.environment)
    bundle = folder / "apply"  # the artifact: the plan file, and the table of what it covers
    bundle.mkdir(parents=True, exist_ok=True)
    plan_file = (
        bundle / f"{names.artifact('apply-plan', flow.environment, flow.working_directory)}.json"
    )
    plan_file.write_text(chosen.to_json(), encoding="utf-8")
    shown = render_plan(chosen, title=label, marker=names.marker("apply-plan", flow.environment))
    table = window_table(window) if window is not None else ""
    (bundle / WINDOW_FILE).write_text(table, encoding="utf-8")
    sums = f"\n<sub>plan file sha256 `{digest(plan_file)}`</sub>\n" if todo == "apply" else ""
    left = _left_out(fresh, chosen)
    append_summary(head + lead + "\n\n" + table + "\n" + shown + left + sums)
    pulls = ",".join(str(n) for n in (window.pulls if window is not None else []))
    set_outputs(
        todo=todo,
        artifact=names.artifact("apply-plan", flow.environment, flow.working_directory),
        plan_file=str(bundle) if todo == "apply" else "",
        digest=digest(plan_file) if todo == "apply" else "",
        pulls=pulls,
    )
    return 0


def decide(fresh: Plan, window: Window | None, env: str) -> tuple[Plan, str, str]:
    """The file to apply after the gate, whether there is anything to apply, and why."""
    gate = f"after {code_span(env)}'s approval gate"
    if window is None:
        anything = bool(fresh.steps) or any(c.fields for c in fresh.resource_changes)
        if not anything:
            return fresh, "none", "Dispatched by hand: the plan made now has nothing to do."
        return fresh, "apply", f"Dispatched by hand: this run applies the plan below {gate}."
    if window.unreviewed:
        lead = (
            "**Some merged changes have no reviewed plan** (see the table): this run applies "
            f"the default branch's plan made now, below, {gate}."
        )
        return fresh, ("apply" if fresh.steps else "none"), lead
    chosen = combine(fresh, window)
    if not chosen.steps:
        return (
            chosen,
            "none",
            f"Nothing to apply: every merged change is already in {code_span(env)}.",
        )
    return (
        chosen,
        "apply",
        (f"This run applies what was reviewed on the merged pull requests, below, {gate}."),
    )


def _left_out(fresh: Plan, chosen: Plan) -> str:
    kept = {c.address for c in chosen.steps}
    left = [c.address for c in fresh.steps if c.address not in kept]
    if not left:
        return ""
    return details(
        f"{len(left)} change(s) of the plan made now that no reviewed plan covers: not applied",
        "\n".join(f"- {code_span(a)}" for a in left)
        + "\n\nDrift, a secret rotated in the store, or a change made outside reconciler.",
    )
