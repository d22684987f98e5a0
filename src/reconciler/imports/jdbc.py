"""Turn a Snowflake JDBC connection target into ``snowflake.connector.connect`` arguments.

Azure ML workspace connections to Snowflake store their target as a JDBC URL
(``jdbc:snowflake://<account>.snowflakecomputing.com/?db=..&warehouse=..&role=..&schema=..``),
so that is what desired-state files carry. The Python connector wants keyword arguments instead.

A second form points at the local fake server used by the demo and the tests, where host, port
and protocol matter: ``jdbc:snowflake://localhost:8765/?db=GLOBOREALTY&protocol=http``.

Errors are `InvalidJdbcUrl` (a ValueError) naming the part that is wrong; they never repeat the
whole URL, which might carry a secret someone pasted into it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

PREFIX = "jdbc:snowflake://"
CLOUD_SUFFIX = ".snowflakecomputing.com"
LOCAL_ACCOUNT = "localsnow"  # the connector needs some account name even when host is given

# URL parameter -> connect() keyword
PARAMETERS = {
    "db": "database",
    "database": "database",
    "schema": "schema",
    "warehouse": "warehouse",
    "role": "role",
    "account": "account",
    "protocol": "protocol",
}
SECRET_PARAMETERS = {"password", "passcode", "token", "private_key", "privatekey"}

ConnectArgs = dict[str, str | int]


class InvalidJdbcUrl(ValueError):
    """A connection target that is not a usable Snowflake JDBC URL."""


def parse_snowflake_jdbc(url: str) -> ConnectArgs:
    """Parse a Snowflake JDBC URL into keyword arguments for ``snowflake.connector.connect``.

    Cloud hosts give ``account`` (the host without ``.snowflakecomputing.com``); any other host,
    or ``protocol=http``, also gives ``host``, ``port`` and ``protocol``.
    """
    if not url.lower().startswith(PREFIX):
        raise InvalidJdbcUrl(f"a Snowflake connection target must start with {PREFIX!r}")
    parts = urlsplit("//" + url[len(PREFIX) :])
    if parts.path not in ("", "/"):
        raise InvalidJdbcUrl(f"unexpected path {parts.path!r}: put settings after '/?'")
    if parts.fragment:
        raise InvalidJdbcUrl("unexpected '#' fragment in the connection target")
    host, port = _host_and_port(parts.netloc)
    args = _query_args(parts.query)
    return _with_address(args, host, port)


def _host_and_port(netloc: str) -> tuple[str, int | None]:
    if "@" in netloc:
        raise InvalidJdbcUrl("user names or passwords do not belong in the connection target")
    host, sep, port_text = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
    if not host:
        raise InvalidJdbcUrl(
            "the connection target has no host (expected <account>.snowflakecomputing.com)"
        )
    if not sep:
        return host.lower(), None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidJdbcUrl(f"port {port_text!r} is not a number between 1 and 65535")
    return host.lower(), int(port_text)


def _query_args(query: str) -> ConnectArgs:
    args: ConnectArgs = {}
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        name = key.strip().lower()
        if name in SECRET_PARAMETERS:
            raise InvalidJdbcUrl(
                f"parameter {name!r} must not be in the connection target; use the credentials"
            )
        if name not in PARAMETERS:
            known = ", ".join(sorted(PARAMETERS))
            raise InvalidJdbcUrl(f"unknown parameter {name!r} (known: {known})")
        keyword = PARAMETERS[name]
        if not value.strip():
            raise InvalidJdbcUrl(f"parameter {name!r} has no value")
        if keyword in args:
            raise InvalidJdbcUrl(f"parameter {name!r} is given more than once")
        args[keyword] = value.strip()
    protocol = str(args.get("protocol", "https")).lower()
    if protocol not in ("http", "https"):
        raise InvalidJdbcUrl(f"protocol {protocol!r} must be 'http' or 'https'")
    if "protocol" in args:
        args["protocol"] = protocol
    return args


def _with_address(args: ConnectArgs, host: str, port: int | None) -> ConnectArgs:
    cloud = host.endswith(CLOUD_SUFFIX)
    if cloud:
        account = host[: -len(CLOUD_SUFFIX)]
        if not account:
            raise InvalidJdbcUrl(f"the host has no account name before {CLOUD_SUFFIX!r}")
        args.setdefault("account", account)
    if not cloud or args.get("protocol") == "http":
        args.setdefault("account", LOCAL_ACCOUNT)
        args["host"] = host
        args.setdefault("protocol", "https")
        args["port"] = port if port is not None else (80 if args["protocol"] == "http" else 443)
    elif port is not None:
        args["port"] = port
    return args
