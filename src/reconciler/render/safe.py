"""Markdown that carries text we do not control: code blocks, cutting to a size. Pure.

Everything a comment, an issue or a job summary shows of a plan (names, values, reasons, error
text) may have been written by whoever can open a pull request. Values placed as text go
through `reconciler.render.common.escape_markdown` (the one escaping function); values placed
as code go through `code` (spans) or `code_block` here, with a fence longer than any run of
backticks inside and our markers broken.
"""

from __future__ import annotations

import re

from reconciler.render.common import break_markers, code, escape_markdown, fence_for

__all__ = ["clip", "code_block", "code_span", "escape_markdown", "fence_for", "fit"]


def code_block(text: str, language: str = "text") -> str:
    """``text`` in a fenced code block."""
    body = break_markers(text.rstrip()).replace("\r", "")
    fence = fence_for(body)
    return f"{fence}{language}\n{body}\n{fence}\n"


def code_span(text: str) -> str:
    """``text`` as inline code, on one line."""
    return code(text)


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, saying how many more there were."""
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f"\n… ({len(text) - limit:,} more characters in the log)\n"


def fit(body: str, tail: str, limit: int, note: str) -> str:
    """``body + tail`` if it fits in ``limit`` characters; otherwise ``body`` cut at a line,
    with any open code fence and ``<details>`` closed, then ``note`` and ``tail``."""
    if len(body) + len(tail) <= limit:
        return body + tail
    budget = limit - len(tail) - len(note) - 200
    kept: list[str] = []
    size, fence, details = 0, "", 0
    for line in body.splitlines(keepends=True):
        if size + len(line) > budget:
            break
        kept.append(line)
        size += len(line)
        stripped = line.strip()
        if fence:
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                fence = ""
            continue
        opening = re.match(r"(`{3,}|~{3,})", stripped)
        if opening:
            fence = opening.group(1)
        else:
            details += stripped.count("<details") - stripped.count("</details>")
    closers = f"\n{fence}\n" if fence else ""
    closers += "\n</details>\n" * max(details, 0)
    return "".join(kept).rstrip("\n") + "\n" + closers + "\n" + note + tail
