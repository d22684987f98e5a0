"""Turn an S3 connection target into a bucket, an endpoint and a region.

Azure ML stores an S3 connection's target as a URL naming the bucket
(``https://<bucket>.s3.<region>.amazonaws.com``; its documentation also shows the short
``https://<bucket>.amazonaws.com``), so that is what desired-state files carry. The forms read:

* ``s3://<bucket>`` - AWS, the bucket's region found by the SDK;
* ``https://<bucket>.s3.amazonaws.com``, ``https://<bucket>.s3.<region>.amazonaws.com`` (also
  ``s3-<region>`` and ``s3.dualstack.<region>``), ``https://<bucket>.amazonaws.com`` - AWS,
  virtual-hosted style;
* ``https://s3.<region>.amazonaws.com/<bucket>`` - AWS, path style;
* any other ``http(s)://<host>[:<port>]/<bucket>`` - an S3-compatible server at that endpoint
  (the local moto server, MinIO, Ceph...), addressed path style, region ``us-east-1``.

Every form may go on with a folder inside the bucket (``s3://<bucket>/raw``); an import's
source path is then read relative to it. Errors are `InvalidS3Target` (a ValueError) naming the
part that is wrong; they never repeat a URL that carries credentials.

This module is pure (no boto3), so validation and tests can use it cheaply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler.core.names import unsafe_path_reason

CUSTOM_REGION = "us-east-1"  # what S3-compatible servers expect unless configured otherwise
_REGION = r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)"
_VIRTUAL_HOSTED = re.compile(
    rf"^(?P<bucket>.+?)\.s3(?:[.-](?:dualstack\.)?{_REGION})?\.amazonaws\.com(?:\.cn)?$"
)
_PATH_STYLE = re.compile(rf"^s3(?:[.-](?:dualstack\.)?{_REGION})?\.amazonaws\.com(?:\.cn)?$")
_SHORT = re.compile(r"^(?!s3[.-])(?P<bucket>[a-z0-9][a-z0-9-]*)\.amazonaws\.com$")
_AWS_HOST = re.compile(r"(^|\.)amazonaws\.com(\.cn)?$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
FORMS = (
    "s3://<bucket>, https://<bucket>.s3.<region>.amazonaws.com, or "
    "http(s)://<host>:<port>/<bucket> for an S3-compatible server"
)


class InvalidS3Target(ValueError):
    """A connection target that does not name an S3 bucket."""


@dataclass(frozen=True)
class S3Target:
    bucket: str
    endpoint_url: str | None = None  # None: AWS itself (the SDK picks the endpoint)
    region: str | None = None  # None: the SDK's default, following redirects to the bucket
    prefix: str = ""  # the folder inside the bucket the target points at; "" for its root

    @property
    def custom_endpoint(self) -> bool:
        return self.endpoint_url is not None

    def url(self, key_prefix: str = "") -> str:
        """Where ``key_prefix`` is, for messages: ``s3://b/p`` on AWS, ``http://h:p/b/p``
        on an S3-compatible server."""
        base = f"{self.endpoint_url}/{self.bucket}" if self.endpoint_url else f"s3://{self.bucket}"
        return f"{base}/{key_prefix}" if key_prefix else base


def parse_s3_target(target: str) -> S3Target:
    """The bucket, endpoint, region and folder an S3 connection target names."""
    text = target.strip()
    if "://" not in text:
        raise InvalidS3Target(f"an S3 target is a URL: {FORMS}")
    parts = urlsplit(text)
    if "@" in parts.netloc:
        raise InvalidS3Target(
            "the target must not carry credentials; put them under the connection's credentials"
        )
    if parts.query or parts.fragment:
        raise InvalidS3Target("the target takes no query string or fragment")
    scheme = parts.scheme.lower()
    if scheme == "s3":
        return _target(parts.netloc, parts.path)
    if scheme not in ("http", "https"):
        raise InvalidS3Target(f"unsupported scheme {scheme!r}: {FORMS}")
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidS3Target(f"the target has no host: {FORMS}")
    if _AWS_HOST.search(host):
        return _aws(host, parts.path)
    bucket, _, prefix = parts.path.strip("/").partition("/")
    if not bucket:
        raise InvalidS3Target(
            f"name the bucket after the server: {scheme}://{parts.netloc}/<bucket>"
        )
    return _target(bucket, prefix, endpoint_url=f"{scheme}://{parts.netloc}", region=CUSTOM_REGION)


def _aws(host: str, path: str) -> S3Target:
    for pattern in (_VIRTUAL_HOSTED, _SHORT):
        match = pattern.match(host)
        if match:
            return _target(match["bucket"], path, region=match.groupdict().get("region"))
    match = _PATH_STYLE.match(host)
    if match:
        bucket, _, prefix = path.strip("/").partition("/")
        if not bucket:
            raise InvalidS3Target(f"name the bucket in the path: https://{host}/<bucket>")
        return _target(bucket, prefix, region=match["region"])
    raise InvalidS3Target(f"{host!r} is not an S3 bucket host: {FORMS}")


def _target(
    bucket: str, prefix: str, *, endpoint_url: str | None = None, region: str | None = None
) -> S3Target:
    if not BUCKET_NAME.match(bucket) or ".." in bucket:
        raise InvalidS3Target(
            f"{bucket!r} is not a valid bucket name (3-63 lowercase letters, digits, '.' and "
            "'-', starting and ending with a letter or digit)"
        )
    folder = prefix.strip("/")
    reason = unsafe_path_reason(folder) if folder else None
    if reason:
        raise InvalidS3Target(f"the folder after the bucket is not usable: {reason}")
    return S3Target(bucket, endpoint_url, region, folder)
