"""The local Snowflake server's HTTP app: fakesnow plus what it lacks for our use.

fakesnow speaks Snowflake's wire protocol, but (in 0.12) it accepts any password, returns every
result as one inline Arrow payload, and keeps every result it ever produced. We need it to behave
like Snowflake, and to run all day:

* **Login checks.** The product's acceptance test requires that a wrong Snowflake password makes
  ``apply`` fail. The login route here compares the user and password against the configured
  demo credentials before handing the request to fakesnow, and answers a mismatch the way
  Snowflake does (code 390100, "Incorrect username or password was specified.").
* **Chunked results.** Snowflake returns large results as a small inline first chunk plus
  chunk URLs that the connector downloads as it iterates (and again if a download fails). Without
  that, a client holds the whole result in memory at once, so the import runner's memory would
  grow with the table. fakesnow builds the inline payload with ``fakesnow.server.to_ipc``; while
  a query request is answered here, that function serialises only the first ``chunk_rows`` rows
  and hands the rest over, as zero-copy slices, to a `ChunkStore` served from
  ``/localsnow/chunks/...``. No copy of the whole result is ever encoded (fakesnow's base64 and
  JSON of a 1M-row result used to take the server's peak past 2 GB).
* **Bounded memory.** Chunks are kept until the session logs out, goes idle, or newer results
  need the room; fakesnow's results cache keeps only recent small results
  (`reconciler_testing.localsnow.results` says why and how much). A login answer carries a
  master token, which fakesnow leaves out and without which the connector never logs out.

Everything else is fakesnow's own routes and handlers, with one shared DuckDB instance that
persists its databases under ``data_dir``.
"""

from __future__ import annotations

import contextlib
import contextvars
import gzip
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fakesnow.server as fs_server
import pyarrow as pa
from fakesnow.arrow import to_ipc as fakesnow_to_ipc
from fakesnow.instance import FakeSnow
from fakesnow.transforms import stage
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler_testing.localsnow.results import BoundedResults, ChunkStore

CHUNK_ROWS = 50_000
HEALTH_PATH = "/localsnow/health"
CHUNKS_PATH = "/localsnow/chunks"
BAD_LOGIN_CODE = "390100"
BAD_LOGIN_MESSAGE = "Incorrect username or password was specified."


@dataclass
class _Cut:
    """Where the query being answered is cut: rows past ``rows`` become remote chunks."""

    rows: int
    rest: pa.Table | None = None


_CUT: contextvars.ContextVar[_Cut | None] = contextvars.ContextVar("localsnow_cut", default=None)


def _first_chunk_to_ipc(table: pa.Table) -> pa.Buffer:
    """fakesnow's ``to_ipc`` for the inline rowset: within a cut, only the first rows."""
    cut = _CUT.get()
    if cut is None or table.num_rows <= cut.rows:
        return fakesnow_to_ipc(table)
    cut.rest = table.slice(cut.rows)
    return fakesnow_to_ipc(table.slice(0, cut.rows))


def use_persistent_storage(data_dir: Path, bucket_dir: Path) -> None:
    """Make every session share one DuckDB whose databases live in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    bucket_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # fakesnow makes an empty one at import, never removed
        Path(stage.LOCAL_BUCKET_PATH).rmdir()
    stage.LOCAL_BUCKET_PATH = str(bucket_dir)
    instance = FakeSnow(db_path=data_dir)
    instance.results_cache = BoundedResults()  # before any connection takes a reference to it
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


def _with_master_token(response: Response) -> Response:
    """Add the master token fakesnow leaves out of a login answer.

    The connector logs out (``connection.close()`` -> ``POST /session?delete=true``) only when the
    login gave it a master token; without one it skips the logout, and the server never learns
    that the session's results are done with. Nothing checks the master token here (sessions do
    not expire, so it is never used to renew one).
    """
    payload = json.loads(bytes(response.body))
    if response.status_code != 200 or not payload.get("success"):
        return response
    payload["data"]["masterToken"] = secrets.token_urlsafe(32)
    return JSONResponse(payload)


def _session_token(request: Request) -> str | None:
    try:
        return fs_server.to_token(request)
    except fs_server.ServerError:
        return None


def _with_chunks(
    payload: dict[str, Any], parts: list[pa.Table], result_id: str, base_url: str
) -> dict[str, Any]:
    payload["data"]["chunks"] = [
        {
            "url": f"{base_url}{CHUNKS_PATH}/{result_id}/{index}",
            "rowCount": part.num_rows,
            "uncompressedSize": part.nbytes,
            "compressedSize": part.nbytes,
        }
        for index, part in enumerate(parts)
    ]
    return payload


def _ipc(table: pa.Table) -> bytes:
    return bytes(fakesnow_to_ipc(table).to_pybytes())


def build_app(username: str, password: str, chunk_rows: int = CHUNK_ROWS) -> Starlette:
    """fakesnow's routes, with checked logins and chunked query results."""
    chunks = ChunkStore()
    # fakesnow's query handler calls the name `to_ipc` of its module: ours only cuts inside
    # `query` below (see the module docstring); elsewhere it is fakesnow's own
    fs_server.to_ipc = _first_chunk_to_ipc  # type: ignore[attr-defined]

    async def login(request: Request) -> Response:
        if not _login_matches(await _json_body(request), username, password):
            return _bad_login()
        response = await fs_server.login_request(request)  # the body is cached on the request
        return _with_master_token(response)

    async def query(request: Request) -> Response:
        cut = _Cut(chunk_rows)
        token = _CUT.set(cut)
        try:
            response = await fs_server.query_request(request)
        finally:
            _CUT.reset(token)
        if cut.rest is None or response.status_code != 200:
            return response
        rest = cut.rest
        parts = [rest.slice(start, chunk_rows) for start in range(0, rest.num_rows, chunk_rows)]
        result_id = chunks.put(_session_token(request), parts)
        payload = await run_in_threadpool(json.loads, bytes(response.body))  # one chunk inline
        base_url = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse(_with_chunks(payload, parts, result_id, base_url))

    async def chunk(request: Request) -> Response:
        part = chunks.get(request.path_params["result"], request.path_params["index"])
        if part is None:
            return Response(status_code=404)
        data = await run_in_threadpool(_ipc, part)
        return Response(data, media_type="application/octet-stream")

    async def session(request: Request) -> Response:
        token = _session_token(request)
        response = await fs_server.session(request)
        if token and request.query_params.get("delete") and response.status_code == 200:
            chunks.release_session(token)  # logged out: its results are done with
        return response

    async def health(_: Request) -> Response:
        # what the server holds for its clients: logged-in sessions, undownloaded chunks
        held = {"sessions": len(fs_server.sessions), "chunks": chunks.stats()}
        return JSONResponse({"ok": True, **held})

    overridden = {"/session/v1/login-request", "/queries/v1/query-request", "/session"}
    routes = [
        Route("/session/v1/login-request", login, methods=["POST"]),
        Route("/queries/v1/query-request", query, methods=["POST"]),
        Route("/session", session, methods=["POST"]),
        Route(CHUNKS_PATH + "/{result}/{index:int}", chunk, methods=["GET"]),
        Route(HEALTH_PATH, health, methods=["GET"]),
        *(r for r in fs_server.routes if getattr(r, "path", None) not in overridden),
    ]
    return Starlette(routes=routes)
