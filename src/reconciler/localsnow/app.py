"""The local Snowflake server's HTTP app: fakesnow plus the two things it lacks for our use.

fakesnow speaks Snowflake's wire protocol, but (in 0.12) it accepts any password and returns
every result as one inline Arrow payload. We need both to behave like Snowflake:

* **Login checks.** The product's acceptance test requires that a wrong Snowflake password makes
  ``apply`` fail. The login route here compares the user and password against the configured
  demo credentials before handing the request to fakesnow, and answers a mismatch the way
  Snowflake does (code 390100, "Incorrect username or password was specified.").
* **Chunked results.** Snowflake returns large results as a small inline first chunk plus
  chunk URLs that the connector downloads as it iterates. Without that, a client holds the
  whole result (base64, JSON and Arrow copies) in memory at once, so the import runner's memory
  would grow with the table. Large inline results are therefore re-cut into chunks served from
  ``/localsnow/chunks/...``, which the connector fetches through ``fetch_arrow_batches``.

Everything else is fakesnow's own routes and handlers, with one shared DuckDB instance that
persists its databases under ``data_dir``.
"""

from __future__ import annotations

import base64
import gzip
import hmac
import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import fakesnow.server as fs_server
import pyarrow as pa
from fakesnow.instance import FakeSnow
from fakesnow.transforms import stage
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CHUNK_ROWS = 50_000
SMALL_RESPONSE_BYTES = 100_000  # never worth splitting
CHUNK_TTL_SECONDS = 600
HEALTH_PATH = "/localsnow/health"
BAD_LOGIN_CODE = "390100"
BAD_LOGIN_MESSAGE = "Incorrect username or password was specified."


class ChunkStore:
    """Result chunks waiting to be downloaded; each is served once, stale ones expire."""

    def __init__(self) -> None:
        self._chunks: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes) -> str:
        key = secrets.token_urlsafe(16)
        now = time.monotonic()
        with self._lock:
            expired = [k for k, (born, _) in self._chunks.items() if now - born > CHUNK_TTL_SECONDS]
            for k in expired:
                del self._chunks[k]
            self._chunks[key] = (now, data)
        return key

    def pop(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._chunks.pop(key, None)
        return entry[1] if entry else None


def use_persistent_storage(data_dir: Path, bucket_dir: Path) -> None:
    """Make every session share one DuckDB whose databases live in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    bucket_dir.mkdir(parents=True, exist_ok=True)
    stage.LOCAL_BUCKET_PATH = str(bucket_dir)
    instance = FakeSnow(db_path=data_dir)
    for db_file in sorted(data_dir.glob("*.db")):
        # connecting with a database attaches its file, so existing tables are visible at once
        instance.connect(database=db_file.stem).close()
    fs_server.shared_fs = instance


def checkpoint_storage() -> None:
    """Flush DuckDB's write-ahead logs into the database files before exiting."""
    duck = fs_server.shared_fs.duck_conn
    files = duck.execute(
        "SELECT database_name FROM duckdb_databases() WHERE path IS NOT NULL AND NOT internal"
    ).fetchall()
    for (name,) in files:
        duck.execute(f'CHECKPOINT "{name}"')


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if request.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    parsed = json.loads(body)
    return parsed if isinstance(parsed, dict) else {}


def _login_matches(body: dict[str, Any], username: str, password: str) -> bool:
    data = body.get("data") or {}
    given_user = str(data.get("LOGIN_NAME") or "")
    given_password = str(data.get("PASSWORD") or "")
    user_ok = given_user.upper() == username.upper()  # Snowflake user names ignore case
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return user_ok and password_ok


def _bad_login() -> JSONResponse:
    return JSONResponse(
        {
            "data": {"nextAction": "RETRY_LOGIN", "authnMethod": "USERNAME_PASSWORD"},
            "code": BAD_LOGIN_CODE,
            "message": BAD_LOGIN_MESSAGE,
            "success": False,
        }
    )


def _split_result(
    payload: dict[str, Any], store: ChunkStore, base_url: str, chunk_rows: int
) -> dict[str, Any]:
    """Move all but the first ``chunk_rows`` rows of an inline Arrow result into remote chunks."""
    data = payload.get("data") or {}
    encoded = data.get("rowsetBase64")
    if (
        data.get("queryResultFormat") != "arrow"
        or not encoded
        or data.get("total", 0) <= chunk_rows
    ):
        return payload
    table = pa.ipc.open_stream(base64.b64decode(encoded)).read_all()
    first, *rest = [
        table.slice(start, chunk_rows) for start in range(0, table.num_rows, chunk_rows)
    ]
    data["rowsetBase64"] = base64.b64encode(_ipc(first)).decode("ascii")
    data["chunks"] = [_chunk_entry(part, store, base_url) for part in rest]
    return payload


def _ipc(table: Any) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _chunk_entry(part: Any, store: ChunkStore, base_url: str) -> dict[str, Any]:
    data = _ipc(part)
    key = store.put(data)
    return {
        "url": f"{base_url}/localsnow/chunks/{key}",
        "rowCount": part.num_rows,
        "uncompressedSize": len(data),
        "compressedSize": len(data),
    }


def build_app(username: str, password: str, chunk_rows: int = CHUNK_ROWS) -> Starlette:
    """fakesnow's routes, with checked logins and chunked query results."""
    store = ChunkStore()

    async def login(request: Request) -> Response:
        if not _login_matches(await _json_body(request), username, password):
            return _bad_login()
        return await fs_server.login_request(request)  # the body is cached on the request

    async def query(request: Request) -> Response:
        response = await fs_server.query_request(request)
        if response.status_code != 200 or len(response.body) < SMALL_RESPONSE_BYTES:
            return response
        base_url = f"{request.url.scheme}://{request.url.netloc}"
        payload = await run_in_threadpool(json.loads, bytes(response.body))
        payload = await run_in_threadpool(_split_result, payload, store, base_url, chunk_rows)
        return JSONResponse(payload)

    async def chunk(request: Request) -> Response:
        data = store.pop(request.path_params["key"])
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="application/octet-stream")

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True})

    overridden = {"/session/v1/login-request", "/queries/v1/query-request"}
    routes = [
        Route("/session/v1/login-request", login, methods=["POST"]),
        Route("/queries/v1/query-request", query, methods=["POST"]),
        Route("/localsnow/chunks/{key}", chunk, methods=["GET"]),
        Route(HEALTH_PATH, health, methods=["GET"]),
        *(r for r in fs_server.routes if getattr(r, "path", None) not in overridden),
    ]
    return Starlette(routes=routes)
