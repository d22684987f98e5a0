"""Hostile cases of issue 21, item 7: links that lead out of the project, and outputs that
would overwrite what the desired state reads. Each is refused with the path, nothing written
(the targets outside sit beside the project: `tests/cli/test_symlinks.py` checks them too)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.hostile.cases import Case

_LOCAL = ".reconcile/local"


def _outside(root: Path) -> Path:
    """A folder beside the project (the project is the test's own folder) with a victim file."""
    folder = root.parent / f"{root.name}-outside"
    folder.mkdir(exist_ok=True)
    (folder / "victim.txt").write_text("keep me\n")
    return folder


def _link_out(relative: str, target: str = "victim.txt") -> Callable[[Path], None]:
    """``relative`` (its folders made) becomes a link to ``target`` in the outside folder."""

    def setup(root: Path) -> None:
        link = root / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        destination = _outside(root) / target
        if link.exists():  # a copy of the project's own file, outside
            destination.write_bytes(link.read_bytes())
        link.unlink(missing_ok=True)
        link.symlink_to(destination)

    return setup


def _folder_out(root: Path) -> None:
    (root / ".reconcile").symlink_to(_outside(root), target_is_directory=True)


CASES = [
    Case(
        "lock-file-links-out",
        "links",
        setup=_link_out(f"{_LOCAL}/apply.lock"),
        expect=("apply.lock is a symbolic link",),
    ),
    Case(
        "database-links-out",
        "links",
        setup=_link_out(f"{_LOCAL}/workspace.db"),
        expect=("workspace.db is a symbolic link",),
    ),
    Case(
        "workspace-folder-links-out",
        "links",
        setup=_folder_out,
        expect=("environments/local.yaml:4:3: workspace.path: .reconcile/local leads outside",),
    ),
    Case(
        "overlay-links-out",
        "links",
        setup=_link_out("environments/local.yaml", "local.yaml"),
        expect=("environments/local.yaml: is a symbolic link to", "outside the project"),
    ),
    Case(
        "dotenv-links-out",
        "links",
        setup=_link_out(".env"),
        expect=(".env: is a symbolic link to", "outside the project"),
    ),
    Case(
        "plan-out-overwrites-platform",
        "links",
        args=("plan", "--out", "platform.yaml"),
        expect=("refusing to write platform.yaml: the desired state is read from that file",),
    ),
    Case(
        "summary-file-overwrites-env-file",
        "links",
        args=("apply", "--auto-approve", "--summary-file", "environments/local.env"),
        expect=("refusing to write environments/local.env: the desired state is read from",),
    ),
    Case(
        "plan-out-through-a-link-out",
        "links",
        args=("plan", "--out", "plan.json"),
        setup=_link_out("plan.json"),
        expect=("refusing to write plan.json: it leads outside the project",),
    ),
]
