"""A local stand-in for GloboRealty's S3 bucket of raw listing files.

A ``file_system`` import copies the files under a folder of an S3 bucket into a data asset.
Nobody should need an AWS account to try it or to test the S3 import runner, so this package
starts moto's S3 server (``moto[server]``, from the ``reconciler[local]`` extra) on localhost,
turns on its request signing checks with two demo keys, and fills a bucket with deterministic
listing metadata files.

The constants below are what a desired-state file or a test needs to point at that server.
"""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8766
DEFAULT_STATE_DIR = ".reconcile/s3"
DEFAULT_LISTINGS = 200

BUCKET = "globorealty-raw"
PREFIX = "listings"  # the folder the seeded files sit under

# The keys the local server accepts. Demo values, not secrets: they guard nothing but synthetic
# data, and exist so that "a wrong secret key makes apply fail" can be tested locally. The first
# pair may do anything; the second is a valid login that is allowed nothing (AccessDenied).
DEMO_ACCESS_KEY_ID = "AKIALOCALS3DEMO00001"
DEMO_SECRET_ACCESS_KEY = "locals3-demo-secret"
NO_ACCESS_KEY_ID = "AKIALOCALS3NOACCESS1"
NO_ACCESS_SECRET_ACCESS_KEY = "locals3-no-access-secret"


def s3_target(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, bucket: str = BUCKET) -> str:
    """The connection target of a bucket on the local server: ``http://host:port/<bucket>``."""
    return f"http://{host}:{port}/{bucket}"
