"""Pull-request plans: the comment / job summary for one environment, and the comment poster.

The plan job (it runs the pull request's code) writes its outcome, markdown and errors as an
artifact; the comment job (workflow_run, the default branch's code, no checkout of the pull
request) renders the comment from those files here and posts it. Nothing here reads a secret.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops.common import (
    COMMENT_LIMIT,
    ENV_NAME,
    EXIT_CHANGES,
    EXIT_OK,
    STDERR_LIMIT,
    GitHubError,
    clip,
    code_block,
    fit,
    gh_json,
    gh_send,
    repo,
    run_link,
)

FORK_NOTICE = (
    "**This pull request comes from a fork, so it was not planned against the workspace:** "
    "GitHub gives a fork's workflows no secrets and no OIDC token, so no Azure identity can "
    "read `{env}`. The desired state was validated instead (below). After the merge, the apply "
    "workflow plans main with a trusted identity, shows the plan in its run and on this pull "
    "request, and applies it after `{env}`'s approval gate."
)


@dataclass(frozen=True)
class PlanOutcome:
    environment: str
    exitcode: int | None  # None: the plan step did not run
    markdown: str
    stderr: str
    fork: bool = False  # a fork's pull request: validated only
    validate: str = ""  # reconcile validate's output (fork)
    head_sha: str = ""


def plan_report(
    outcome: PlanOutcome,
    *,
    limit: int,
    artifact_name: str = "",
    artifact_url: str = "",
    link: str = "",
    marker_name: str = "",
) -> str:
    env = outcome.environment
    marker = f"<!-- reconciler-plan:{marker_name or env} -->\n"
    facts = []
    has_plan = outcome.exitcode in (EXIT_OK, EXIT_CHANGES) and not outcome.fork
    if artifact_url and has_plan:
        facts.append(f"plan file: [`{artifact_name}`]({artifact_url}) (artifact)")
    if link:
        facts.append(f"[workflow run]({link})")
    if outcome.head_sha:
        facts.append(f"commit `{outcome.head_sha[:12]}`")
    tail = ("\n---\n<sub>" + " · ".join(facts) + "</sub>\n") if facts else ""

    if outcome.fork:
        body = f"{marker}### reconciler plan · `{env}` · not planned (fork)\n\n"
        body += FORK_NOTICE.format(env=env) + "\n\n"
        if outcome.exitcode == EXIT_OK:
            body += code_block(outcome.validate.strip() or "valid")
        else:
            body += "**The desired state is invalid:**\n\n" + code_block(
                clip(outcome.stderr.strip() or "(no error output)", STDERR_LIMIT)
            )
        return fit(body, tail, limit, "> [!NOTE]\n> Cut here.\n")
    if has_plan and outcome.markdown.strip():
        where = f"[download it]({artifact_url})" if artifact_url else "see the workflow run"
        note = (
            "> [!NOTE]\n"
            f"> This plan is cut here to stay under GitHub's 65,536-character comment limit. "
            f"The full plan is the `{artifact_name or 'plan'}` artifact: {where} "
            f"(`plan-{env}.json`, and `plan-{env}.md`).\n"
        )
        text = outcome.markdown.rstrip("\n") + "\n"
        if marker_name and marker_name != env:  # the markdown's own marker names env only
            text = marker + text
        return fit(text, tail, limit, note)
    if outcome.exitcode is None:
        body = (
            f"{marker}### reconciler plan · `{env}` · did not run\n\n"
            "**An earlier step of the job failed (installing reconciler), so there is no plan "
            "for this commit.** See the workflow run.\n"
        )
        return body + tail
    stderr = clip(outcome.stderr.strip() or "(no error output)", STDERR_LIMIT)
    body = (
        f"{marker}### reconciler plan · `{env}` · failed\n\n"
        f"**The plan failed (exit code {outcome.exitcode}); nothing can be applied until "
        "this is fixed.**\n\n" + code_block(stderr)
    )
    return fit(body, tail, limit, "> [!NOTE]\n> The error output is cut here.\n")


# --- posting from the workflow_run job ------------------------------------------------------


def find_pull_request(run: dict[str, Any]) -> int | None:
    """The open pull request whose head is the plan run's head commit. A fork's run carries
    no ``pull_requests``, so look it up by the head branch, and trust only a head SHA match."""
    head_sha = str(run.get("head_sha", ""))
    for pull in run.get("pull_requests") or []:
        if str(pull.get("head", {}).get("sha")) == head_sha:
            return int(pull["number"])
    owner = (
        str((run.get("head_repository") or {}).get("owner", {}).get("login", ""))
        or str((run.get("head_repository") or {}).get("full_name", "/")).split("/")[0]
    )
    branch = str(run.get("head_branch", ""))
    pulls = gh_json(
        "api",
        "-X",
        "GET",
        f"repos/{repo()}/pulls",
        "-f",
        "state=open",
        "-f",
        f"head={owner}:{branch}",
    )
    for pull in pulls or []:
        if str(pull["head"]["sha"]) == head_sha:
            return int(pull["number"])
    return None


def upsert_comment(number: int, marker: str, body: str, scratch: Path) -> str:
    """Create or update the one comment on issue/PR ``number`` that holds ``marker``."""
    comments = gh_json("api", f"repos/{repo()}/issues/{number}/comments?per_page=100")
    found = next((c for c in comments or [] if marker in str(c.get("body", ""))), None)
    if marker not in body:
        body = f"{marker}\n{body}"
    if found:
        gh_send("PATCH", f"repos/{repo()}/issues/comments/{found['id']}", {"body": body}, scratch)
        return "updated"
    gh_send("POST", f"repos/{repo()}/issues/{number}/comments", {"body": body}, scratch)
    return "created"


ARTIFACT = re.compile(r"^(plan|check-sources)-(?:(?P<dir>[a-z0-9-]+)--)?(?P<env>[A-Za-z0-9_.-]+)$")


def post_plan_comments(run: dict[str, Any], folder: Path) -> int:
    """Download the plan run's report artifacts (untrusted data: rendered, never run) and
    post one sticky comment per environment (and working directory) on the pull request."""
    number = find_pull_request(run)
    if number is None:
        print("No open pull request has this run's head commit any more: nothing to post.")
        return 0
    run_id = int(run["id"])
    listing = gh_json("api", f"repos/{repo()}/actions/runs/{run_id}/artifacts?per_page=100")
    posted = 0
    for artifact in sorted((listing or {}).get("artifacts", []), key=lambda a: a["name"]):
        match = ARTIFACT.match(str(artifact["name"]))
        if not match or artifact.get("expired"):
            continue
        kind, env = match.group(1), match.group("env")
        dest = folder / str(artifact["name"])
        try:
            from gitops.common import gh

            gh(
                "run",
                "download",
                str(run_id),
                "--repo",
                repo(),
                "--name",
                artifact["name"],
                "--dir",
                str(dest),
            )
        except GitHubError as exc:
            print(f"::warning::could not download {artifact['name']}: {exc}")
            continue
        body = render_artifact(kind, env, match.group("dir") or "", dest, run_id, artifact)
        marker_name = f"{match.group('dir')}--{env}" if match.group("dir") else env
        marker = f"<!-- reconciler-{kind}:{marker_name} -->"
        how = upsert_comment(number, marker, body, folder / "comment-request.json")
        print(f"pull request #{number}: {how} the {kind} comment for {marker_name}")
        posted += 1
    return posted


def _read(dest: Path, name: str) -> str:
    file = dest / name
    if not file.is_file() or file.is_symlink():
        return ""
    return file.read_text(encoding="utf-8", errors="replace")


def render_artifact(
    kind: str, env: str, workdir: str, dest: Path, run_id: int, artifact: dict[str, Any]
) -> str:
    if not ENV_NAME.match(env):
        raise SystemExit(f"::error::bad environment name in artifact {artifact['name']!r}")
    try:
        meta = json.loads(_read(dest, "meta.json") or "{}")
    except ValueError:
        meta = {}
    code = meta.get("exitcode")
    exitcode = (
        int(code) if isinstance(code, int) or (isinstance(code, str) and code.isdigit()) else None
    )
    from gitops.common import artifact_url

    label = f"{workdir}: {env}" if workdir else env
    if kind == "check-sources":
        return source_check_report(
            label, exitcode, _read(dest, f"check-{env}.stderr"), run_link(run_id)
        )
    outcome = PlanOutcome(
        environment=label,
        exitcode=exitcode,
        markdown=_read(dest, f"plan-{env}.md"),
        stderr=_read(dest, f"plan-{env}.stderr"),
        fork=bool(meta.get("fork")),
        validate=_read(dest, f"validate-{env}.txt"),
        head_sha=str(meta.get("head_sha", "")),
    )
    return plan_report(
        outcome,
        limit=COMMENT_LIMIT,
        artifact_name=str(artifact["name"]),
        artifact_url=artifact_url(run_id, artifact["id"]),
        link=run_link(run_id),
        marker_name=f"{workdir}--{env}" if workdir else env,
    )


def source_check_report(env: str, exitcode: int | None, stderr: str, link: str) -> str:
    head = f"### reconciler source check · `{env}`"
    if exitcode in (EXIT_OK, EXIT_CHANGES):
        body = f"{head} · passed\n\nEvery new or changed import's query ran with `LIMIT 0`.\n"
    elif exitcode is None:
        body = f"{head} · did not run\n\nSee the workflow run.\n"
    else:
        body = (
            f"{head} · failed\n\n**A query failed; the apply would fail at that import.**"
            "\n\n" + code_block(clip(stderr.strip() or "(no error output)", STDERR_LIMIT))
        )
    return body + f"\n---\n<sub>[workflow run]({link})</sub>\n"


def run_from_event() -> dict[str, Any]:
    path = os.environ.get("GITHUB_EVENT_PATH", "")
    data = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    return dict(data.get("workflow_run") or {})
