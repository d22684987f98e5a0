"""Where a connection sends its password, and whether the default branch allows it: the check
a pull request's source check makes before any credential leaves the runner."""

from __future__ import annotations

import pytest

from reconciler.imports.hosts import UnknownHost, allowed, connection_host

SNOWFLAKE = "*.snowflakecomputing.com"


@pytest.mark.parametrize(
    ("kind", "target", "host"),
    [
        (
            "snowflake",
            "jdbc:snowflake://acme.snowflakecomputing.com/?db=X",
            ("acme.snowflakecomputing.com", None),
        ),
        ("snowflake", "jdbc:snowflake://127.0.0.1:8765/?db=X&protocol=http", ("127.0.0.1", 8765)),
        ("snowflake", "jdbc:snowflake://Evil.example:443/?db=X", ("evil.example", None)),
        ("s3", "s3://bucket/raw", ("s3.amazonaws.com", None)),
        ("s3", "http://127.0.0.1:8766/bucket", ("127.0.0.1", 8766)),
        ("azure_sql_db", "sales.database.windows.net", ("sales.database.windows.net", None)),
    ],
)
def test_the_host_a_target_connects_to(
    kind: str, target: str, host: tuple[str, int | None]
) -> None:
    assert connection_host(kind, target) == host


def test_patterns_allow_a_domain_s_hosts_and_exact_ports_only() -> None:
    assert allowed("acme.snowflakecomputing.com", None, [SNOWFLAKE])
    assert not allowed("snowflakecomputing.com.evil.example", None, [SNOWFLAKE])
    assert not allowed("snowflakecomputing.com", None, [SNOWFLAKE])  # a host inside it only
    assert not allowed("acme.snowflakecomputing.com", 8443, [SNOWFLAKE])  # default port only
    assert allowed("127.0.0.1", 8765, ["127.0.0.1:8765"])
    assert not allowed("127.0.0.1", 8766, ["127.0.0.1:8765"])  # another port: another server
    assert not allowed("127.0.0.1", None, ["127.0.0.1:8765"])


def test_a_target_whose_host_cannot_be_told_is_never_allowed() -> None:
    with pytest.raises(UnknownHost):
        connection_host("snowflake", "http://not-jdbc")
