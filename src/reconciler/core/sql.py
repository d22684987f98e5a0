"""Queries, read with sqlglot in the connection's dialect (imported only here).

`statement_problem` decides whether a query is what a data import may run: exactly one
statement (split by the dialect's own tokenizer, so a ``;`` inside a string, a quoted
identifier or a comment is not a split, and a ``\\"`` inside a Snowflake identifier is not an
escape), and a read-only one: ``SELECT``, ``WITH … SELECT``, or a ``UNION``/``INTERSECT``/
``EXCEPT`` of them, with no ``INTO`` and no statement that writes anywhere inside. A query
sqlglot cannot parse (Snowflake has syntax it does not know) is accepted only when it starts
with ``SELECT`` or ``WITH``, its parentheses balance, and no ``INTO``, ``INSERT``, ``UPDATE``,
``DELETE`` or ``MERGE`` stands outside parentheses. Most queries are decided without a parse:
one that starts with ``SELECT``, ``WITH`` or ``(`` and holds none of the words that can make a
statement write (outside string literals and quoted identifiers) is read-only whatever its tree.

`canonical` is the form plans compare when two queries' texts differ: parsed and printed back on
one line (keywords in upper case, unquoted identifiers in Snowflake's case, comments and layout
dropped), so an edit that only re-indents, re-wraps or re-cases plans nothing and never shows up
later as a query change. A query sqlglot cannot parse, or one longer than `PARSE_LIMIT` (parsing
grows with size: a 32 KiB query takes about a second), falls back to its tokens joined by one
space: layout and comments still do not count, but every character inside a string literal
does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

DIALECT = "snowflake"  # close to ANSI; Azure SQL queries parse with it too for canonical forms
PARSE_LIMIT = 8_192  # characters
DIALECTS = {"snowflake": "snowflake", "azure_sql_db": "tsql"}
"""The SQL dialect of each database connection type."""

_READ_ONLY_START = ("SELECT", "WITH")
_WRITES_OUTSIDE_PARENS = frozenset({"INTO", "INSERT", "UPDATE", "DELETE", "MERGE"})
_ONE_QUERY = (
    "an import runs one read-only query: SELECT, WITH … SELECT, or a UNION, INTERSECT or "
    "EXCEPT of them"
)


def dialect_of(connection_type: str) -> str:
    return DIALECTS.get(connection_type, DIALECT)


def statement_problem(query: str, dialect: str = DIALECT) -> str | None:
    """Why ``query`` is not one read-only statement in ``dialect``, in words; None if it is."""
    try:
        statements = _statements(query, dialect)
    except _Unreadable as exc:
        return f"the query cannot be read as {dialect} SQL: {exc}"
    if not statements:
        return "the query is empty; write the SELECT whose result becomes the data asset"
    if len(statements) > 1:
        return (
            f"the query holds {len(statements)} SQL statements; a data import runs exactly "
            "one query (remove what follows the first ';')"
        )
    tokens = statements[0]
    unbalanced = _unbalanced(tokens)
    if unbalanced is not None:
        return unbalanced
    if _plainly_read(tokens):  # most queries: decided without a parse (about 1 ms each)
        return None
    parsed = _parse(query, dialect)
    if parsed is None:  # sqlglot does not know this syntax: decide by the tokens
        return _token_problem(tokens)
    return _tree_problem(parsed, tokens)


def is_empty(query: str) -> bool:
    """Whether ``query`` holds no token at all (only space, comments and ';')."""
    first = query.lstrip()[:1]
    if first.isalnum() or first == "(":  # a token starts here: no need to read the rest
        return False
    try:
        return not _statements(query, DIALECT)
    except _Unreadable:
        return False  # not empty: `statement_problem` says what is wrong with it


class _Unreadable(Exception):
    pass


_TOKENIZERS = threading.local()


def _tokenizer(dialect: str) -> Any:
    """This thread's sqlglot tokenizer for ``dialect``, made once: making one (and looking its
    dialect up by name) cost more than tokenizing a short query. A tokenizer resets itself at
    each use, but is not shared between threads (imports are planned in parallel)."""
    made: dict[str, Any] = _TOKENIZERS.__dict__.setdefault("made", {})
    if dialect not in made:
        from sqlglot.dialects.dialect import Dialect

        made[dialect] = Dialect.get_or_raise(dialect).tokenizer()
    return made[dialect]


def _tokens(query: str, dialect: str) -> list[Any]:
    from sqlglot.errors import TokenError

    try:
        return list(_tokenizer(dialect).tokenize(query))
    except TokenError:
        raise _Unreadable("a quoted string, quoted identifier or comment is not closed") from None
    except (RecursionError, ValueError) as exc:
        raise _Unreadable(type(exc).__name__) from None


_CACHED_QUERY = 4_096  # characters: longer queries are rare, and their tokens weigh megabytes


def _statements(query: str, dialect: str) -> tuple[tuple[Any, ...], ...]:
    """The statements' tokens. Validate and plan both ask: a short query is tokenized once (a
    long one each time: 100 cached queries of 32 KiB held 400 MB of tokens)."""
    if len(query) <= _CACHED_QUERY:
        return _cached_statements(query, dialect)
    return _split(query, dialect)


@lru_cache(maxsize=16_384)
def _cached_statements(query: str, dialect: str) -> tuple[tuple[Any, ...], ...]:
    return _split(query, dialect)


def _split(query: str, dialect: str) -> tuple[tuple[Any, ...], ...]:
    from sqlglot.tokenizer_core import TokenType

    statements: list[list[Any]] = [[]]
    for token in _tokens(query, dialect):
        if token.token_type is TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return tuple(tuple(s) for s in statements if s)


# words that can make a statement write, wherever they stand: a query holding one is parsed
_WRITE_WORDS = frozenset(
    {"INTO", "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE"}
    | {"GRANT", "REVOKE", "CALL", "EXEC", "EXECUTE", "VALUES"}
)


def _plainly_read(tokens: Sequence[Any]) -> bool:
    """A statement that starts as a query does (``SELECT``, ``WITH``, ``(``) and holds no
    word that could make it write: read-only whatever sqlglot would make of it."""
    from sqlglot.tokenizer_core import TokenType

    start = next((t for t in tokens if t.token_type is not TokenType.L_PAREN), None)
    if start is None or _keyword(start) not in _READ_ONLY_START:
        return False
    quoted = (TokenType.STRING, TokenType.IDENTIFIER)
    return not any(t.token_type not in quoted and _keyword(t) in _WRITE_WORDS for t in tokens)


def _keyword(token: Any) -> str:
    return str(token.text).upper()


def _unbalanced(tokens: Sequence[Any]) -> str | None:
    from sqlglot.tokenizer_core import TokenType

    depth = 0
    for token in tokens:
        if token.token_type is TokenType.L_PAREN:
            depth += 1
        elif token.token_type is TokenType.R_PAREN:
            depth -= 1
            if depth < 0:
                return (
                    f"the query's parentheses do not balance: the ')' at line {token.line} "
                    "closes nothing, so it is not one query (the import runs it as written)"
                )
    if depth > 0:
        return f"the query's parentheses do not balance: {depth} '(' never closed"
    return None


def _outside_parens(tokens: Sequence[Any]) -> Iterator[Any]:
    from sqlglot.tokenizer_core import TokenType

    depth = 0
    for token in tokens:
        if token.token_type is TokenType.L_PAREN:
            depth += 1
        elif token.token_type is TokenType.R_PAREN:
            depth -= 1
        elif depth == 0:
            yield token


def _token_problem(tokens: Sequence[Any]) -> str | None:
    first = _keyword(tokens[0])
    if first not in _READ_ONLY_START:
        return f"the query runs {first}, not a SELECT; {_ONE_QUERY}"
    for token in _outside_parens(tokens[1:]):
        if _keyword(token) in _WRITES_OUTSIDE_PARENS:
            return f"the query holds {_keyword(token)} (line {token.line}); {_ONE_QUERY}"
    return None


@contextmanager
def _quiet() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to a generic command: not our output."""
    log = logging.getLogger("sqlglot")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _parse(query: str, dialect: str) -> Any | None:
    """The one statement's syntax tree, or None when sqlglot cannot parse it."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    if len(query) > PARSE_LIMIT * 4:
        return None
    try:
        with _quiet():
            parsed = [e for e in sqlglot.parse(query, read=dialect) if e is not None]
    except (SqlglotError, RecursionError, ValueError):
        return None
    return parsed[0] if len(parsed) == 1 else None


def _tree_problem(tree: Any, tokens: Sequence[Any]) -> str | None:
    from sqlglot import exp

    root = tree
    while isinstance(root, exp.Subquery):
        root = root.this
    if not isinstance(root, exp.Select | exp.SetOperation):
        kind = _keyword(tokens[0]) if isinstance(root, exp.Command) else root.key.upper()
        return f"the query runs {kind}, not a SELECT; {_ONE_QUERY}"
    writes = (exp.Into, exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop)
    for node in tree.walk():
        if isinstance(node, (*writes, exp.Alter, exp.Command, exp.TruncateTable)):
            what = "SELECT … INTO" if isinstance(node, exp.Into) else node.key.upper()
            return f"the query holds {what}, which writes; {_ONE_QUERY}"
    return None


@lru_cache(maxsize=4096)
def canonical(query: str) -> str:
    collapsed = _token_text(query)
    if not collapsed or len(query) > PARSE_LIMIT:
        return collapsed
    try:
        import sqlglot
        from sqlglot.errors import SqlglotError
        from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

        with _quiet():
            parsed = [e for e in sqlglot.parse(query, read=DIALECT) if e is not None]
        printed = [
            normalize_identifiers(e, dialect=DIALECT).sql(dialect=DIALECT, comments=False)
            for e in parsed
        ]
    except (ImportError, SqlglotError, RecursionError, ValueError):
        return collapsed
    return "; ".join(p for p in printed if p) or collapsed


def _token_text(query: str) -> str:
    """The query's tokens as written (string literals whole), one space apart, comments
    dropped; its whitespace-collapsed text if it cannot be tokenized."""
    try:
        tokens = _tokens(query, DIALECT)
    except _Unreadable:
        return " ".join(query.split())
    return " ".join(query[t.start : t.end + 1] for t in tokens)
