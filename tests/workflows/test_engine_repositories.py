"""The simulated GitHub's repositories, pull requests, reusable workflows and identities behave
as GitHub documents them, on small workflows of their own (no reconciler): a pull request runs
the workflow files it changes, into any base branch; reusable workflows get their inputs,
secrets and outputs, and no more permissions than their caller; another repository calls one
at a tag; OIDC tokens name the caller's and the called workflow; an Azure identity reaches only
what its roles allow."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflows.azure import Azure
from tests.workflows.engine import Environment, Sim, World
from tests.workflows.toy import branch, commit, make_sim, workflow, write

ECHO_WORKFLOW = """\
    on: {pull_request: {branches: [main]}, push: {branches: [main]}}
    permissions: {}
    jobs:
      say:
        steps: [{run: echo main-version}]
"""


@pytest.fixture
def sim(tmp_path: Path) -> Sim:
    return make_sim(tmp_path)


def log_of(sim: Sim, run_index: int = -1) -> str:
    return "".join(j.log for j in sim.runs[run_index].jobs)


def test_a_pull_request_runs_the_workflow_files_of_its_merge_commit(sim: Sim) -> None:
    workflow(sim, "say.yml", ECHO_WORKFLOW)
    changed = ECHO_WORKFLOW.replace("main-version", "pull-request-version")
    head = branch(sim, "topic", {".github/workflows/say.yml": changed})
    sim.add_pull(4, head, "topic")
    (run,) = sim.pull_request(4, "opened")
    sim.settle()
    assert "pull-request-version" in log_of(sim)
    assert run.workflow_sha == run.sha != head  # the test merge commit, not main's files

    sim.push(*commit(sim, "v2"))
    sim.settle()
    assert "main-version" in log_of(sim)  # main still runs main's files


def test_a_pull_request_into_another_base_branch_runs_that_branch_s_files(sim: Sim) -> None:
    workflow(sim, "say.yml", ECHO_WORKFLOW)
    other = ECHO_WORKFLOW.replace("branches: [main]}, push", "branches: [release]}, push")
    branch(sim, "release", {".github/workflows/say.yml": other.replace("main-", "release-")})
    head = branch(sim, "topic", {"b.txt": "b\n"})
    sim.add_pull(5, head, "topic", base="release")
    (run,) = sim.pull_request(5, "opened")
    sim.settle()
    assert run.event["pull_request"]["base"]["ref"] == "release"
    assert "release-version" in log_of(sim)
    sim.add_pull(6, head, "topic")  # the same head into main: main's file, which runs too
    (run,) = sim.pull_request(6, "opened")
    sim.settle()
    assert "main-version" in log_of(sim)
    sim.load()
    record = next(r for r in sim.state["runs"] if r["id"] == run.id)
    # the API's pull_requests of a run: every open pull request with its head
    assert [(p["number"], p["base"]["ref"]) for p in record["pull_requests"]] == [
        (5, "release"),
        (6, "main"),
    ]


CALLED = """\
    on:
      workflow_call:
        inputs:
          target: {type: string, required: true}
          dry: {type: boolean, default: true}
          envs: {type: string, default: '["dev", "prod"]'}
        secrets:
          token: {required: true}
        outputs:
          said: {value: "${{ jobs.say.outputs.said }}"}
    permissions: {}
    jobs:
      say:
        name: say ${{ matrix.env }}
        strategy: {matrix: {env: "${{ fromJSON(inputs.envs) }}"}}
        environment: ${{ matrix.env }}
        permissions: {contents: read}
        outputs: {said: "${{ steps.s.outputs.said }}"}
        steps:
          - id: s
            run: |
              echo "target=$T dry=$D env=$E token=${#TOKEN} env-secret=$ES var=$V"
              echo "said=$E" >> "$GITHUB_OUTPUT"
            env:
              T: ${{ inputs.target }}
              D: ${{ inputs.dry }}
              E: ${{ matrix.env }}
              TOKEN: ${{ secrets.token }}
              ES: ${{ secrets.ENV_ONLY }}
              V: ${{ vars.WHERE }}
"""
CALLER = """\
    on: {push: {branches: [main]}}
    permissions: {}
    jobs:
      first:
        outputs: {t: "${{ steps.o.outputs.t }}"}
        steps: [{id: o, run: 'echo "t=storage" >> "$GITHUB_OUTPUT"'}]
      deploy:
        needs: first
        uses: ./.github/workflows/called.yml
        permissions: {contents: read}
        with: {target: "${{ needs.first.outputs.t }}", dry: false, envs: '["dev"]'}
        secrets: {token: "${{ secrets.REPO_TOKEN }}"}
      after:
        needs: deploy
        steps:
          - run: 'echo "got=$G result=$R"'
            env: {G: "${{ needs.deploy.outputs.said }}", R: "${{ needs.deploy.result }}"}
"""


def test_a_reusable_workflow_gets_its_inputs_secrets_environment_and_gives_its_outputs(
    sim: Sim,
) -> None:
    sim.secrets["REPO_TOKEN"] = "abcdef"
    sim.vars["WHERE"] = "repository"
    sim.environments["dev"] = Environment(
        "dev", secrets={"ENV_ONLY": "e1"}, vars={"WHERE": "dev-env"}
    )
    workflow(sim, "called.yml", CALLED)
    workflow(sim, "caller.yml", CALLER)
    (run,) = sim.push(*commit(sim, "v1"))
    sim.settle()
    assert [(j.key, j.name, j.result) for j in run.jobs] == [
        ("first", "first", "success"),
        ("deploy / say (dev)", "deploy / say dev", "success"),
        ("after", "after", "success"),
    ]
    said = run.job("deploy / say (dev)").log
    assert "target=storage dry=false env=dev token=6 env-secret=e1 var=dev-env" in said
    assert "got=dev result=success" in run.job("after").log
    assert run.job("deploy / say (dev)").permissions == {"contents": "read"}


def test_secrets_inherit_passes_the_caller_s_and_a_missing_required_secret_fails(
    sim: Sim,
) -> None:
    sim.secrets["token"] = "inherited"
    workflow(sim, "called.yml", CALLED)
    inherit = CALLER.replace('secrets: {token: "${{ secrets.REPO_TOKEN }}"}', "secrets: inherit")
    workflow(sim, "caller.yml", inherit)
    (run,) = sim.push(*commit(sim, "v1"))
    sim.settle()
    assert "token=9" in run.job("deploy / say (dev)").log
    workflow(sim, "caller.yml", inherit.replace("secrets: inherit", "secrets: {}"))
    (run,) = sim.push(*commit(sim, "v2"))
    sim.settle()
    job = run.job("deploy / say")  # its matrix never expanded: the call failed
    assert job.result == "failure"
    assert "secret token is required, but not provided while calling" in job.summary
    assert run.job("after").result == "skipped"


def test_a_matrix_from_an_input_with_no_value_fails_the_job(sim: Sim) -> None:
    sim.secrets["REPO_TOKEN"] = "abcdef"
    workflow(sim, "called.yml", CALLED)
    workflow(sim, "caller.yml", CALLER.replace("""envs: '["dev"]'""", "envs: '[]'"))
    (run,) = sim.push(*commit(sim, "v1"))
    sim.settle()
    job = run.job("deploy / say")
    assert job.result == "failure" and job.summary == "the matrix has no combination to run"


def test_a_called_job_cannot_have_more_permissions_than_its_caller(sim: Sim) -> None:
    workflow(sim, "called.yml", CALLED.replace("{contents: read}", "{contents: write}"))
    workflow(sim, "caller.yml", CALLER)
    (run,) = sim.push(*commit(sim, "v1"))
    sim.settle()
    assert run.conclusion == "startup_failure" and run.jobs == []
    assert run.error == (
        "The nested job 'deploy / say' is requesting 'contents: write', but is only allowed "
        "'contents: read'."
    )


def test_inputs_the_called_workflow_does_not_declare_make_the_workflow_invalid(sim: Sim) -> None:
    workflow(sim, "called.yml", CALLED)
    workflow(sim, "caller.yml", CALLER.replace("dry: false", "dry: false, color: red"))
    (run,) = sim.push(*commit(sim, "v1"))
    assert run.error == "job deploy: invalid input, color is not defined in the referenced workflow"


def test_the_caller_s_if_skips_every_called_job(sim: Sim) -> None:
    workflow(sim, "called.yml", CALLED)
    workflow(
        sim, "caller.yml", CALLER.replace("needs: first\n", "needs: first\n        if: false\n", 1)
    )
    (run,) = sim.push(*commit(sim, "v1"))
    sim.settle()
    assert run.job("deploy / say").result == "skipped"
    assert run.job("after").result == "skipped"


def test_nesting_stops_after_nine_called_levels(sim: Sim) -> None:
    for level in range(1, 12):
        text = (
            f"on: {{workflow_call: {{}}}}\njobs:\n  next:\n"
            f"    uses: ./.github/workflows/level{level + 1}.yml\n"
        )
        workflow(sim, f"level{level}.yml", text)
    workflow(
        sim, "level9.yml", "on: {workflow_call: {}}\njobs:\n  leaf:\n    steps: [{run: 'true'}]\n"
    )
    workflow(
        sim, "top.yml", "on: {push: {}}\njobs:\n  go:\n    uses: ./.github/workflows/level1.yml\n"
    )
    (run,) = sim.push(*commit(sim, "v1"))
    assert run.error == ""
    assert run.jobs[0].key == "go / next / next / next / next / next / next / next / next / leaf"
    workflow(
        sim,
        "level9.yml",
        "on: {workflow_call: {}}\njobs:\n  deeper:\n    uses: ./.github/workflows/level10.yml\n",
    )
    (run,) = sim.push(*commit(sim, "v2"))
    assert "at most 9 levels of reusable workflows" in run.error


TOOL_PLAN = """\
    on:
      workflow_call:
        inputs: {environment: {type: string, required: true}}
    jobs:
      plan:
        environment: ${{ inputs.environment }}
        permissions: {contents: read, id-token: write}
        steps:
          - uses: actions/checkout@0000000000000000000000000000000000000000
          - uses: actions/checkout@0000000000000000000000000000000000000000
            with: {repository: tools/reconciler, ref: v1, path: .tool}
          - run: 'cat config.txt .tool/VERSION'
"""


def test_another_repository_calls_a_reusable_workflow_at_a_tag(tmp_path: Path) -> None:
    world = World()
    tool = make_sim(tmp_path, "tools/reconciler", world)
    write(tool, "VERSION", "tool v1\n")
    workflow(tool, "plan.yml", TOOL_PLAN)
    tool.git("tag", "v1")
    write(tool, "VERSION", "tool v2 (unreleased)\n")  # main moves on; v1 does not
    consumer = make_sim(tmp_path, "team/config", world)
    consumer.environments["dev"] = Environment("dev", branches=["main"])
    write(consumer, "config.txt", "the team's config\n")
    workflow(
        consumer,
        "plan.yml",
        """\
        on: {push: {branches: [main]}}
        jobs:
          plan:
            uses: tools/reconciler/.github/workflows/plan.yml@v1
            permissions: {contents: read, id-token: write}
            with: {environment: dev}
        """,
    )
    (run,) = consumer.push(*commit(consumer, "v1"))
    consumer.settle()
    job = run.job("plan / plan")
    assert job.result == "success", job.log
    assert "the team's config" in job.log and "tool v1" in job.log and "v2" not in job.log
    assert job.oidc["sub"] == "repo:team/config:environment:dev"
    assert job.oidc["workflow_ref"] == "team/config/.github/workflows/plan.yml@refs/heads/main"
    assert (
        job.oidc["job_workflow_ref"] == "tools/reconciler/.github/workflows/plan.yml@refs/tags/v1"
    )
    consumer.load()
    (record,) = [r for r in consumer.state["runs"] if r["id"] == run.id]
    assert [w["path"] for w in record["referenced_workflows"]] == [
        "tools/reconciler/.github/workflows/plan.yml@refs/tags/v1"
    ]
    assert tool.runs == []  # the run is the caller's
    consumer.oidc_claim_keys = ["repo", "context", "job_workflow_ref"]
    (run,) = consumer.push(*commit(consumer, "v2"))
    consumer.settle()
    assert run.job("plan / plan").oidc["sub"] == (
        "repo:team/config:environment:dev:job_workflow_ref:"
        "tools/reconciler/.github/workflows/plan.yml@refs/tags/v1"
    )


def test_prevent_self_review_stops_whoever_triggered_the_run(sim: Sim) -> None:
    sim.environments["prod"] = Environment(
        "prod", reviewers=True, prevent_self_review=True, reviewer_logins=["ana", "ben"]
    )
    workflow(
        sim,
        "deploy.yml",
        "on: {push: {}}\njobs:\n  d:\n    environment: prod\n    steps: [{run: 'true'}]\n",
    )
    (run,) = sim.push(*commit(sim, "v1"), actor="ana")
    sim.settle()
    (waiting,) = sim.waiting()
    with pytest.raises(PermissionError, match="prevents self-review"):
        sim.approve(waiting, by="ana")
    with pytest.raises(PermissionError, match="not a required reviewer"):
        sim.approve(waiting, by="mallory")
    sim.approve(waiting, by="ben")
    sim.settle()
    assert run.conclusion == "success"


def azure_for(sim: Sim, tmp_path: Path) -> Azure:
    """Two workspaces the checkout reaches through `.workspaces`; one app per role."""
    shared = tmp_path / "workspaces"
    for env in ("dev", "prod"):
        (shared / env).mkdir(parents=True)
        (shared / env / "state.txt").write_text(f"{env} v1\n")
    (sim.repo / ".workspaces").symlink_to(shared)
    sim.git("add", "-A")
    sim.git("commit", "-qm", "workspaces")
    azure = sim.azure
    azure.app("reader-app", "reader")
    azure.app("writer-app", "writer")
    azure.federate("reader-app", "repo:o/r:environment:read")
    azure.federate("writer-app", "repo:o/r:environment:write")
    for env in ("dev", "prod"):
        azure.workspace(f"/rg-{env}/ws-{env}", shared / env)
        azure.assign("reader-app", "Reader", f"/rg-{env}")
    azure.assign("writer-app", "AzureML Data Scientist", "/rg-dev/ws-dev")
    return azure


def test_a_token_reaches_only_the_workspaces_its_roles_allow(sim: Sim, tmp_path: Path) -> None:
    azure_for(sim, tmp_path)
    workflow(
        sim,
        "touch.yml",
        """\
        on: {push: {}}
        jobs:
          touch:
            strategy: {matrix: {as: [read, write, none]}}
            environment: ${{ matrix.as }}
            permissions: {id-token: write}
            steps:
              - uses: actions/checkout@0000000000000000000000000000000000000000
              - run: |
                  ls .workspaces
                  for env in dev prod; do
                    if [ -d .workspaces/$env ]; then echo "$E" > .workspaces/$env/state.txt; fi
                  done
                env: {E: "${{ matrix.as }}"}
        """,
    )
    (run,) = sim.push(*commit(sim, "v1"))
    sim.settle()
    reader, writer, nobody = run.jobs
    assert reader.result == "failure" and "AuthorizationFailed" in reader.log
    assert sorted(reader.refused) == ["/rg-dev/ws-dev", "/rg-prod/ws-prod"]
    assert writer.result == "success" and writer.refused == []
    assert nobody.result == "success" and nobody.oidc["sub"] == "repo:o/r:environment:none"
    shared = tmp_path / "workspaces"
    assert (shared / "dev" / "state.txt").read_text() == "write\n"  # the writer's role
    assert (shared / "prod" / "state.txt").read_text() == "prod v1\n"  # nobody could write it


def test_a_token_with_actions_write_can_re_run_another_run(sim: Sim) -> None:
    workflow(
        sim,
        "rerun.yml",
        """\
        on: {workflow_dispatch: {inputs: {run: {type: string}}}}
        jobs:
          again:
            permissions: {actions: write}
            steps:
              - run: gh api -X POST "repos/o/r/actions/runs/$RUN/rerun"
                env: {RUN: "${{ inputs.run }}", GH_TOKEN: "${{ github.token }}"}
        """,
    )
    workflow(sim, "say.yml", ECHO_WORKFLOW)
    (old,) = sim.push(*commit(sim, "v1"))
    sim.settle()
    sim.dispatch("rerun.yml", {"run": str(old.id)})
    sim.settle()
    assert old.attempt == 2 and old.triggering_actor == "github-actions[bot]"
    assert old.conclusion == "success"


ACTION = """\
name: say
inputs:
  word: {required: true}
outputs:
  said: {value: "${{ steps.s.outputs.said }}"}
runs:
  using: composite
  steps:
    - id: s
      shell: bash
      run: 'echo "$VERSION says $WORD"; echo "said=$WORD" >> "$GITHUB_OUTPUT"'
      env: {WORD: "${{ inputs.word }}", VERSION: main-action}
"""


def test_a_pull_request_runs_the_composite_action_it_changes_and_others_theirs_at_a_ref(
    tmp_path: Path,
) -> None:
    world = World()
    sim = make_sim(tmp_path, "o/r", world)
    write(sim, "action.yml", ACTION)
    tool = make_sim(tmp_path, "tools/reconciler", world)
    write(tool, "action.yml", ACTION.replace("main-action", "tool-v1-action"))
    tool.git("tag", "v1")
    workflow(
        sim,
        "use.yml",
        """\
        on: {pull_request: {}}
        jobs:
          use:
            outputs: {said: "${{ steps.local.outputs.said }}"}
            steps:
              - uses: actions/checkout@0000000000000000000000000000000000000000
              - {id: local, uses: ./, with: {word: hello}}
              - {uses: tools/reconciler@v1, with: {word: hi}}
        """,
    )
    head = branch(sim, "topic", {"action.yml": ACTION.replace("main-action", "pr-action")})
    sim.add_pull(7, head, "topic")
    (run,) = sim.pull_request(7, "opened")
    sim.settle()
    job = run.job("use")
    assert job.result == "success", job.log
    assert "pr-action says hello" in job.log and "tool-v1-action says hi" in job.log
    assert job.outputs == {"said": "hello"}
