"""Drift: one GitHub issue per environment, opened on drift, updated while it lasts, closed
when the environment is clean again. Found by its label and a hidden marker in its body."""

from __future__ import annotations

from gitops.common import (
    EXIT_CHANGES,
    EXIT_OK,
    fit,
    gh_json,
    gh_send,
    out_dir,
    read_text,
    repo,
    run_url,
)

LABEL = "reconciler-drift"
DRIFT_NOTE = (
    "> [!CAUTION]\n> **Drift in `{env}`**: the workspace does not match the desired state on "
    "the default branch; the plan above shows what differs. Either someone changed the "
    "workspace outside reconciler (revert it, or record the change in platform.yaml through a "
    "pull request), or a merged change was not applied: run the apply workflow by hand for "
    "`{env}` (Actions → apply → Run workflow → environment `{env}`)."
)


def update_issue(env: str, exitcode: str, report: str) -> int:
    marker = f"<!-- reconciler-drift:{env} -->"
    issues = (
        gh_json(
            "api",
            "-X",
            "GET",
            f"repos/{repo()}/issues",
            "-f",
            f"labels={LABEL}",
            "-f",
            "state=open",
            "-f",
            "per_page=100",
        )
        or []
    )
    found = next((i for i in issues if marker in str(i.get("body", ""))), None)
    scratch = out_dir() / f"drift-issue-{env}.json"
    code = exitcode.strip()
    if code == str(EXIT_OK):
        if found:
            body = (
                f"{marker}\n**Resolved:** `{env}` matches the desired state again "
                f"([drift run]({run_url()})).\n\n---\n" + str(found.get("body", ""))
            )
            gh_send(
                "PATCH",
                f"repos/{repo()}/issues/{found['number']}",
                {"state": "closed", "body": fit(body, "", 60_000, "")},
                scratch,
            )
            print(f"{env}: no drift; closed issue #{found['number']}")
        else:
            print(f"{env}: no drift")
        return 0
    if code != str(EXIT_CHANGES):
        print(f"{env}: the plan failed (exit {code or 'none'}); the drift issue is unchanged")
        return 0
    body = fit(
        f"{marker}\n**`{env}` does not match main** (last seen by [this drift run]({run_url()}))."
        "\n\n" + read_text(report) + "\n\n" + DRIFT_NOTE.format(env=env) + "\n",
        "",
        60_000,
        "> [!NOTE]\n> Cut here; see the drift run.\n",
    )
    if found:
        gh_send("PATCH", f"repos/{repo()}/issues/{found['number']}", {"body": body}, scratch)
        print(f"{env}: drift; updated issue #{found['number']}")
    else:
        issue = gh_send(
            "POST",
            f"repos/{repo()}/issues",
            {"title": f"Drift in {env}", "body": body, "labels": [LABEL]},
            scratch,
        )
        print(f"{env}: drift; opened issue #{issue['number']}")
    return 0
