"""Run a case: the CLI in this process (as `tests.conftest.invoke` does) and a snapshot of the
project folder, to prove that a refused command changed nothing."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.conftest import Result


@contextlib.contextmanager
def _environment(cwd: Path, env: Mapping[str, str]) -> Iterator[None]:
    saved_env, saved_cwd, saved_stdin = dict(os.environ), Path.cwd(), sys.stdin
    try:
        for key in [k for k in os.environ if k.startswith("SNOWFLAKE_")]:
            del os.environ[key]
        os.environ.update({"NO_COLOR": "1", "COLUMNS": "120", **env})
        os.chdir(cwd)
        sys.stdin = io.StringIO("")
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.stdin = saved_stdin


def run_in_process(
    args: tuple[str, ...], cwd: Path, env: Mapping[str, str] | None = None
) -> Result:
    """``reconcile ARGS`` through ``main(argv)``, for setups and benchmarks (tests use the
    `invoke` fixture)."""
    from reconciler.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with (
        _environment(cwd, env or {}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Result(code, out.getvalue(), err.getvalue())


def snapshot(root: Path) -> dict[str, tuple[str, str]]:
    """Every entry under ``root``: its kind and, for files, a hash of the content (FIFOs and
    devices are not opened)."""
    entries: dict[str, tuple[str, str]] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            entries[relative] = ("link", os.readlink(path))
        elif stat.S_ISREG(mode):
            entries[relative] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
        elif stat.S_ISDIR(mode):
            entries[relative] = ("dir", "")
        else:
            entries[relative] = ("special", oct(stat.S_IFMT(mode)))
    return entries
