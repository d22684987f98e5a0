"""Snowflake JDBC targets become connector arguments; malformed ones say which part is wrong."""

from __future__ import annotations

import pytest

from reconciler.imports.jdbc import InvalidJdbcUrl, parse_snowflake_jdbc

CLOUD = "jdbc:snowflake://acme.snowflakecomputing.com"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"{CLOUD}/?db=GLOBOREALTY&warehouse=WH&role=LOADER&schema=REAL_ESTATE",
            {
                "account": "acme",
                "database": "GLOBOREALTY",
                "warehouse": "WH",
                "role": "LOADER",
                "schema": "REAL_ESTATE",
            },
        ),
        (f"{CLOUD}/?db=GLOBOREALTY", {"account": "acme", "database": "GLOBOREALTY"}),
        (f"{CLOUD}", {"account": "acme"}),
        (f"{CLOUD}/", {"account": "acme"}),
        (
            "jdbc:snowflake://xy12345.east-us-2.azure.snowflakecomputing.com/?warehouse=WH",
            {"account": "xy12345.east-us-2.azure", "warehouse": "WH"},
        ),
        (
            "JDBC:SNOWFLAKE://MyOrg-MyAccount.SnowflakeComputing.com/?DB=X",
            {"account": "myorg-myaccount", "database": "X"},
        ),
        (f"{CLOUD}:8443/?db=X", {"account": "acme", "database": "X", "port": 8443}),
        (
            "jdbc:snowflake://localhost:8765/?db=GLOBOREALTY&warehouse=LOCAL_WH&protocol=http",
            {
                "account": "localsnow",
                "database": "GLOBOREALTY",
                "warehouse": "LOCAL_WH",
                "host": "localhost",
                "port": 8765,
                "protocol": "http",
            },
        ),
        (
            "jdbc:snowflake://127.0.0.1:8765/?db=G&schema=S&protocol=HTTP",
            {
                "account": "localsnow",
                "database": "G",
                "schema": "S",
                "host": "127.0.0.1",
                "port": 8765,
                "protocol": "http",
            },
        ),
        (
            "jdbc:snowflake://snow.internal.example/?db=G",
            {
                "account": "localsnow",
                "database": "G",
                "host": "snow.internal.example",
                "port": 443,
                "protocol": "https",
            },
        ),
        (
            "jdbc:snowflake://snow.internal.example/?account=acme&protocol=http",
            {"account": "acme", "host": "snow.internal.example", "port": 80, "protocol": "http"},
        ),
        (
            f"{CLOUD}/?protocol=http",
            {
                "account": "acme",
                "host": "acme.snowflakecomputing.com",
                "port": 80,
                "protocol": "http",
            },
        ),
    ],
)
def test_valid_targets_become_connect_arguments(url: str, expected: dict[str, object]) -> None:
    assert parse_snowflake_jdbc(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("https://acme.snowflakecomputing.com/?db=X", "must start with 'jdbc:snowflake://'"),
        ("jdbc:postgresql://db.example/x", "must start with 'jdbc:snowflake://'"),
        ("jdbc:snowflake:///?db=X", "has no host"),
        ("jdbc:snowflake://acme.snowflakecomputing.com:abc/?db=X", "port 'abc' is not a number"),
        ("jdbc:snowflake://localhost:99999/?db=X", "port '99999' is not a number"),
        ("jdbc:snowflake://.snowflakecomputing.com/?db=X", "no account name"),
        ("jdbc:snowflake://acme.snowflakecomputing.com/GLOBOREALTY", "unexpected path"),
        ("jdbc:snowflake://acme.snowflakecomputing.com/?db=X#frag", "fragment"),
        ("jdbc:snowflake://acme.snowflakecomputing.com/?db=", "parameter 'db' has no value"),
        ("jdbc:snowflake://acme.snowflakecomputing.com/?db=X&db=Y", "more than once"),
        (
            "jdbc:snowflake://acme.snowflakecomputing.com/?warehous=WH",
            "unknown parameter 'warehous'",
        ),
        ("jdbc:snowflake://acme.snowflakecomputing.com/?protocol=ftp", "protocol 'ftp'"),
        ("jdbc:snowflake://localhost:8765/?db=X&protocol=gopher", "protocol 'gopher'"),
    ],
)
def test_malformed_targets_name_the_wrong_part(url: str, complaint: str) -> None:
    with pytest.raises(InvalidJdbcUrl, match=complaint.replace("(", r"\(")):
        parse_snowflake_jdbc(url)


@pytest.mark.parametrize(
    "url",
    [
        "jdbc:snowflake://acme.snowflakecomputing.com/?db=X&password=Hunter2-secret",
        "jdbc:snowflake://loader:Hunter2-secret@acme.snowflakecomputing.com/?db=X",
    ],
)
def test_a_secret_in_the_target_is_refused_without_repeating_it(url: str) -> None:
    with pytest.raises(InvalidJdbcUrl) as caught:
        parse_snowflake_jdbc(url)
    assert "Hunter2-secret" not in str(caught.value)
    assert "credentials" in str(caught.value) or "do not belong" in str(caught.value)


def test_invalid_target_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_snowflake_jdbc("not a url")
