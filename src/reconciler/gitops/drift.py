"""Job ``drift (<env>)``: ``reconcile gitops drift``, daily on the default branch.

It plans the environment without secrets (a secret rotated in the store is converged by the
next apply, not reported here) and keeps one issue per environment: opened on drift, updated
while it lasts, closed when the environment matches again. The issue is ours only when the bot
opened it with our label and marker; anyone can open one that looks like it. The job fails
while there is drift, or when the plan fails (and then leaves the issue alone).
"""

from __future__ import annotations

from typing import Any

from reconciler.core.errors import EXIT_CHANGES, EXIT_OK
from reconciler.core.plan import Plan
from reconciler.gitops import names
from reconciler.gitops.comments import by_bot, fitted
from reconciler.gitops.context import Flow, past_policy, reconcile
from reconciler.gitops.github import api, append_summary, out_dir, run_link, send, workflow_path
from reconciler.gitops.reports import dispatch_how
from reconciler.render.markdown import render_plan
from reconciler.render.safe import clip, code_block, code_span


def our_issue(marker: str) -> dict[str, Any] | None:
    found = api("issues", labels=names.DRIFT_LABEL, state="open", per_page="100") or []
    return next((i for i in found if by_bot(i) and str(i.get("body", "")).startswith(marker)), None)


def drift(flow: Flow) -> int:
    env, label = flow.environment, names.label(flow.environment, flow.working_directory)
    out = out_dir() / "drift" / f"plan-{label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    args = ["plan", "--env", env, "--no-secrets", "--detailed-exitcode", "--format", "json"]
    ran = reconcile(*args, "--out", str(out), env=flow.env(secrets=False), cwd=flow.project)
    ran = past_policy(ran, out)  # drift is what differs, whatever the policies say of it
    marker = names.marker("drift", env, flow.working_directory)
    if ran.exitcode not in (EXIT_OK, EXIT_CHANGES) or not out.is_file():
        append_summary(
            f"### reconciler plan · {code_span(label)} · failed\n\n**The plan failed (exit code "
            f"{ran.exitcode}); the drift issue is left as it is.**\n\n"
            + code_block(clip(ran.stderr.strip() or "(no error output)", 20_000))
        )
        print(f"::error title=reconcile plan failed ({env})::see the job summary")
        return 1
    shown = render_plan(Plan.read(out), title=label)
    append_summary(shown)
    issue = our_issue(marker)
    if ran.exitcode == EXIT_OK:
        if issue is not None:
            body = (
                f"{marker}\n**Resolved:** {code_span(label)} matches the desired state again "
                f"([drift run]({run_link()})).\n\n---\n" + str(issue.get("body", ""))
            )
            send("PATCH", f"issues/{issue['number']}", {"state": "closed", "body": fitted(body)})
            print(f"{label}: no drift; closed issue #{issue['number']}")
        else:
            print(f"{label}: no drift")
        return 0
    note = (
        f"> [!CAUTION]\n> **Drift in {code_span(label)}**: the workspace does not match the "
        "desired state on the default branch; the plan above shows what differs. Either someone "
        "changed the workspace outside reconciler (revert it, or record the change in "
        "platform.yaml through a pull request), or a merged change was not applied: "
        + dispatch_how(env, workflow_path())
    )
    body = fitted(
        f"{marker}\n**{code_span(label)} does not match the default branch** (last seen by "
        f"[this drift run]({run_link()})).\n\n{shown}\n\n{note}\n"
    )
    if issue is not None:
        send("PATCH", f"issues/{issue['number']}", {"body": body})
        print(f"{label}: drift; updated issue #{issue['number']}")
    else:
        made = send(
            "POST",
            "issues",
            {"title": f"Drift in {label}", "body": body, "labels": [names.DRIFT_LABEL]},
        )
        print(f"{label}: drift; opened issue #{made['number']}")
    append_summary(note)
    print(f"::error title=Drift in {env}::the workspace does not match the desired state")
    return 1
