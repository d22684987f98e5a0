"""A small HTTPS server for fakes of external services (token endpoints, Key Vault).

Real clients (azure-identity, azure-keyvault-secrets) talk to it over TLS, trusting its
self-signed certificate through ``REQUESTS_CA_BUNDLE``. A fake is a function from `Call` to
`Answer`; the server records every call so tests can assert what the client asked for.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from reconciler_testing.emulator.tls import make_certificate


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Answer]


@dataclass
class FakeServer:
    url: str
    ca_bundle: Path
    calls: list[Call]


@contextmanager
def serve(handler: Handler, folder: Path) -> Iterator[FakeServer]:
    certs = make_certificate(folder)
    calls: list[Call] = []

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            split = urlsplit(self.path)
            call = Call(
                self.command,
                split.path,
                dict(parse_qsl(split.query)),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            calls.append(call)
            answer = handler(call)
            payload = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert, certs.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield FakeServer(f"https://127.0.0.1:{server.server_address[1]}", certs.bundle, calls)
    finally:
        server.shutdown()
        server.server_close()
