"""Ctrl-C and ``--timeout`` during a command: what stops what, and when.

Before apply starts changing anything, the ``--timeout`` alarm raises `TimedOut` (nothing was
changed). While apply's steps run, the first Ctrl-C (or the alarm) starts no new step and lets
the running ones finish and report; a second Ctrl-C stops at once (exit 130: a running import is
then seen as interrupted and retried by the next apply).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from reconciler.core.errors import ReconcileError

INTERRUPTED = (
    "\nInterrupted: no new step will start; waiting for the running ones to finish "
    "(Ctrl-C again to stop at once).\n"
)
TIMED_OUT = (
    "\nThe --timeout ran out: no new step will start; waiting for the running ones to finish.\n"
)


class TimedOut(ReconcileError):
    def __init__(self) -> None:
        super().__init__(
            "the --timeout ran out before anything was changed; nothing was changed",
            hint="check that the workspace (and the sources) answer, or allow more time",
        )


def on_alarm(signum: int, frame: Any) -> None:
    raise TimedOut()


@contextmanager
def timeout_alarm() -> Iterator[None]:
    """For the whole command: the ``--timeout`` alarm raises `TimedOut` (in the main thread
    only; the session arms the clock once it knows the timeout)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        signal.signal(signal.SIGALRM, on_alarm)
    try:
        yield
    finally:
        if in_main_thread:
            signal.setitimer(signal.ITIMER_REAL, 0)


@contextmanager
def interruptible(note: Callable[[str], None]) -> Iterator[Callable[[], bool]]:
    """While apply's steps run: yields ``stopping()``. First Ctrl-C (or the --timeout running
    out): start no new step, let running ones finish and report (``note`` says so). Second
    Ctrl-C: stop now."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop.is_set
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        # A signal handler runs between two bytecodes of the main thread, which may be holding
        # the console's lock mid-write: take no lock here.
        if stop.is_set() and signum == signal.SIGINT:
            os.write(2, b"\nInterrupted again: stopping now; running steps are abandoned.\n")
            os._exit(130)
        if not stop.is_set():
            stop.set()
            text = INTERRUPTED if signum == signal.SIGINT else TIMED_OUT
            threading.Thread(target=note, args=(text,), daemon=True).start()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    previous_alarm = signal.signal(signal.SIGALRM, on_interrupt)
    try:
        yield stop.is_set
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)  # the steps are over: nothing left to cut short
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGALRM, previous_alarm)


LATE = "\nInterrupted: the steps are over and their outcome stands; finishing the summary.\n"


def after_steps(note: Callable[[str], None]) -> Callable[[], None]:
    """Once apply's steps are over: a Ctrl-C changes nothing any more, so it must not turn an
    apply that completed into exit 130. Until the returned function is called (at the end of
    the command), Ctrl-C only says so; the exit code stays the apply's."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_interrupt(signum: int, frame: Any) -> None:
        threading.Thread(target=note, args=(LATE,), daemon=True).start()

    previous = signal.signal(signal.SIGINT, on_interrupt)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore
