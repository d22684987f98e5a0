"""The HTTP vocabulary every route speaks: requests, responses, ARM errors and paging.

Azure ML's management front end answers errors with an ARM error body and the header
``x-ms-response-type: error``; lists are ``{"value": [...], "nextLink": <absolute URL>}``. The
SDK only looks at status codes and renders ``error.code``/``error.message`` into its exceptions,
so the shapes here copy the real recordings closely enough for its messages to read the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from reconciler.providers.local.store import now

T = TypeVar("T")
SKIP_TOKEN = "$skipToken"
JSON = dict[str, Any]


@dataclass(frozen=True)
class Request:
    """One parsed API request; ``base_url`` is how the client reached us (for nextLinks)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any
    base_url: str

    def param(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, matched case-insensitively as ARM does."""
        wanted = name.lower()
        return next((v for k, v in self.query.items() if k.lower() == wanted), default)

    def json_body(self) -> JSON:
        if not isinstance(self.body, dict):
            raise ApiError(400, "UserError", "The request body must be a JSON object.")
        return self.body


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    empty: bool = False  # send no body at all (DELETE 200/204)


class ApiError(Exception):
    """Raised by a route; becomes an ARM error response."""

    def __init__(self, status: int, code: str, message: str, inner: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.inner = inner or _INNER.get(status, "BadArgument")
        self.component = "managementfrontend"  # connections: "account-rp"

    def response(self) -> Response:
        shape = account_rp_error if self.component == "account-rp" else error_body
        return Response(
            self.status,
            shape(self.code, self.message, self.inner),
            {"x-ms-response-type": "error"},
        )


_INNER = {404: "NotFoundError", 409: "Conflict", 429: "TooManyRequests", 503: "ServiceUnavailable"}


def error_body(code: str, message: str, inner: str = "NotFoundError") -> JSON:
    """The management front end's error shape (see datastore-blob-crud.json, the 404)."""
    correlation = {"operation": uuid.uuid4().hex, "request": uuid.uuid4().hex[:16]}
    return {
        "error": {
            "code": code,
            "message": message,
            "details": [],
            "additionalInfo": [
                {"type": "ComponentName", "info": {"value": "managementfrontend"}},
                {"type": "Correlation", "info": {"value": correlation}},
                {"type": "Environment", "info": {"value": "emulator"}},
                {"type": "Location", "info": {"value": "local"}},
                {"type": "Time", "info": {"value": now()}},
                {"type": "InnerError", "info": {"value": {"code": inner, "innerError": None}}},
            ],
        }
    }


def account_rp_error(code: str, message: str, inner: str = "NotFoundError") -> JSON:
    """The shape of the service that keeps connections (connection-snowflake-crud.json, the
    404): the same code, message and inner code, laid out differently."""
    return {
        "error": {
            "code": code,
            "severity": None,
            "message": message,
            "messageFormat": None,
            "messageParameters": None,
            "referenceCode": None,
            "detailsUri": None,
            "target": None,
            "details": [],
            "innerError": {"code": inner, "innerError": None},
            "debugInfo": None,
            "additionalInfo": None,
        },
        "correlation": {"operation": uuid.uuid4().hex, "request": uuid.uuid4().hex[:16]},
        "environment": "emulator",
        "location": "local",
        "time": now(),
        "componentName": "account-rp",
    }


def not_found(message: str) -> ApiError:
    return ApiError(404, "UserError", message, "NotFoundError")


def bad_request(message: str) -> ApiError:
    return ApiError(400, "UserError", message, "BadArgument")


def conflict(message: str) -> ApiError:
    return ApiError(409, "UserError", message, "Conflict")


def page(request: Request, items: Sequence[T], size: int, render: Callable[[T], JSON]) -> Response:
    """One page of ``items`` from ``$skipToken`` on, with an absolute nextLink if more remain.

    The nextLink repeats the request's own query (filters included) so the client, which
    follows it verbatim, gets the next page of the same list.
    """
    start = _int(request.param(SKIP_TOKEN), 0)
    size = max(1, size)
    chunk = items[start : start + size]
    body: JSON = {"value": [render(item) for item in chunk]}
    if start + size < len(items):
        query = {k: v for k, v in request.query.items() if k.lower() != SKIP_TOKEN.lower()}
        query[SKIP_TOKEN] = str(start + size)
        body["nextLink"] = f"{request.base_url}{request.path}?{urlencode(query)}"
    return Response(200, body)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        raise bad_request(f"Invalid paging token {text!r}.") from None
