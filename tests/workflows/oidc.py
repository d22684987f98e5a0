"""GitHub's OIDC token endpoint for the simulated runners (``ACTIONS_ID_TOKEN_REQUEST_URL``).

A job with ``id-token: write`` gets a request URL and a request token; asking the URL with that
token (``Authorization: Bearer``) answers ``{"value": <JWT>}`` whose payload is the job's
claims (jobs.py `_claims`: ``sub``, ``job_workflow_ref``, ``job_workflow_sha``, ...). The JWT
is unsigned: what reads it here (a called workflow finding its own commit, reconcile doctor)
reads its claims, and the simulated Azure (azure.py) decides sign-ins from the claims too.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def unsigned_jwt(claims: dict[str, str]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


class OidcEndpoint:
    """One endpoint for the whole simulated GitHub; jobs register their request tokens."""

    def __init__(self) -> None:
        self.tokens: dict[str, dict[str, str]] = {}
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                header = self.headers.get("Authorization", "")
                claims = endpoint.tokens.get(header.removeprefix("Bearer ").strip())
                if claims is None:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"value": unsigned_jwt(claims)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/oidc?api-version=2.0"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
