"""The review job: ``reconcile gitops review``, on the default branch's code, after a plan run.

It runs on ``workflow_run`` (GitHub takes its files from the default branch), reads nothing of
the pull request but the plan run's artifacts, as data, and takes every fact it states from
GitHub, not from the run: the head commit, whether it is a fork's, which pull request it is.

- A fork's run: a comment per environment saying it was not planned, from the payload.
- The one open pull request whose head is the run's head commit, from this repository, into the
  default branch, is the one the plan is bound to; a head shared by two open pull requests, or
  a base elsewhere, binds nothing (and says so): apply then plans the default branch behind the
  environment's gate.
- Per environment: the plan file's digest, rendered with this code (`render_plan`), posted as
  the recorded comment (without the policy results the pull request's run wrote: the
  default branch's policies judge the change at apply), and the record
  ``review-<env>.json`` (artifact ``reconciler-review``) that apply reads back.
- A pull request labelled ``reconciler:check-sources`` gets its source check started, once per
  label: the label is removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.config.gitops import load_gitops
from reconciler.core.errors import ReconcileError
from reconciler.core.plan import Plan
from reconciler.gitops import comments, names
from reconciler.gitops.github import (
    GitHubError,
    api,
    artifact_link,
    download,
    event,
    gh,
    out_dir,
    repository,
    run_link,
    set_outputs,
)
from reconciler.gitops.records import (
    PLAN_WORKFLOW,
    ReviewRecord,
    calls,
    default_branch,
    digest,
    previous_record,
)
from reconciler.render.markdown import render_plan
from reconciler.render.safe import clip, code_block, code_span

FORK = (
    "**Not planned: this pull request comes from a fork.** GitHub gives a fork's workflows no "
    "OIDC token, so no identity could read {env}. After the merge, the apply plans the default "
    "branch with a trusted identity, shows that plan, and applies it after {env}'s approval "
    "gate."
)


@dataclass(frozen=True)
class Facts:
    """What GitHub says about the plan run (its payload), never what the run wrote."""

    run_id: int
    attempt: int
    event: str
    head_sha: str
    fork: bool
    run: dict[str, Any]


def facts(payload: dict[str, Any]) -> Facts:
    run = payload.get("workflow_run") or {}
    head_repository = str((run.get("head_repository") or {}).get("full_name", ""))
    return Facts(
        run_id=int(run.get("id", 0)),
        attempt=int(run.get("run_attempt", 1) or 1),
        event=str(run.get("event", "")),
        head_sha=str(run.get("head_sha", "")),
        fork=head_repository != repository(),
        run=run,
    )


def review(project: Path, working_directory: str, review_workflow: str, tool: str) -> int:
    """Review the plan run of the ``workflow_run`` event; ``tool``: ``<repository>@<sha>``."""
    found = facts(event())
    if found.event != "pull_request":
        print(f"A {found.event or 'non'}-pull request run: nothing to review.")
        return 0
    environments = load_gitops(project).names
    tool_repository, _, tool_sha = tool.partition("@")
    pulls = [
        p
        for p in api("pulls", state="open", per_page="100") or []
        if str(p["head"]["sha"]) == found.head_sha
    ]
    if found.fork:
        for pull in pulls:
            for env in environments:
                body = _fork_comment(env, working_directory, found)
                comments.upsert(
                    int(pull["number"]), names.marker("plan", env, working_directory), body
                )
        return 0
    ours = [p for p in pulls if (p["head"].get("repo") or {}).get("full_name") == repository()]
    base = default_branch()
    if len(ours) != 1 or ours[0]["base"]["ref"] != base:
        return _unbound(ours, found, base)
    if not calls(found.run, tool_repository, PLAN_WORKFLOW):
        print(f"::warning::run {found.run_id} does not call our {PLAN_WORKFLOW}: nothing bound")
        return 0
    number = int(ours[0]["number"])
    artifacts = api(f"actions/runs/{found.run_id}/artifacts", per_page="100") or {}
    folder = out_dir() / "review"
    folder.mkdir(parents=True, exist_ok=True)
    for env in environments:
        bind(
            env,
            number,
            found,
            artifacts.get("artifacts", []),
            folder,
            working_directory,
            review_workflow,
            tool_repository,
            tool_sha,
            base,
        )
    set_outputs(dir=str(folder), **_sources(ours[0]))
    return 0


def bind(
    env: str,
    number: int,
    found: Facts,
    artifacts: list[dict[str, Any]],
    folder: Path,
    working_directory: str,
    review_workflow: str,
    tool_repository: str,
    tool_sha: str,
    base: str,
) -> None:
    """Render one environment's plan of the run, post it, record it."""
    name = names.artifact("reconciler-plan", env, working_directory)
    marker = names.marker("plan", env, working_directory)
    label = names.label(env, working_directory)
    artifact = next((a for a in artifacts if a.get("name") == name and not a.get("expired")), None)
    previous = previous_record(number, env, working_directory, review_workflow, tool_repository)
    recorded = previous.comment_id if previous is not None else None
    plan, plan_file, problem = None, None, ""
    if artifact is None:
        problem = "the plan run uploaded no plan for this environment (see its log)"
    else:
        try:
            where = download(found.run_id, name, out_dir() / f"plan-{label}")
            plan_file = where / names.PLAN_FILE.format(env=env)
            if plan_file.is_file():
                plan = Plan.read(plan_file)
                if plan.environment != env:
                    plan, problem = None, "the plan file is for another environment"
            else:
                problem = _failure(where, env)
        except (GitHubError, ReconcileError) as exc:
            problem = f"the plan file cannot be read: {exc.message}"
    footer = _footer(found, artifact if plan is not None else None)
    if plan is None or plan_file is None or artifact is None:
        body = f"{marker}\n### reconciler plan · {code_span(label)} · failed\n\n{problem}\n"
        comments.post_recorded(number, marker, body + footer, recorded)
        return
    body = render_plan(
        plan.model_copy(update={"policy": None}),  # the pull request's run wrote it
        marker=marker,
        title=label,
        policy_note=POLICY_NOTE if plan.policy is not None else None,
    )
    comment_id = comments.post_recorded(number, marker, body + footer, recorded)
    record = ReviewRecord(
        pr=number,
        base=base,
        head_sha=found.head_sha,
        plan_run_id=found.run_id,
        plan_run_attempt=found.attempt,
        artifact_id=int(artifact["id"]),
        sha256=digest(plan_file),
        environment=env,
        tool_sha=tool_sha,
        reviewed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        comment_id=comment_id,
    )
    (folder / names.REVIEW_FILE.format(label=label)).write_text(record.to_json(), encoding="utf-8")
    print(f"#{number}: bound the plan of run {found.run_id} for {label} ({record.sha256[:12]})")


POLICY_NOTE = (
    "Policies: the default branch's policies judge this change when it is applied, before "
    "each environment's gate. The pull request's own run evaluated its own copy of them, so "
    "its result is not shown here."
)


def _failure(where: Path, env: str) -> str:
    """Why a plan run has no plan file, from its outcome and errors (shown as text only)."""
    outcome, errors = (
        where / names.OUTCOME_FILE.format(env=env),
        where / names.ERRORS_FILE.format(env=env),
    )
    try:
        code = json.loads(outcome.read_text(encoding="utf-8")).get("exitcode")
    except (OSError, ValueError, AttributeError):
        code = None
    text = errors.read_text(encoding="utf-8", errors="replace") if errors.is_file() else ""
    lead = f"**The plan failed** (exit code {code!r})" if code is not None else "**No plan**"
    return (
        f"{lead}; nothing can be applied until this is fixed. What the plan job said:\n\n"
        + code_block(clip(text.strip() or "(nothing)", 20_000))
    )


def _footer(found: Facts, artifact: dict[str, Any] | None) -> str:
    facts_shown = [f"commit `{found.head_sha[:12]}`", f"[plan run]({run_link(found.run_id)})"]
    if artifact is not None:
        facts_shown.insert(
            0, f"plan file: [`{artifact['name']}`]({artifact_link(found.run_id, artifact['id'])})"
        )
    facts_shown.append(f"[review run]({run_link()})")
    return "\n---\n<sub>" + " · ".join(facts_shown) + "</sub>\n"


def _fork_comment(env: str, working_directory: str, found: Facts) -> str:
    label = names.label(env, working_directory)
    return (
        f"{names.marker('plan', env, working_directory)}\n"
        f"### reconciler plan · {code_span(label)} · not planned (fork)\n\n"
        + FORK.format(env=code_span(label))
        + "\n"
        + _footer(found, None)
    )


def _unbound(pulls: list[dict[str, Any]], found: Facts, base: str) -> int:
    """A head shared by several pull requests, or a pull request into another branch."""
    numbers = ", ".join(f"#{p['number']}" for p in pulls) or "none open"
    why = (
        f"commit `{found.head_sha[:12]}` is the head of several open pull requests ({numbers})"
        if len(pulls) > 1
        else f"this pull request is not into `{base}`"
    )
    text = (
        "<!-- reconciler-review:unbound -->\n> [!WARNING]\n> **No plan was recorded for this "
        f"commit:** {why}, so its plan run (run {found.run_id}) cannot be tied to one pull "
        f"request into `{base}`. After a merge, the apply plans `{base}` and shows that plan "
        "behind the environment's approval gate.\n"
    )
    for pull in pulls:
        comments.upsert(int(pull["number"]), "<!-- reconciler-review:unbound -->", text)
    return 0


def _sources(pull: dict[str, Any]) -> dict[str, str]:
    """Start the source check when the pull request carries the label; remove it (one label,
    one checked head)."""
    labels = [str(item.get("name")) for item in pull.get("labels") or []]
    if names.LABEL_CHECK_SOURCES not in labels:
        return {"check_sources": "false"}
    number = int(pull["number"])
    try:
        gh(
            "api",
            "-X",
            "DELETE",
            f"repos/{repository()}/issues/{number}/labels/"
            + names.LABEL_CHECK_SOURCES.replace(":", "%3A"),
        )
    except GitHubError as exc:
        print(f"::warning::could not remove the label: {exc.message}")
    return {
        "check_sources": "true",
        "pull_request": str(number),
        "head_sha": str(pull["head"]["sha"]),
    }
