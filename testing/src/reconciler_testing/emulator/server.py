"""The Azure ML emulator: an HTTPS server on the embedded workspace, started from Python.

`Emulator` owns a `LocalWorkspace` (so its state is exactly what the local provider reads), a
threaded stdlib HTTP server (TLS with a fresh self-signed certificate by default) and the
knobs tests need: page size, schedule LRO style, injected latency and faults. ``env()`` gives
the variables that point azure-ai-ml at it. Admin routes under ``/_emulator/`` (``health``,
``stats``) are never delayed or faulted.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from reconciler.imports.base import ImportRunner
from reconciler.providers.azureml.lock import URL_VARIABLE
from reconciler.providers.local.provider import LocalWorkspace
from reconciler_testing.emulator import identity
from reconciler_testing.emulator.authorization import Authorization
from reconciler_testing.emulator.blobs import BlobResponse, BlobService, default_account
from reconciler_testing.emulator.faults import DROP, LOST, FaultInjector, Stats, fault_response
from reconciler_testing.emulator.handlers import Handlers
from reconciler_testing.emulator.jobs import ImportJobs
from reconciler_testing.emulator.mapping import Scope
from reconciler_testing.emulator.protocol import Request, Response
from reconciler_testing.emulator.routes import Router
from reconciler_testing.emulator.settings import FAULT_KINDS, LroMode, Settings
from reconciler_testing.emulator.tls import CertFiles, make_certificate

log = logging.getLogger(__name__)
ADMIN = "/_emulator/"
STATE_FOLDER = "emulator"  # under the workspace folder: certificate, key, CA bundle
IDLE_TIMEOUT = 120.0  # seconds an idle keep-alive connection is kept


class Emulator:
    """One emulated Azure ML workspace over HTTP(S). Use as a context manager or start/stop."""

    def __init__(
        self,
        root: Path,
        *,
        subscription_id: str = Settings.subscription_id,
        resource_group: str = Settings.resource_group,
        workspace_name: str = Settings.workspace_name,
        location: str = Settings.location,
        host: str = Settings.host,
        port: int = 0,
        tls: bool = True,
        page_size: int = Settings.page_size,
        latency_ms: float = 0.0,
        fault_rate: float = 0.0,
        faults: tuple[str, ...] = FAULT_KINDS,
        seed: int = 0,
        lro: LroMode = Settings.lro,
        lro_polls: int = Settings.lro_polls,
        lro_retry_after: float = Settings.lro_retry_after,
        runner_factory: Callable[[], ImportRunner] | None = None,
    ) -> None:
        self.root = Path(root).absolute()  # the printed CA bundle works from any folder
        self.settings = Settings(
            subscription_id=subscription_id,
            resource_group=resource_group,
            workspace_name=workspace_name,
            location=location,
            host=host,
            port=port,
            tls=tls,
            page_size=page_size,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            faults=tuple(faults),
            seed=seed,
            lro=lro,
            lro_polls=lro_polls,
            lro_retry_after=lro_retry_after,
        )
        workspace_key = f"{subscription_id}/{resource_group}/{workspace_name}".lower()
        self.scope = Scope(
            subscription_id,
            resource_group,
            workspace_name,
            str(uuid.uuid5(uuid.NAMESPACE_URL, workspace_key)),
            location,
        )
        self._runner_factory = runner_factory
        self._faults = FaultInjector(fault_rate, tuple(faults), seed)
        self._latency_ms = latency_ms
        self._stats = Stats()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._certs: CertFiles | None = None
        self.workspace: LocalWorkspace | None = None
        self.jobs: ImportJobs | None = None
        self.authorization = Authorization()  # Microsoft.Authorization: roles, assignments
        self.blobs: BlobService | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        if self._runner_factory is not None:
            self.workspace = LocalWorkspace(
                self.root, label="emulator", runner_factory=self._runner_factory
            )
        else:
            self.workspace = LocalWorkspace(self.root, label="emulator")
        self.jobs = ImportJobs(self.workspace, self.scope)
        self.blobs = BlobService(default_account(self.workspace))
        router = Router(
            Handlers(self.workspace, self.scope, self.settings, self.jobs), self.authorization
        )
        try:
            self._server = _Server(
                (self.settings.host, self.settings.port), self, router, self._tls_context()
            )
        except Exception:
            self.stop()
            raise
        serve = functools.partial(self._server.serve_forever, poll_interval=0.1)
        self._thread = threading.Thread(target=serve, name="aml-emulator", daemon=True)
        self._thread.start()
        return self

    def _tls_context(self) -> ssl.SSLContext | None:
        if not self.settings.tls:
            return None
        self._certs = make_certificate(self.root / STATE_FOLDER)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._certs.cert, self._certs.key)
        return context

    def stop(self, job_timeout: float = 60.0) -> None:
        """Stop serving, close open connections, wait for running imports, close the store."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self.jobs is not None:
            self.jobs.wait(job_timeout)
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what clients need -------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:PORT`` (no trailing slash), what AZUREML_DEV_URL_MFE takes."""
        scheme = "https" if self.settings.tls else "http"
        host = self.settings.host
        if host in ("", "0.0.0.0", "::"):  # listening everywhere: reachable on loopback
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def workspace_url(self) -> str:
        return self.base_url + self.scope.workspace_path

    @property
    def cert_path(self) -> Path | None:
        return self._certs.cert if self._certs else None

    @property
    def ca_bundle(self) -> Path | None:
        """The CA bundle to trust (this emulator's certificate plus certifi's roots)."""
        return self._certs.bundle if self._certs else None

    def env(self) -> dict[str, str]:
        """Environment variables that point azure-ai-ml at the emulator (set before building
        MLClient), and azure-identity's ``DefaultAzureCredential`` at its token endpoint
        (`identity`), so unchanged code, reconcile included, signs in to it."""
        env = {"AZUREML_DEV_URL_MFE": self.base_url}
        if self.settings.tls:  # azure-identity signs in over HTTPS only
            env.update(identity.variables(self.base_url))
            if self.blobs is not None:  # the apply lock's storage (bearer tokens: HTTPS only)
                env[URL_VARIABLE] = f"{self.base_url}/{self.blobs.account}"
        if self.ca_bundle is not None:
            env["REQUESTS_CA_BUNDLE"] = str(self.ca_bundle)
        return env

    def stats(self) -> dict[str, Any]:
        return self._stats.snapshot()

    def arrived(self) -> None:
        self._stats.arrived()

    def reset_stats(self) -> None:
        self._stats.reset()

    def set_faults(
        self,
        rate: float,
        kinds: tuple[str, ...] | None = None,
        seed: int | None = None,
        *,
        routes: tuple[str, ...] | None = None,
        limit: int | None = None,
    ) -> None:
        """Change fault injection while running (the seed restarts the fault sequence);
        ``routes`` limits it to some route labels (as in ``stats()``), ``limit`` to a number of
        faults."""
        kinds = tuple(kinds) if kinds is not None else self._faults.kinds
        Settings(fault_rate=rate, faults=kinds)  # validates
        seed = self.settings.seed if seed is None else seed
        self._faults.configure(rate, kinds, seed, routes, limit)

    def set_authorization(self, roles: dict[str, Any]) -> None:
        """Roles and assignments ``Microsoft.Authorization`` answers from (`authorization`)."""
        self.authorization.configure(roles)

    def set_latency(self, latency_ms: float) -> None:
        self._latency_ms = latency_ms

    def wait_for_jobs(self, timeout: float | None = None) -> bool:
        """Wait until no import job is running; True if all finished."""
        return self.jobs.wait(timeout) if self.jobs is not None else True

    # --- request handling (called from server threads) ---------------------------------------

    def handle(self, req: Request, router: Router) -> Response | None:
        """The response to send, or None to drop the connection."""
        if req.path.startswith(ADMIN):
            return self._admin(req)
        started = time.monotonic()
        fault = self._faults.draw(router.label(req))
        if fault is not None and fault != LOST:
            self._answer_after(started)
            label = f"{req.method} (fault)"
            span = (started, time.monotonic())
            self._stats.record(label, None if fault == DROP else int(fault), fault, span)
            return None if fault == DROP else fault_response(fault)
        label, response = router.dispatch(req)
        self._answer_after(started)
        span = (started, time.monotonic())
        if fault == LOST:  # done, but the client never hears of it
            self._stats.record(label, None, fault, span)
            return None
        self._stats.record(label, response.status, None, span)
        return response

    def _answer_after(self, arrived: float) -> None:
        """Answer no sooner than the latency after the request arrived, as a remote service
        whose round trip takes that long (its own work included; this double's work is not
        the service's, and is not added on top)."""
        if self._latency_ms <= 0:
            return
        left = self._latency_ms / 1000.0 - (time.monotonic() - arrived)
        if left > 0:
            time.sleep(left)
        self._stats.delayed(time.monotonic() - arrived)

    def _admin(self, req: Request) -> Response:
        what = req.path.removeprefix(ADMIN)
        if what == "health":
            return Response(200, {"status": "ok", "workspace": self.scope.workspace_path})
        if what == "stats" and req.method == "GET":
            return Response(200, self.stats())
        if what == "stats" and req.method == "DELETE":
            self.reset_stats()
            return Response(204, empty=True)
        if what == "authorization" and req.method == "PUT":
            return self.authorization.configure(req.body)
        return Response(404, {"error": {"code": "NotFound", "message": f"no admin route {what}"}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        emulator: Emulator,
        router: Router,
        context: ssl.SSLContext | None,
    ) -> None:
        self.emulator = emulator
        self.router = router
        self.context = context
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.context is not None:  # handshake later, in the connection's own thread
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._open_lock:
            self._open.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def do_GET(self) -> None:
        self._serve()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _serve(self) -> None:
        if not self.path.startswith(ADMIN):
            self.server.emulator.arrived()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        scheme = "https" if self.server.context is not None else "http"
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        blobs = self.server.emulator.blobs
        if blobs is not None and blobs.serves(unquote(split.path)):  # the lock's Blob service
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._send_blob(blobs.answer(self.command, unquote(split.path), query, headers, raw))
            return
        if identity.serves(split.path):  # Entra ID's form-encoded token endpoint
            form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            self._send(identity.answer(self.command, split.path, form, f"{scheme}://{host}"))
            return
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            self._send(Response(400, {"error": {"code": "UserError", "message": "Bad JSON."}}))
            return
        req = Request(
            method=self.command,
            path=split.path.rstrip("/") or "/",
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"{scheme}://{host}",
        )
        response = self.server.emulator.handle(req, self.server.router)
        if response is None:  # injected fault: close without answering
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        payload = b"" if response.empty else json.dumps(response.body).encode()
        self.send_response(response.status)
        headers = {"x-ms-response-type": "standard", **response.headers}
        if not response.empty:
            headers["Content-Type"] = "application/json; charset=utf-8"
        request_id = self.headers.get("x-ms-client-request-id")
        if request_id:
            headers["x-ms-client-request-id"] = request_id
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _send_blob(self, response: BlobResponse) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        if "Content-Length" not in response.headers:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)
