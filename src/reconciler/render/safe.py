"""Markdown that carries text we do not control, made inert; fences; cutting to a size. Pure.

Everything a comment, an issue or a job summary shows of a plan (names, values, reasons, error
text) may have been written by whoever can open a pull request, so it goes through `inert`
before it is placed: outside code, HTML, links, images, emphasis and ``@mentions`` become
entities that show the same characters and do nothing; anywhere, our own comment markers
(``reconciler-plan:``, ``reconciler-apply:``...) are broken, so no value can pass for one. Code
blocks get a fence longer than any run of backticks inside them, code spans likewise.
"""

from __future__ import annotations

import re

# our markers' names: a value holding one must never read as one
_MARKER = re.compile(r"reconciler-(?=(?:plan|apply|drift|review|sources|check-sources)\b)", re.I)
_NOT_A_HYPHEN = "reconciler\u2011"  # a non-breaking hyphen: reads the same, matches nothing
# characters that make HTML, mentions, links, images, code or table cells, shown as entities
# outside code (emphasis characters are left alone: they change how text looks, nothing more)
_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>@[]!`|"}
_ENTITIES.update({"\r": " ", "\n": " "})


def inert(text: str, *, code: bool = False) -> str:
    """``text`` as characters only. ``code``: it goes inside a code block or span (where
    markdown does nothing, so only our markers are broken); otherwise every character with a
    meaning becomes an entity and line breaks become spaces (it stays on its line)."""
    text = _MARKER.sub(_NOT_A_HYPHEN, text)
    if code:
        return text.replace("\r", "")
    return "".join(_ENTITIES.get(c, c) for c in text)


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def code_block(text: str, language: str = "text") -> str:
    """``text`` in a fenced code block, inert."""
    body = inert(text.rstrip(), code=True)
    fence = fence_for(body)
    return f"{fence}{language}\n{body}\n{fence}\n"


def code_span(text: str) -> str:
    """``text`` as inline code, on one line, inert."""
    body = inert(text, code=True).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


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
