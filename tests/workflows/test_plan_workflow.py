"""plan.yml's own steps on a simulated pull request, against the embedded local workspace."""

from __future__ import annotations

import json
import re

from tests.workflows.conftest import SNOWFLAKE_PASSWORD, VARS, GitHub, Project
from tests.workflows.harness import JobResult, Runner

HEADER = "reconciler-plan-local"
GITHUB_COMMENT_LIMIT = 65_536


def plan_pull_request(
    github: GitHub, number: int = 5, run_id: int = 2001
) -> tuple[Runner, JobResult]:
    """Commit the pull request's change (already made in the checkout) and run the plan job."""
    head = github.project.commit(f"pull request #{number}")
    runner = github.pull_request_runner(number, head, run_id)
    return runner, github.run(runner, "plan.yml", "plan", {"environment": "local"})


def artifact_files(runner: Runner) -> dict[str, str]:
    folder = runner.artifact_dir(runner.run_id, "plan-local")
    if not folder.is_dir():
        return {}
    return {f.name: f.read_text(encoding="utf-8") for f in folder.iterdir()}


def test_a_plan_with_changes_comments_uploads_and_passes(github: GitHub, project: Project) -> None:
    project.edit("Raw (bronze) data landed by imports.", "Raw (bronze) data, landed by imports.")
    runner, job = plan_pull_request(github)

    assert job.conclusion == "success", job.log
    assert job.environment == "local-plan"
    plan = job.step("plan")
    assert plan.outputs["exitcode"] == "2" and plan.outputs["has-changes"] == "true"

    comment = github.comments[HEADER]
    assert comment.startswith("<!-- reconciler-plan:local -->\n### reconciler plan · `local`")
    assert "**Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy.**" in comment
    assert "<details><summary>+ <code>datastore.rawdata</code> create</summary>" in comment
    upload = runner.uploads[0]
    assert upload["name"] == "plan-local"
    assert f"plan file: [`plan-local`]({upload['url']})" in comment
    assert f"/actions/runs/{runner.run_id})" in comment  # the workflow run is linked
    assert runner.sha[:12] in comment

    files = artifact_files(runner)
    assert set(files) == {"plan-local.json", "plan-local.md"}
    saved = json.loads(files["plan-local.json"])
    assert saved["environment"] == "local" and saved["format_version"] == "2.0"
    assert len([c for c in saved["resource_changes"] if c["action"] != "no-op"]) == 3

    assert "**Plan: 3 to add" in job.summary  # the markdown plan is in the job summary
    login = job.step("login")
    assert login.inputs == {
        "client-id": VARS["AZURE_CLIENT_ID"],
        "tenant-id": VARS["AZURE_TENANT_ID"],
        "subscription-id": VARS["AZURE_SUBSCRIPTION_ID"],
    }


def test_a_plan_without_changes_says_so(github: GitHub, project: Project) -> None:
    project.without_imports()
    applied = project.reconcile("apply", "--env", "local", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    runner, job = plan_pull_request(github)

    assert job.conclusion == "success", job.log
    assert job.step("plan").outputs == {
        **job.step("plan").outputs,
        "exitcode": "0",
        "has-changes": "false",
    }
    comment = github.comments[HEADER]
    assert "**No changes. The workspace matches the desired state.**" in comment
    assert "No changes." in job.summary
    assert "plan-local.json" in artifact_files(runner)


def test_a_new_push_updates_the_one_comment_in_place(github: GitHub, project: Project) -> None:
    project.edit("layer: bronze", "layer: raw")
    plan_pull_request(github, run_id=2001)
    project.without_imports()
    plan_pull_request(github, run_id=2002)

    assert list(github.comments) == [HEADER]  # the sticky action finds its comment by header
    assert "**Plan: 2 to add" in github.comments[HEADER]
    assert "/actions/runs/2002)" in github.comments[HEADER]


def test_an_invalid_desired_state_fails_and_the_comment_shows_where(
    github: GitHub, project: Project
) -> None:
    project.edit("    type: azure_blob\n", "    type: azure_blobb\n")
    runner, job = plan_pull_request(github)

    assert job.conclusion == "failure"
    assert job.step("plan").outcome == "success"  # the plan step records, the verdict fails
    assert job.step("plan").outputs["exitcode"] == "1"
    assert job.steps[-1].outcome == "failure"
    assert job.step("upload").outcome == "skipped"  # there is no plan file to upload
    assert artifact_files(runner) == {}

    lines = project.platform.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "azure_blobb" in text)
    column = lines[line - 1].index("type") + 1
    comment = github.comments[HEADER]
    assert "### reconciler plan · `local` · failed" in comment
    assert f"platform.yaml:{line}:{column}: datastores.rawdata.type: unknown type" in comment
    assert "nothing can be applied" in comment
    assert f"platform.yaml:{line}:{column}" in job.summary


def test_an_unset_variable_is_reported_with_its_file_and_line(
    github: GitHub, project: Project
) -> None:
    """GitHub makes an unset `vars.X` an empty string; the plan must not take it as a value."""
    project.edit("STORAGE_ACCOUNT=devstoreaccount1\n", "", "environments/local.env")
    head = project.commit("pull request #5")
    runner = github.pull_request_runner(5, head, 2001)
    runner.vars["STORAGE_ACCOUNT"] = ""  # the repository variable was never set
    job = github.run(runner, "plan.yml", "plan", {"environment": "local"})

    assert job.step("login").outcome == "success"
    assert job.conclusion == "failure"
    assert re.search(
        r"platform\.yaml:\d+:\d+: datastores\.rawdata\.account_name: variable "
        r"\$\{STORAGE_ACCOUNT\} is not set",
        github.comments[HEADER],
    ), github.comments[HEADER]


def test_a_secret_written_into_platform_yaml_is_refused_without_echoing_it(
    github: GitHub, project: Project
) -> None:
    project.edit("password: ${env:SNOWFLAKE_PASSWORD}", f"password: {SNOWFLAKE_PASSWORD}")
    _, job = plan_pull_request(github)

    assert job.conclusion == "failure"
    assert "credentials.password" in github.comments[HEADER]
    # and the `github` fixture checks that the value itself appears nowhere


def test_a_rotated_secret_shows_as_changed_but_never_as_a_value(
    github: GitHub, project: Project
) -> None:
    project.without_imports()
    assert project.reconcile("apply", "--env", "local", "--auto-approve").returncode == 0
    head = project.commit("pull request #5")
    runner = github.pull_request_runner(5, head, 2001)
    runner.secrets["SNOWFLAKE_PASSWORD"] = "sf-pw-rotated-Wq93-never-shown"
    job = github.run(runner, "plan.yml", "plan", {"environment": "local"})

    assert job.step("plan").outputs["exitcode"] == "2"
    assert "credentials.password: (sensitive) (changed)" in github.comments[HEADER]
    for text in (github.comments[HEADER], job.summary, *artifact_files(runner).values()):
        assert "sf-pw-rotated-Wq93-never-shown" not in text


def test_a_pull_request_that_touches_neither_state_nor_tool_plans_nothing(
    github: GitHub, project: Project
) -> None:
    project.write("README.md", "# GloboRealty's platform, now with more words\n")
    runner, job = plan_pull_request(github)

    assert job.conclusion == "success"  # the required check passes
    assert job.step("changes").outputs == {"relevant": "false"}
    ran = [s.name for s in job.steps if s.outcome != "skipped"]
    assert ran == ["Check out the pull request (merged into its base)", "Anything to plan?"]
    assert github.comments == {} and runner.uploads == []


def test_a_plan_of_2000_resources_is_cut_below_githubs_limit(
    github: GitHub, project: Project
) -> None:
    datastores = "".join(
        f"  ds_{i:04d}:\n    type: azure_blob\n    account_name: acct{i:04d}\n"
        f"    container_name: c{i:04d}\n    description: generated datastore number {i}\n"
        for i in range(2000)
    )
    project.write("platform.yaml", f"default_environment: local\ndatastores:\n{datastores}")
    project.write(
        "environments/local.yaml",
        "env_file: environments/local.env\n"
        "workspace:\n  provider: local\n  path: .reconcile/local\n",
    )
    runner, job = plan_pull_request(github)

    assert job.conclusion == "success", job.log
    comment = github.comments[HEADER]
    assert len(comment) <= GITHUB_COMMENT_LIMIT, len(comment)
    assert "**Plan: 2000 to add, 0 to change, 0 to replace, 0 to destroy.**" in comment
    assert "Truncated:" in comment and "of 2000 changed resources are not shown here" in comment
    assert f"plan file: [`plan-local`]({runner.uploads[0]['url']})" in comment
    assert comment.count("<details>") == comment.count("</details>")
    saved = json.loads(artifact_files(runner)["plan-local.json"])
    assert len(saved["resource_changes"]) == 2000  # the artifact holds the whole plan


def test_a_plan_of_2000_resources_gives_a_truncated_comment_under_githubs_limit(
    github: GitHub, project: Project
) -> None:
    """2,000 deletions: reconciler truncates its own markdown under 60,000 characters with a
    visible note; the comment keeps the summary line and balanced markup."""
    names = [f"datastore_with_a_rather_long_name_{i:04d}" for i in range(2000)]
    datastores = "".join(
        f"  {n}:\n    type: azure_blob\n    account_name: acct\n    container_name: {n}\n"
        for n in names
    )
    project.write(
        "platform.yaml",
        f"default_environment: local\nsettings:\n  prune: true\ndatastores:\n{datastores}",
    )
    project.write(
        "environments/local.yaml", "workspace:\n  provider: local\n  path: .reconcile/local\n"
    )
    assert project.reconcile("apply", "--env", "local", "--auto-approve").returncode == 0
    project.write("platform.yaml", "default_environment: local\nsettings:\n  prune: true\n")
    runner, job = plan_pull_request(github)

    markdown = (runner.temp / "reconciler" / "plan-local.md").read_text()
    assert len(markdown) <= 60_000  # what reconciler printed
    assert "… and 1980 more (see below)" in markdown
    comment = github.comments[HEADER]
    assert len(comment) <= GITHUB_COMMENT_LIMIT
    assert "**Plan: 0 to add, 0 to change, 0 to replace, 2000 to destroy.**" in comment
    assert "Truncated:" in comment and "download the plan artifact" in comment
    assert comment.count("<details>") == comment.count("</details>")
    assert comment.count("```") % 2 == 0
    assert job.conclusion == "success"
