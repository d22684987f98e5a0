"""The console script: runs the commands and is the one error handler.

Every `ReconcileError` prints its message and hint and exits with its code (a located problem
in GitHub Actions also becomes an annotation); ``--debug`` adds the traceback; anything else is
an internal error, reported as a bug. Ctrl-C outside apply's own handling exits 130.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback

import click

from reconciler.cli.annotations import github_annotations
from reconciler.cli.app import cli
from reconciler.cli.session import Session
from reconciler.cli.signals import TimedOut, timeout_alarm
from reconciler.core.errors import EXIT_ERROR, EXIT_OK, ConfigError, ReconcileError


def main(argv: list[str] | None = None) -> None:
    if argv is None:  # the command itself, not a caller's process (tests call main(argv))
        _collect_garbage_less_often()
    with timeout_alarm():
        _main(argv)


def _collect_garbage_less_often() -> None:
    """A plan of 5,000 imports makes hundreds of thousands of small objects that live until the
    command ends; with Python's default thresholds the collector scanned them again and again
    (a third of the CPU time of such a plan). The modules imported so far are frozen out of
    its scans, and it runs after 20,000 allocations instead of 700: cycles are still
    collected, and peak memory stayed level (bench/exhaustion_bench.py)."""
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)


def _main(argv: list[str] | None) -> None:
    session = Session()
    try:
        code = cli.main(args=argv, obj=session, standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except SystemExit:
        raise
    except ReconcileError as exc:
        if session.debug:
            session.out("".join(traceback.format_exception(exc)), err=True)
        if isinstance(exc, ConfigError):
            for line in github_annotations(exc):
                session.out(line)
        session.out(f"Error: {exc}\n", err=True)
        if isinstance(exc, TimedOut) and argv is None:
            # a request still hanging in a worker thread would hold the exit until it gives up
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.exit_code)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        session.out("Aborted; nothing more was changed.\n", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:  # outside apply's own handling: nothing was being changed
        session.out("\nInterrupted.\n", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        session.out(f"Error: {exc.format_message()}\n", err=True)
        context = getattr(exc, "ctx", None)
        if context is not None:
            session.out(f"Try '{context.command_path} --help' for help.\n", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:
        if session.debug:
            session.out("".join(traceback.format_exception(exc)), err=True)
        else:
            session.out(
                f"Internal error ({type(exc).__name__}): {exc}\n"
                "  This is a bug in reconciler; rerun with --debug and report the traceback.\n",
                err=True,
            )
        sys.exit(EXIT_ERROR)
