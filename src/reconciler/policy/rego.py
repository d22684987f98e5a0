"""The Rego engine, behind one small interface: the only module that imports ``regorus``.

regorus is Microsoft's Rego interpreter (Rust), published on PyPI as ``gordon-to-regorus``
(import name ``regorus``): a republish of upstream's own Python bindings, pinned exactly. If
an official wheel appears, only this module and the pin change.

What this module hides:
- Thread affinity: an engine may only be used, and freed, on the thread that made it (another
  thread gets a ``PanicException``, which is a ``BaseException``; freeing it elsewhere, as the
  garbage collector may when a traceback keeps it alive, is an error too). `Rego` is a context
  manager: made and used within one call, on one thread, its engine freed on leaving, whatever
  an error's traceback still holds.
- Errors: the engine raises ``RuntimeError`` whose text holds ``--> file:line:col``, the source
  line and ``error: ...``, and, when ``RUST_BACKTRACE`` is set, a Rust stack trace. They become
  `RegoError` with the location parsed and the trace cut off.
- Noise: the engine writes some diagnostics straight to the process's stderr (``could not
  schedule all statements`` before an unsafe-variable error, which is reported anyway).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_LOCATION = re.compile(
    r"--> (?P<file>.+?):(?P<line>\d+):(?P<col>\d+)\n.*?\n(?:error|warning): (?P<msg>[^\n]+)", re.S
)


@dataclass
class RegoError(Exception):
    """A parse or evaluation error, located when the engine says where."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return self.message


class Rego:
    """One engine: add modules, set the input, query. ``with Rego() as rego:`` on one thread."""

    def __init__(self) -> None:
        # anyhow's backtraces: slow to capture and useless to a policy author
        os.environ.setdefault("RUST_LIB_BACKTRACE", "0")
        import regorus

        self._engine: Any = regorus.Engine()

    def __enter__(self) -> Rego:
        return self

    def __exit__(self, *exc: object) -> None:
        self._engine = None  # freed here, on the thread that made it

    def add_module(self, path: str, text: str) -> str:
        """Parse a Rego v1 module; returns its package (``reconciler.no_delete``)."""
        package = _call(lambda: self._engine.add_policy(path, text))
        return str(package).removeprefix("data.")

    def set_input(self, document: Any) -> None:
        text = json.dumps(document)
        _call(lambda: self._engine.set_input_json(text))

    def query(self, query: str) -> list[Any]:
        """The value of each result of ``query`` (none when it is undefined)."""
        out = json.loads(_call(lambda: self._engine.eval_query_as_json(query)))
        return [result["expressions"][0]["value"] for result in out.get("result", [])]


def _call(func: Any) -> Any:
    try:
        with _quiet_stderr():
            return func()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Rust panic is a BaseException
        raise _error(exc) from None


def _error(exc: BaseException) -> RegoError:
    text = str(exc).split("\nStack backtrace")[0].strip()
    found = _LOCATION.search(str(exc))
    if found is None:
        return RegoError(text.splitlines()[0] if text else type(exc).__name__)
    return RegoError(found["msg"].strip(), found["file"], int(found["line"]), int(found["col"]))


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """The engine's own writes to file descriptor 2 go nowhere while it runs."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # no real stderr (captured): nothing to hide
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
