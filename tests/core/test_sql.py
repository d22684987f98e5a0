"""Queries read in their connection's dialect: one read-only statement (split by the dialect's
tokenizer, the kind decided by sqlglot's parse, or by the tokens where sqlglot does not know the
syntax); compared by what they say: layout, keyword case, identifier case and comments do not
count, every character of a string literal does."""

from __future__ import annotations

import pytest

from reconciler.core.sql import PARSE_LIMIT, canonical, statement_problem


def test_layout_case_and_comments_do_not_count() -> None:
    written = "SELECT id, price FROM sales.raw WHERE price > 0"
    relaid = "select ID,\n       Price -- what it cost\n  from SALES.RAW\n where price > 0 /* ok */"
    assert canonical(written) == canonical(relaid)


def test_a_different_query_is_different() -> None:
    assert canonical("SELECT a FROM t") != canonical("SELECT b FROM t")
    assert canonical("SELECT 'A' FROM t") != canonical("SELECT 'a' FROM t")  # values keep case


def test_what_cannot_be_parsed_is_compared_token_by_token() -> None:
    assert canonical("SELEC  broken ((  query") == "SELEC broken ( ( query"
    long = "SELECT " + ", ".join(f"c{i}" for i in range(PARSE_LIMIT // 4)) + " FROM t"
    assert canonical(long).startswith("SELECT c0 , c1 , c2")
    assert canonical(long) == canonical(long.replace(", ", ",\n  ") + " -- every column")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("SELECT 'a  b' FROM t WHERE x MATCH_WEIRD 1", "SELECT 'a b' FROM t WHERE x MATCH_WEIRD 1"),
        (
            "SELECT 'two  spaces', " + ", ".join(f"c{i}" for i in range(PARSE_LIMIT // 4)),
            "SELECT 'two spaces', " + ", ".join(f"c{i}" for i in range(PARSE_LIMIT // 4)),
        ),
    ],
    ids=["unparseable", "over-the-parse-limit"],
)
def test_a_space_inside_a_string_literal_counts_where_the_query_is_not_parsed(
    before: str, after: str
) -> None:
    assert canonical(before) != canonical(after)
    assert canonical(before) == canonical(before.replace(" FROM", "\n   FROM"))


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1",
        "SELECT 1;",
        "SELECT 1;\n-- done\n",
        "SELECT ';' AS a",
        "SELECT 'it''s; fine'",
        'SELECT "odd;name" FROM t',
        "SELECT $$ a; b $$",
        "SELECT 1 /* ; */ // ;\n",
        "WITH x AS (SELECT 1 AS a) SELECT * FROM x",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "SELECT 1 INTERSECT SELECT 1 ORDER BY 1",
        "SELECT * FROM VALUES (1), (2)",
        "SELECT $1 FROM @stage",
        "SELECT a FROM t MATCH_WEIRD(x y z) odd",  # not parsed: starts with SELECT
    ],
)
def test_one_read_only_statement_passes(query: str) -> None:
    assert statement_problem(query, "snowflake") is None


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("SELECT 1; DROP TABLE x", "holds 2 SQL statements"),
        ("SELECT 'a\\'; b'; SELECT 2", "holds 2 SQL statements"),
        # Snowflake: a backslash does not escape inside a double-quoted identifier
        ('SELECT "a\\"; CREATE TABLE pwned (a INT); --" FROM t', "holds 2 SQL statements"),
        ("SELECT 1) UNION ALL (SELECT 2", "parentheses do not balance: the ')' at line 1"),
        ("SELECT (1", "1 '(' never closed"),
        ("CREATE TABLE t AS SELECT 1", "runs CREATE, not a SELECT"),
        ("INSERT INTO t SELECT 1", "runs INSERT, not a SELECT"),
        ("WITH c AS (SELECT 1) DELETE FROM c", "runs DELETE, not a SELECT"),
        ("CALL cleanup()", "runs CALL, not a SELECT"),
        ("USE DATABASE other", "runs USE, not a SELECT"),
        ("SHOW TABLES", "runs SHOW, not a SELECT"),
        ("VALUES (1)", "runs VALUES, not a SELECT"),
        ("EXECUTE IMMEDIATE 'DROP TABLE x'", "runs EXECUTE, not a SELECT"),
        ("SELECT * INTO copy FROM t", "holds SELECT … INTO"),
        ("SELECT 'abc", "a quoted string, quoted identifier or comment is not closed"),
        ("-- nothing", "the query is empty"),
        ("GRANT WEIRDLY x TO y", "runs GRANT"),
        ("SELECT a FROM t MATCH_WEIRD(x) INTO copy", "holds INTO (line 1)"),
    ],
)
def test_anything_else_is_refused_with_what_it_is(query: str, problem: str) -> None:
    found = statement_problem(query, "snowflake")
    assert found is not None and problem in found, found


def test_the_dialect_decides_how_a_query_splits() -> None:
    assert statement_problem("SELECT [a;b] FROM t", "tsql") is None  # a bracketed identifier
    assert "2 SQL statements" in (statement_problem("SELECT [a;b] FROM t", "snowflake") or "")
    assert statement_problem("SELECT TOP 5 * FROM dbo.sales", "tsql") is None
