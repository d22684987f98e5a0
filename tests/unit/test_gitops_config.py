"""platform.yaml's `gitops:` section: declared once, validated with locations, read without any
variable (the workflows ask before an environment exists), turned into each job's matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.config.gitops import load_gitops, referenced_names
from reconciler.core.errors import ConfigError
from reconciler.gitops.matrix import matrix, stages_from
from tests.conftest import LOCAL, PLATFORM, local_env, write_project

CHAIN = """
gitops:
  promote: [dev, [staging, perf], prod]
  environments:
    prod: {plan: prod-readers, sources: prod-db-check}
    sandbox: {}
  sources:
    snowflake_globorealty: {allowed_hosts: ["*.snowflakecomputing.com", "127.0.0.1:8765"]}
"""


def project(tmp_path: Path, section: str = CHAIN, **overlays: str) -> Path:
    files = {"platform.yaml": PLATFORM + section, "environments/local.yaml": LOCAL}
    files["environments/local.env"] = local_env()
    for name in ("dev", "staging", "perf", "prod", "sandbox"):
        files[f"environments/{name}.yaml"] = overlays.get(name, "{}\n")
    return write_project(tmp_path, files)


def problems(tmp_path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_gitops(tmp_path)
    return str(caught.value)


def test_stages_environments_and_github_names_come_from_one_declaration(tmp_path: Path) -> None:
    gitops = load_gitops(project(tmp_path))
    assert gitops.stages == [["dev"], ["staging", "perf"], ["prod"]]
    assert gitops.names == ["dev", "staging", "perf", "prod", "sandbox"]
    assert gitops.github("prod").model_dump() == {
        "plan": "prod-readers",
        "apply": "prod",
        "sources": "prod-db-check",
        "policy": "prod-policy",
    }
    assert gitops.github("dev").plan == "dev-plan"
    found = matrix(gitops)
    assert [leg["environment"] for leg in found["stage-2"]["include"]] == ["staging", "perf"]
    assert found["stage-4"] == "" and found["stage-6"] == ""
    assert {
        "environment": "prod",
        "plan": "prod-readers",
        "apply": "prod",
        "sources": "prod-db-check",
        "policy": "prod-policy",
    } in found["plan"]["include"]
    assert load(tmp_path, "local").platform.gitops == gitops  # validate sees it too


def test_a_dispatch_starts_at_its_environment_alone_then_promotes(tmp_path: Path) -> None:
    gitops = load_gitops(project(tmp_path))
    assert stages_from(gitops, "perf") == [["perf"], ["prod"]]
    assert stages_from(gitops, "sandbox") == [["sandbox"]]  # not promoted: alone
    with pytest.raises(Exception, match="unknown environment 'qa'"):
        stages_from(gitops, "qa")


def test_an_environment_without_its_file_is_named_where_it_is_written(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "environments" / "perf.yaml").unlink()
    said = problems(root)
    line = (
        (root / "platform.yaml")
        .read_text()
        .splitlines()
        .index("  promote: [dev, [staging, perf], prod]")
    )
    assert f"platform.yaml:{line + 1}:" in said
    assert "gitops.promote[1][1]: environment 'perf' has no environments/perf.yaml" in said
    assert load(root, "local").platform.gitops is not None  # a plan of local needs no perf


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("\ngitops:\n  promote: [dev, dev]\n", "environment 'dev' appears twice in promote"),
        ("\ngitops:\n  promote: [a, b, c, d, e, f, g]\n", "at most 6 items"),
        (
            "\ngitops:\n  promote: [dev]\n  sources: {s: {allowed_hosts: ['http://x']}}\n",
            "'http://x' is not a host pattern",
        ),
        ("\ngitops:\n  promote: [dev]\n  colour: red\n", "gitops.colour"),
        ("\ngitops: {}\n", "the gitops section names no environment"),
    ],
)
def test_a_bad_section_is_a_located_problem(tmp_path: Path, section: str, message: str) -> None:
    assert message in problems(project(tmp_path, section))


def test_an_overlay_may_not_set_the_section(tmp_path: Path) -> None:
    root = project(tmp_path, dev="env_file: environments/local.env\ngitops:\n  promote: [dev]\n")
    with pytest.raises(ConfigError) as caught:
        load(root, "dev")
    assert "environments/dev.yaml:2:1: gitops: the gitops section belongs in platform.yaml" in str(
        caught.value
    )


def test_the_names_a_job_must_pass_are_read_off_the_files(tmp_path: Path) -> None:
    root = project(tmp_path, dev="workspace: {provider: local, path: '${DEV_DIR}'}\n")
    variables, secrets = referenced_names(root, "dev")
    assert "DEV_DIR" in variables and "SNOWFLAKE_ACCOUNT" in variables
    assert secrets == ["SNOWFLAKE_PASSWORD", "STORAGE_ACCOUNT_KEY"]
    assert "DEV_DIR" not in referenced_names(root, "prod")[0]
