"""Queries compared by what they say, not how they are laid out (sqlglot, imported only here).

`canonical` is the form plans compare when two queries' texts differ: parsed and printed back on
one line (keywords in upper case, unquoted identifiers in Snowflake's case, comments and layout
dropped), so an edit that only re-indents, re-wraps or re-cases plans nothing and never shows up
later as a query change. A query sqlglot cannot parse, or one longer than `PARSE_LIMIT` (parsing
grows with size: a 32 KiB query takes about a second), falls back to its whitespace-collapsed
text, which is what the source database gets anyway.
"""

from __future__ import annotations

from functools import lru_cache

DIALECT = "snowflake"  # close to ANSI; Azure SQL queries parse with it too for canonical forms
PARSE_LIMIT = 8_192  # characters


@lru_cache(maxsize=4096)
def canonical(query: str) -> str:
    collapsed = " ".join(query.split())
    if not collapsed or len(query) > PARSE_LIMIT:
        return collapsed
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
