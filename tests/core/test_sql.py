"""Queries compared by what they say: layout, keyword case, identifier case and comments do not
count; what sqlglot cannot parse falls back to its whitespace-collapsed text."""

from __future__ import annotations

from reconciler.core.limits import sql_statements
from reconciler.core.sql import PARSE_LIMIT, canonical


def test_layout_case_and_comments_do_not_count() -> None:
    written = "SELECT id, price FROM sales.raw WHERE price > 0"
    relaid = "select ID,\n       Price -- what it cost\n  from SALES.RAW\n where price > 0 /* ok */"
    assert canonical(written) == canonical(relaid)


def test_a_different_query_is_different() -> None:
    assert canonical("SELECT a FROM t") != canonical("SELECT b FROM t")
    assert canonical("SELECT 'A' FROM t") != canonical("SELECT 'a' FROM t")  # values keep case


def test_what_cannot_be_parsed_is_compared_as_collapsed_text() -> None:
    assert canonical("SELEC  broken ((  query") == "SELEC broken (( query"
    long = "SELECT " + ", ".join(f"c{i}" for i in range(PARSE_LIMIT // 4)) + " FROM t"
    assert canonical(long) == " ".join(long.split())


def test_statements_split_outside_quotes_and_comments() -> None:
    query = "SELECT ';' AS a -- x; y\n; SELECT $$ ; $$ /* ; */ ;"
    assert sql_statements(query) == ["SELECT ';' AS a", "SELECT $$ ; $$"]
