"""Queries compared by what they say, not how they are laid out (sqlglot, imported only here).

`canonical` is the form fingerprints and plans compare: parsed and printed back on one line
(keywords in upper case, unquoted identifiers in Snowflake's case, comments and layout dropped),
so an edit that only re-indents, re-wraps or re-cases plans nothing and never shows up later as
a query change. A query sqlglot
cannot parse falls back to its whitespace-collapsed text, which is what the source database gets
anyway. `statements` counts top-level statements (an import runs exactly one).
"""

from __future__ import annotations

from functools import lru_cache

DIALECT = "snowflake"  # close to ANSI; Azure SQL queries parse with it too for canonical forms


@lru_cache(maxsize=4096)
def canonical(query: str) -> str:
    collapsed = " ".join(query.split())
    if not collapsed:
        return ""
    try:
        import sqlglot
        from sqlglot.errors import SqlglotError
        from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

        parsed = [e for e in sqlglot.parse(query, read=DIALECT) if e is not None]
        printed = [
            normalize_identifiers(e, dialect=DIALECT).sql(dialect=DIALECT, comments=False)
            for e in parsed
        ]
    except (ImportError, SqlglotError, RecursionError, ValueError):
        return collapsed
    return "; ".join(p for p in printed if p) or collapsed


def statements(query: str) -> int | None:
    """How many statements ``query`` holds, or None when it cannot be parsed."""
    try:
        import sqlglot
        from sqlglot.errors import SqlglotError

        return len([s for s in sqlglot.parse(query, read=DIALECT) if s is not None])
    except (ImportError, SqlglotError, RecursionError, ValueError):
        return None
