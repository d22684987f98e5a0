"""S3 connection targets: AWS forms stay AWS, anything else is an S3-compatible endpoint."""

from __future__ import annotations

import pytest

from reconciler.imports.s3target import InvalidS3Target, S3Target, parse_s3_target


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("s3://globorealty-raw", S3Target("globorealty-raw")),
        ("s3://globorealty-raw/", S3Target("globorealty-raw")),
        ("s3://globorealty-raw/raw/2026", S3Target("globorealty-raw", prefix="raw/2026")),
        ("https://globorealty-raw.s3.amazonaws.com", S3Target("globorealty-raw")),
        (
            "https://globorealty-raw.s3.eu-west-1.amazonaws.com",
            S3Target("globorealty-raw", region="eu-west-1"),
        ),
        (
            "https://globorealty-raw.s3-us-west-2.amazonaws.com/",
            S3Target("globorealty-raw", region="us-west-2"),
        ),
        (
            "https://globorealty-raw.s3.dualstack.ap-southeast-2.amazonaws.com",
            S3Target("globorealty-raw", region="ap-southeast-2"),
        ),
        (
            "https://my.dotted.bucket.s3.us-gov-west-1.amazonaws.com",
            S3Target("my.dotted.bucket", region="us-gov-west-1"),
        ),
        ("https://globorealty-raw.amazonaws.com", S3Target("globorealty-raw")),  # Azure ML docs
        (
            "https://GLOBOREALTY-RAW.S3.EU-WEST-1.AMAZONAWS.COM/Raw",
            S3Target("globorealty-raw", region="eu-west-1", prefix="Raw"),
        ),
        (
            "https://s3.eu-central-1.amazonaws.com/globorealty-raw/raw",
            S3Target("globorealty-raw", region="eu-central-1", prefix="raw"),
        ),
        ("https://s3.amazonaws.com/globorealty-raw", S3Target("globorealty-raw")),
        (
            "https://globorealty-raw.s3.cn-north-1.amazonaws.com.cn",
            S3Target("globorealty-raw", region="cn-north-1"),
        ),
        (
            "http://127.0.0.1:8766/globorealty-raw",
            S3Target("globorealty-raw", "http://127.0.0.1:8766", "us-east-1"),
        ),
        (
            "https://minio.example.com:9000/globorealty-raw/raw/",
            S3Target("globorealty-raw", "https://minio.example.com:9000", "us-east-1", "raw"),
        ),
        (
            "  http://localhost:9000/bucket  ",
            S3Target("bucket", "http://localhost:9000", "us-east-1"),
        ),
    ],
)
def test_targets_name_bucket_endpoint_region_and_folder(target: str, expected: S3Target) -> None:
    assert parse_s3_target(target) == expected


def test_only_custom_endpoints_are_custom() -> None:
    assert parse_s3_target("http://127.0.0.1:8766/b-1").custom_endpoint
    assert not parse_s3_target("https://b-1.s3.eu-west-1.amazonaws.com").custom_endpoint


def test_urls_in_messages_say_where_a_folder_is() -> None:
    assert parse_s3_target("s3://b-1").url("listings/") == "s3://b-1/listings/"
    assert parse_s3_target("http://127.0.0.1:9/b-1").url() == "http://127.0.0.1:9/b-1"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("globorealty-raw", "an S3 target is a URL"),
        ("dummy", "an S3 target is a URL"),  # what azure-ai-ml's own tests write
        ("ftp://host/bucket", "unsupported scheme 'ftp'"),
        ("http://127.0.0.1:8766", "name the bucket after the server"),
        ("http://127.0.0.1:8766/", "name the bucket after the server"),
        ("https://s3.eu-west-1.amazonaws.com/", "name the bucket in the path"),
        ("https://bucket.s3-accelerate.amazonaws.com", "is not an S3 bucket host"),
        ("s3://Upper_Case", "'Upper_Case' is not a valid bucket name"),
        ("s3://ab", "is not a valid bucket name"),
        ("s3://a..b", "is not a valid bucket name"),
        ("s3://bucket/../other", "'.' and '..' segments are not allowed"),
        ("http://127.0.0.1:8766/bucket?region=eu", "no query string"),
    ],
)
def test_unusable_targets_say_what_is_wrong(target: str, message: str) -> None:
    with pytest.raises(InvalidS3Target, match=message.replace("?", r"\?")):
        parse_s3_target(target)


def test_credentials_in_a_target_are_refused_without_echoing_them() -> None:
    with pytest.raises(InvalidS3Target) as caught:
        parse_s3_target("http://AKIAX:s3cr3t-value@127.0.0.1:8766/bucket")

    assert "must not carry credentials" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value)
