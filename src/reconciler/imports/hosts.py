"""Where a connection sends its credentials, and whether a host pattern allows it. Pure.

A source check logs in to a connection's target with its password, so before it does, the
host (and port) the runner would actually connect to is compared with the hosts the default
branch allows for that connection (platform.yaml's ``gitops.sources``): ``host``, ``*.domain``
(any host inside it), each with an optional ``:port`` (without one, only the default port).
"""

from __future__ import annotations

from reconciler.imports.jdbc import CLOUD_SUFFIX, InvalidJdbcUrl, parse_snowflake_jdbc
from reconciler.imports.s3target import InvalidS3Target, parse_s3_target

AWS_S3 = "s3.amazonaws.com"


class UnknownHost(ValueError):
    """A target whose host cannot be told: never allowed."""


def connection_host(kind: str, target: str) -> tuple[str, int | None]:
    """(host, port) a connection of ``kind`` with ``target`` connects to; port None: the
    protocol's default."""
    try:
        if kind == "snowflake":
            args = parse_snowflake_jdbc(target)
            if "host" in args:
                port = int(args["port"])
                default = 80 if args.get("protocol") == "http" else 443
                return str(args["host"]).lower(), (None if port == default else port)
            return f"{args['account']}{CLOUD_SUFFIX}".lower(), None
        if kind == "s3":
            found = parse_s3_target(target)
            if found.endpoint_url is None:
                return AWS_S3, None
            return _host_port(found.endpoint_url.split("://", 1)[1])
    except (InvalidJdbcUrl, InvalidS3Target) as exc:
        raise UnknownHost(str(exc)) from None
    return _host_port(target.split("://", 1)[-1].split("/", 1)[0].split(";", 1)[0])


def _host_port(netloc: str) -> tuple[str, int | None]:
    host, sep, port = netloc.rpartition(":")
    if sep and port.isdigit():
        return host.lower(), int(port)
    return netloc.lower(), None


def allowed(host: str, port: int | None, patterns: list[str]) -> bool:
    """Whether one of ``patterns`` allows ``host:port``."""
    for pattern in patterns:
        name, sep, wanted = pattern.lower().partition(":")
        if (int(wanted) if sep else None) != port:
            continue
        if name.startswith("*."):
            if host.endswith(name[1:]) and len(host) > len(name) - 1:
                return True
        elif host == name:
            return True
    return False
