"""Synthetic GloboRealty listing files, and putting them into a (local) S3 bucket.

The worked example's file import copies the raw listing metadata that GloboRealty's agents drop
into S3: one folder per month with a CSV of the listings and a JSON file describing their
photos, plus a manifest. The contents come from a seeded ``random.Random``, so the same seed and
listing count give byte-identical files on every machine and tests can compare what an import
landed with what was put.

Run ``python -m reconciler_testing.locals3.generate --port P`` to (re)seed a running local server.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from collections.abc import Mapping
from typing import Any

from reconciler_testing.locals3 import (
    BUCKET,
    DEFAULT_HOST,
    DEFAULT_LISTINGS,
    DEFAULT_PORT,
    DEMO_ACCESS_KEY_ID,
    DEMO_SECRET_ACCESS_KEY,
    PREFIX,
)

MONTHS = ("2026-09", "2026-10", "2026-11")
CITIES = ("Lisbon", "Porto", "Braga", "Coimbra", "Faro", "Aveiro")
ROOMS = ("facade", "living_room", "kitchen", "bedroom", "bathroom", "garden")
LISTING_COLUMNS = ("listing_id", "city", "bedrooms", "square_feet", "list_price", "photo_count")
REGION = "us-east-1"  # any region works for moto; boto3 needs one


def demo_objects(
    listings: int = DEFAULT_LISTINGS, seed: int = 42, prefix: str = PREFIX
) -> dict[str, bytes]:
    """``{key: content}`` of the seeded files: per month ``listings.csv`` and ``photos.json``,
    and ``manifest.json``; listings are spread over the months in turn."""
    rng = random.Random(seed)
    by_month: dict[str, list[dict[str, Any]]] = {month: [] for month in MONTHS}
    for number in range(listings):
        month = MONTHS[number % len(MONTHS)]
        by_month[month].append(_listing(rng, number))
    objects: dict[str, bytes] = {}
    for month, rows in by_month.items():
        objects[f"{prefix}/{month}/listings.csv"] = _csv(rows)
        photos = [photo for row in rows for photo in _photos(rng, row)]
        objects[f"{prefix}/{month}/photos.json"] = _json(photos)
    manifest = {"months": list(MONTHS), "listings": listings, "seed": seed}
    objects[f"{prefix}/manifest.json"] = _json(manifest)
    return objects


def _listing(rng: random.Random, number: int) -> dict[str, Any]:
    bedrooms = rng.randint(1, 5)
    square_feet = rng.randint(450, 700) + bedrooms * rng.randint(250, 400)
    return {
        "listing_id": f"GR-{number:06d}",
        "city": rng.choice(CITIES),
        "bedrooms": bedrooms,
        "square_feet": square_feet,
        "list_price": round(square_feet * rng.uniform(180, 420), -3),
        "photo_count": rng.randint(1, 4),
    }


def _photos(rng: random.Random, listing: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "listing_id": listing["listing_id"],
            "file": f"{listing['listing_id']}-{index}.jpg",
            "room": rng.choice(ROOMS),
            "width": 1600,
            "height": rng.choice((900, 1067, 1200)),
        }
        for index in range(listing["photo_count"])
    ]


def _csv(rows: list[dict[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=LISTING_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def client(
    endpoint: str,
    access_key_id: str = DEMO_ACCESS_KEY_ID,
    secret_access_key: str = DEMO_SECRET_ACCESS_KEY,
) -> Any:
    """A boto3 S3 client for a local (path-style) endpoint such as ``http://127.0.0.1:8766``."""
    import boto3
    from botocore.config import Config

    config = Config(s3={"addressing_style": "path"}, retries={"mode": "standard"})
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )


def bucket_exists(s3: Any, bucket: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return False
        raise
    return True


def put_objects(s3: Any, bucket: str, objects: Mapping[str, bytes]) -> None:
    """Create ``bucket`` if it is missing and put ``objects`` (``{key: content}``) into it."""
    if not bucket_exists(s3, bucket):
        s3.create_bucket(Bucket=bucket)
    for key, content in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=content)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed the local S3 bucket with listing files.")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--bucket", default=BUCKET)
    parser.add_argument("--listings", type=int, default=DEFAULT_LISTINGS)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    objects = demo_objects(args.listings, args.seed)
    put_objects(client(f"http://{args.host}:{args.port}"), args.bucket, objects)
    print(f"put {len(objects)} files under s3://{args.bucket}/{PREFIX}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
