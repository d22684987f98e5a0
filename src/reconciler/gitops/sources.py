"""Job ``check sources (<env>)``: a pull request's new or changed queries, run with ``LIMIT 0``,
without running any of its code.

It runs the default branch's tool, in ``<env>-sources`` (a read-only database user's password,
required reviewers, the default branch only). The pull request's commit is only data: its
files are merged with the default branch's by ``git merge-tree`` (nothing of it runs), and
before any credential is sent, every connection an import of the result uses must point at a
host the default branch allows for it (``gitops.sources.<connection>.allowed_hosts``). The
outcome is commented on the pull request.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from reconciler.config.build import desired_state
from reconciler.config.gitops import load_gitops
from reconciler.config.overlays import ENVIRONMENTS_DIR
from reconciler.core.desired import PLATFORM_FILE
from reconciler.core.errors import EXIT_CHANGES, EXIT_OK, ReconcileError
from reconciler.core.essences import ConnectionEssence, Kind, narrow
from reconciler.gitops import comments, names
from reconciler.gitops.context import Flow, child_environment, reconcile
from reconciler.gitops.github import append_summary, run_link
from reconciler.gitops.records import default_branch
from reconciler.imports.hosts import UnknownHost, allowed, connection_host
from reconciler.render.safe import clip, code_block, code_span, escape_markdown


def merge_desired_state(pull: Path, project: Path, working_directory: str) -> list[str]:
    """Write the desired-state files (platform.yaml, environments/*.yaml) of the pull
    request's head merged into the default branch over ``project``. git computes the merge from
    objects (``merge-tree``) and hands back file contents: nothing of the pull request runs,
    and a file it turned into a link is just text. The files written, for the log."""
    base = f"origin/{default_branch()}"
    proc = subprocess.run(
        ["git", "merge-tree", "--write-tree", base, "HEAD"],
        cwd=pull,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ReconcileError(
            "the pull request does not merge cleanly with the default branch",
            hint="merge the default branch into it, then label it again",
        )
    tree = proc.stdout.split()[0]
    folder = working_directory.strip().strip("/").removeprefix("./")
    prefix = "" if folder in ("", ".") else folder + "/"
    listed = subprocess.run(
        [
            "git",
            "ls-tree",
            "-r",
            "--name-only",
            tree,
            "--",
            f"{prefix}{PLATFORM_FILE}",
            f"{prefix}{ENVIRONMENTS_DIR}/",
        ],
        cwd=pull,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    written = []
    for path in listed:
        relative = path[len(prefix) :]
        if relative != PLATFORM_FILE and not (
            relative.startswith(f"{ENVIRONMENTS_DIR}/")
            and relative.endswith(".yaml")
            and relative.count("/") == 1
        ):
            continue
        blob = subprocess.run(
            ["git", "cat-file", "blob", f"{tree}:{path}"], cwd=pull, capture_output=True, check=True
        ).stdout
        target = project / relative
        target.unlink(missing_ok=True)
        target.write_bytes(blob)
        written.append(relative)
    return written


def refused_hosts(project: Path, environment: str, allowances: dict[str, list[str]]) -> list[str]:
    """Connections used by an import whose target is not allowed (read with the variables,
    without any secret)."""
    desired = desired_state(project, environment, with_secrets=False)
    used = {r.imported.definition.source.connection for r in desired.of_kind(Kind.IMPORT)}
    problems = []
    for name in sorted(used):
        resource = desired.get(f"connection.{name}")
        if resource is None:
            continue
        essence = narrow(resource.essence, ConnectionEssence)
        patterns = allowances.get(name)
        if not patterns:
            problems.append(
                f"connection {name} has no allowed hosts on the default branch "
                f"(gitops.sources.{name}.allowed_hosts)"
            )
            continue
        try:
            host, port = connection_host(essence.type, essence.target)
        except UnknownHost as exc:
            problems.append(f"connection {name}: its target's host cannot be told ({exc})")
            continue
        if not allowed(host, port, patterns):
            where = f"{host}:{port}" if port is not None else host
            problems.append(
                f"connection {name} points at {where}, which the default branch does not allow "
                f"for it ({', '.join(patterns)})"
            )
    return problems


def check_sources(flow: Flow, pull_request: int, pull_checkout: Path) -> int:
    env = flow.environment
    allowances = {
        name: list(hosts.allowed_hosts) for name, hosts in load_gitops(flow.project).sources.items()
    }
    merged = flow.project
    written = merge_desired_state(pull_checkout, merged, flow.working_directory)
    print(f"The pull request's desired state, merged into the default branch: {written}")
    environ = child_environment(merged, env, secrets=True, placeholder_secrets=True)
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in environ.items() if k not in os.environ})
    try:
        problems = refused_hosts(merged, env, allowances)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if problems:
        text = (
            "**Refused before any credential was sent:**\n\n"
            + "\n".join(f"- {escape_markdown(p)}" for p in problems)
            + "\n\nThe allowed hosts are the default branch's (platform.yaml, `gitops.sources`)."
        )
        return _report(flow, pull_request, "refused", text)
    ran = reconcile(
        "plan",
        "--env",
        env,
        "--check-sources",
        "--format",
        "json",
        env=environ,
        cwd=merged,
        log=False,
    )
    if ran.exitcode in (EXIT_OK, EXIT_CHANGES):
        return _report(
            flow, pull_request, "passed", "Every new or changed import's query ran with `LIMIT 0`."
        )
    text = "**A query failed; the apply would fail at that import.**\n\n" + code_block(
        clip(ran.stderr.strip() or "(no error output)", 20_000)
    )
    return _report(flow, pull_request, "failed", text)


def _report(flow: Flow, pull_request: int, verdict: str, text: str) -> int:
    label = names.label(flow.environment, flow.working_directory)
    marker = names.marker("sources", flow.environment, flow.working_directory)
    body = (
        f"{marker}\n### reconciler source check · {code_span(label)} · {verdict}\n\n{text}\n"
        f"\n---\n<sub>[check run]({run_link()})</sub>\n"
    )
    append_summary(body)
    comments.upsert(pull_request, marker, body)
    return 0 if verdict == "passed" else 1
