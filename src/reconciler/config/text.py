"""Read a desired-state file as text: a regular file, at most `MAX_FILE_BYTES`, UTF-8.

Every way a file can fail to be that (a folder or a FIFO, a symlink to /dev/zero, UTF-16 or
Latin-1 from an editor, a NUL byte, a control character YAML forbids, a character a review
cannot see: U+2028 and other line breaks git does not show, zero-width and other format
characters, `reconciler.core.limits.INVISIBLE`) is a `ConfigError` naming
the file and, where there is one, the line and column, with how to fix it. Never the file's
content: the file may hold secrets.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

from reconciler.core.errors import ConfigError, Problem
from reconciler.core.limits import BIDI, INVISIBLE, LINE_SEPARATORS, MAX_FILE_BYTES, code_point

_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"
# YAML's printable set: tab, line breaks, and no other C0/C1 control
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
_SAVE_AS_UTF8 = "save the file as UTF-8 (most editors offer it under 'Save with encoding')"


def read_text(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> str:
    """The file's text; a located `ConfigError` when it is not a bounded UTF-8 text file."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise _error(display, None, "is not a regular file", "point it at a text file")
        with path.open("rb") as handle:  # read one byte past the limit, never the whole file
            data = handle.read(limit + 1)
    except OSError as exc:
        raise _error(display, None, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        line = data.count(b"\n", 0, limit) + 1
        raise _error(
            display,
            (line, None),
            f"is larger than {_size(limit)}; reading stopped at this line",
            "split the desired state, or check that this is the file you meant",
        )
    return decode(data, display)


def decode(data: bytes, display: str) -> str:
    """UTF-8 text (a leading byte-order mark is dropped) or a located `ConfigError`."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise _error(display, (1, 1), f"is encoded as {encoding}, not UTF-8", _SAVE_AS_UTF8)
    data = data.removeprefix(_UTF8_BOM)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _error(
            display,
            _where(data, nul),
            "contains a NUL byte: it is binary, or UTF-16/UTF-32 without a byte-order mark",
            _SAVE_AS_UTF8,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(
            display,
            _where(data, exc.start),
            f"is not UTF-8: byte 0x{data[exc.start]:02X} here cannot be read "
            "(bytes like this usually mean Latin-1 or Windows-1252)",
            _SAVE_AS_UTF8,
        ) from None
    control = _CONTROL.search(text)
    if control is not None:
        raise _error(
            display,
            _located(text, control.start()),
            f"contains the control character U+{ord(control.group()):04X}, which a text file "
            "must not hold",
            "remove it (editors can show invisible characters; `cat -A FILE` does too)",
        )
    invisible = _INVISIBLE.search(text)
    if invisible is not None:
        raise _error(display, _located(text, invisible.start()), *_unseen(text, invisible))
    return text


def _located(text: str, index: int) -> tuple[int, int]:
    """Line and column of ``text[index]`` as git and an editor show them: lines end at \\n
    only (a U+2028 is not a line break to them), columns count characters."""
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _unseen(text: str, found: re.Match[str]) -> tuple[str, str]:
    char = found.group()
    more = len(_INVISIBLE.findall(text, found.end()))
    others = (
        f" (and {more:,} more such character{'s' if more != 1 else ''} after it)" if more else ""
    )
    if char in BIDI:
        message = (
            f"contains the invisible bidirectional control {code_point(char)}{others}: it makes "
            "text read differently in a review than it is"
        )
    elif char in LINE_SEPARATORS:
        message = (
            f"contains {code_point(char)}{others}: YAML reads it as a line break, but git and "
            "GitHub show it as part of this line, so what a review sees is not what is read"
        )
    else:
        message = (
            f"contains the invisible character {code_point(char)}{others}: a review cannot see "
            "it, and it can make a key or a value differ from what it looks like"
        )
    hint = (
        "remove it; a desired-state file holds none, not even in descriptions or queries "
        "(`grep -nP '[^\\x00-\\x7F]' FILE` shows the lines with non-ASCII characters)"
    )
    return message, hint


def _size(limit: int) -> str:
    return f"{limit // 2**20:,} MiB" if limit % 2**20 == 0 else f"{limit:,} bytes"


def _where(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _error(
    display: str, where: tuple[int, int | None] | None, message: str, hint: str | None = None
) -> ConfigError:
    line, column = where if where is not None else (None, None)
    return ConfigError(problems=[Problem(display, line, column, "", message, hint)])
