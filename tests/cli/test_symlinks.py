"""No symlink leaves the project (issue 21, item 7): the files the desired state is read from,
the embedded workspace (its folder, database, lock and key) and the files commands write are
resolved; a link that leads out, or an output that would overwrite what the desired state reads,
is refused with the path, and nothing is written anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RunCli
from tests.hostile.runner import snapshot


def without_imports(project: Path) -> Path:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(text[: text.index("imports:")])
    return project


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outside")  # the project is tmp_path: this is beside it
    (folder / "victim.txt").write_text("keep me\n")
    return folder


def test_a_symlinked_workspace_folder_leading_out_is_refused(
    project: Path, outside: Path, invoke: RunCli
) -> None:
    without_imports(project)
    (project / ".reconcile").symlink_to(outside, target_is_directory=True)

    result = invoke("apply", "--auto-approve", cwd=project)

    assert result.code == 1
    assert "environments/local.yaml:4:3: workspace.path: .reconcile/local leads outside" in (
        result.stderr
    )
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]


def test_a_symlinked_database_is_refused(project: Path, outside: Path, invoke: RunCli) -> None:
    without_imports(project)
    root = project / ".reconcile/local"
    root.mkdir(parents=True)
    (root / "workspace.db").symlink_to(outside / "victim.txt")

    result = invoke("apply", "--auto-approve", cwd=project)

    assert result.code == 1 and "workspace.db is a symbolic link" in result.stderr
    assert (outside / "victim.txt").read_text() == "keep me\n"


@pytest.mark.parametrize(
    ("link", "display"),
    [
        ("environments/local.yaml", "environments/local.yaml"),
        (".env", ".env"),
        ("platform.yaml", "platform.yaml"),
    ],
)
def test_a_desired_state_file_linking_out_is_not_read(
    project: Path, outside: Path, invoke: RunCli, link: str, display: str
) -> None:
    (outside / "copy.yaml").write_text((project / link).read_text() if link != ".env" else "A=b\n")
    (project / link).unlink(missing_ok=True)
    (project / link).symlink_to(outside / "copy.yaml")

    result = invoke("validate", cwd=project)

    assert result.code == 1
    assert f"{display}: is a symbolic link to {outside / 'copy.yaml'}, outside the project" in (
        result.stderr
    )


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--out", "{out}"),
        ("apply", "--auto-approve", "--summary-file", "{out}"),
    ],
)
@pytest.mark.parametrize(
    ("target", "complaint"),
    [
        ("platform.yaml", "the desired state is read from that file"),
        ("environments/local.env", "the desired state is read from that file"),
        ("environments/local.yaml", "the desired state is read from that file"),
        ("link-out.json", "it leads outside the project through a symbolic link"),
        (".reconcile/local/workspace.db", "it is inside the embedded workspace's folder"),
    ],
)
def test_an_output_never_overwrites_what_the_desired_state_reads_nor_leaves_through_a_link(
    project: Path, outside: Path, invoke: RunCli, args: tuple[str, ...], target: str, complaint: str
) -> None:
    without_imports(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    (project / "link-out.json").symlink_to(outside / "victim.txt")
    (project / "plan-link.json").symlink_to(target)  # written through a link, or directly
    before = snapshot(project)

    for name in (target, "plan-link.json"):
        result = invoke(*(a.format(out=name) for a in args), cwd=project)
        assert result.code == 1, result.output
        assert f"refusing to write {name}: {complaint}" in result.stderr

    assert snapshot(project) == before
    assert (outside / "victim.txt").read_text() == "keep me\n"


def test_export_never_writes_through_a_link_leading_out(
    project: Path, outside: Path, invoke: RunCli
) -> None:
    (project / "exported.yaml").symlink_to(outside / "new.yaml")  # dangling: export would make it
    result = invoke("export", "--out", "exported.yaml", cwd=project)
    assert result.code == 1
    assert "refusing to write exported.yaml: it leads outside the project" in result.stderr
    assert not (outside / "new.yaml").exists()


def test_an_output_outside_the_project_named_as_such_is_written(
    project: Path, outside: Path, invoke: RunCli
) -> None:
    """CI writes its plan to $RUNNER_TEMP: a path the caller chose outside the project."""
    result = invoke("plan", "--out", str(outside / "plan.json"), cwd=project)
    assert result.code == 0, result.output
    assert (outside / "plan.json").read_text().startswith("{")
