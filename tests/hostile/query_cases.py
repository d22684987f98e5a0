"""Hostile queries (issue 21, item 5): an import runs one read-only statement, decided in the
connection's dialect by sqlglot's tokenizer and parser, never by a hand-written splitter."""

from __future__ import annotations

from tests.hostile.cases import QUERY, Case, swap

_AT = "platform.yaml:22:7"
_READ_ONLY = "an import runs one read-only query"


def _query(text: str) -> dict[str, str | bytes | None]:
    return swap(QUERY, "query: " + text)


CASES = [
    Case(
        "backslash-quote-hides-create-table",
        "queries",
        _query(
            '\'SELECT "a\\"; CREATE TABLE GLOBOREALTY.REAL_ESTATE.PWNED (A INT); --" FROM '
            "GLOBOREALTY.REAL_ESTATE.RAW'"
        ),
        (_AT, "the query holds 2 SQL statements"),
        args=("validate",),
    ),
    Case(
        "plain-ddl-query",
        "queries",
        _query("CREATE TABLE GLOBOREALTY.REAL_ESTATE.COPY AS SELECT * FROM X"),
        (_AT, "runs CREATE, not a SELECT", _READ_ONLY),
    ),
    Case(
        "dml-behind-a-cte",
        "queries",
        _query("WITH old AS (SELECT 1) DELETE FROM GLOBOREALTY.REAL_ESTATE.RAW"),
        (_AT, "runs DELETE, not a SELECT"),
    ),
    Case(
        "call-procedure",
        "queries",
        _query("CALL GLOBOREALTY.ADMIN.PURGE()"),
        (_AT, "runs CALL, not a SELECT"),
    ),
    Case(
        "use-database",
        "queries",
        _query("USE DATABASE OTHER"),
        (_AT, "runs USE, not a SELECT"),
    ),
    Case(
        "select-into",
        "queries",
        _query("SELECT * INTO GLOBOREALTY.REAL_ESTATE.COPY FROM GLOBOREALTY.REAL_ESTATE.RAW"),
        (_AT, "holds SELECT … INTO, which writes"),
    ),
    Case(
        "unbalanced-union-valid-only-when-wrapped",
        "queries",
        _query("'SELECT 1) UNION ALL (SELECT 2'"),
        (_AT, "parentheses do not balance: the ')' at line 1 closes nothing"),
        args=("plan", "--check-sources"),
    ),
    Case(
        "unterminated-identifier",
        "queries",
        _query("'SELECT \"PRICE FROM GLOBOREALTY.REAL_ESTATE.RAW'"),
        (_AT, "cannot be read as snowflake SQL", "is not closed"),
    ),
    Case(
        "second-statement-after-comment",
        "queries",
        _query("|\n        SELECT 1 /* one */ ;\n        SELECT 2 -- two\n"),
        (_AT, "holds 2 SQL statements"),
    ),
]
