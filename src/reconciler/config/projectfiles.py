"""The files a desired state is read from stay inside the project, symlinks followed.

platform.yaml, the environment's overlay, the project ``.env`` and every ``env_file`` are read
only where they resolve inside the project folder: a symlink that leads out (to a shared
secret file, to /dev/zero, to another checkout) is a located error, never followed. What was
read is remembered (`DesiredState.sources`), so that no output file overwrites it.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.core.errors import ConfigError, Problem


def leaves(project_dir: Path, path: Path) -> bool:
    """Whether ``path``, symlinks followed, lies outside ``project_dir``."""
    root = project_dir.resolve()
    target = path.resolve()
    return target != root and root not in target.parents


TRUSTED_VARIABLE = "RECONCILER_TRUSTED_WORKSPACES"


def trusted_outside(folder: Path) -> bool:
    """Whether an embedded workspace reached through a link may live in ``folder``: only
    inside a folder the operator (not the repository) names in ``RECONCILER_TRUSTED_WORKSPACES``
    (``os.pathsep``-separated), as a CI simulation sharing one workspace between checkouts
    does."""
    target = folder.resolve()
    named = os.environ.get(TRUSTED_VARIABLE, "")
    for entry in filter(None, named.split(os.pathsep)):
        root = Path(entry).resolve()
        if target == root or root in target.parents:
            return True
    return False


def require_inside(project_dir: Path, path: Path, display: str) -> Path:
    """``path`` if it resolves inside the project; a `ConfigError` naming it otherwise."""
    if (path.exists() or path.is_symlink()) and leaves(project_dir, path):
        raise ConfigError(
            problems=[
                Problem(
                    display,
                    None,
                    None,
                    "",
                    f"is a symbolic link to {path.resolve()}, outside the project; desired-state "
                    "files are read only from inside the project",
                    "copy the file into the project (or link to one inside it)",
                )
            ]
        )
    return path
