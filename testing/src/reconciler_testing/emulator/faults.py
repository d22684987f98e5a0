"""Injected trouble and request accounting: latency, 429s, 503s, dropped connections, lost
answers.

Clients must survive a throttled or flaky service; these knobs make that testable. A fault is
drawn per API request from a seeded generator, so a given seed and request sequence always
meets the same faults. ``drop`` closes the connection before the request is processed;
``lost`` processes it and then closes the connection without answering, so the client cannot
tell whether it happened (what a timeout or a reset connection does on the real service, and
the way a retried create can make a duplicate). Faults can be limited to some routes
(``"PUT /jobs/{name}"``) and to a number of occurrences. Admin routes (``/_emulator/*``) are
never faulted or delayed.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

from reconciler_testing.emulator.protocol import Response, error_body

DROP = "drop"
LOST = "lost"


class FaultInjector:
    """Decides, per request, whether to fail it and how."""

    def __init__(self, rate: float, kinds: tuple[str, ...], seed: int) -> None:
        self._lock = threading.Lock()
        self.configure(rate, kinds, seed)

    def configure(
        self,
        rate: float,
        kinds: tuple[str, ...],
        seed: int,
        routes: tuple[str, ...] | None = None,
        limit: int | None = None,
    ) -> None:
        """``routes``: only requests of these route labels are faulted (None: all);
        ``limit``: at most this many faults from now on (None: no limit)."""
        with self._lock:
            self.rate = rate
            self.kinds = kinds
            self.routes = routes
            self._left = limit
            self._random = random.Random(seed)

    def draw(self, route: str) -> str | None:
        """The fault for the next request (``"429"``, ``"503"``, ``"drop"``, ``"lost"``) of
        ``route`` or None."""
        with self._lock:
            if self.rate <= 0 or not self.kinds or self._left == 0:
                return None
            if self.routes is not None and route not in self.routes:
                return None
            if self._random.random() >= self.rate:
                return None
            if self._left is not None:
                self._left -= 1
            return self._random.choice(self.kinds)


def fault_response(kind: str) -> Response:
    if kind == "429":
        body = error_body("TooManyRequests", "The request was throttled (injected fault).", "")
        return Response(429, body, {"Retry-After": "1", "x-ms-response-type": "error"})
    body = error_body("ServiceUnavailable", "The service is unavailable (injected fault).", "")
    return Response(503, body, {"x-ms-response-type": "error"})


class Stats:
    """Thread-safe counters of what the emulator served, and when (for round trips)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._routes: Counter[str] = Counter()
            self._statuses: Counter[int] = Counter()
            self._faults: Counter[str] = Counter()
            self._spans: list[tuple[float, float]] = []
            self._delayed: list[float] = []
            self._first: float | None = None

    def delayed(self, seconds: float) -> None:
        """A request the latency knob held: answered ``seconds`` after it arrived."""
        with self._lock:
            self._delayed.append(seconds)

    def arrived(self) -> None:
        """A request arrived (a token request too): the first one's wall-clock time is kept,
        to time how long a client process takes to send its first request."""
        now = time.time()
        with self._lock:
            if self._first is None:
                self._first = now

    def record(
        self,
        route: str,
        status: int | None,
        fault: str | None = None,
        span: tuple[float, float] | None = None,
    ) -> None:
        with self._lock:
            self._requests += 1
            self._routes[route] += 1
            if status is not None:
                self._statuses[status] += 1
            if fault is not None:
                self._faults[fault] += 1
            if span is not None:
                self._spans.append(span)

    def snapshot(self) -> dict[str, Any]:
        """``requests`` total, per ``routes`` ("GET /connections/{name}"), ``statuses``,
        injected ``faults`` (kind -> count, plus ``total``), ``round_trips``: the longest
        run of requests each of which arrived after the one before was answered, i.e. how many
        round trips the client made one after another; ``first_request_at``: when the first
        request (token requests included) arrived, in seconds since the epoch; ``delays``: for
        each request the latency knob held, ms from its arrival to its answer (a record, so
        tests need no clock)."""
        with self._lock:
            faults = dict(self._faults)
            return {
                "requests": self._requests,
                "routes": dict(sorted(self._routes.items())),
                "statuses": dict(sorted(self._statuses.items())),
                "faults": {**faults, "total": sum(faults.values())},
                "round_trips": sequential(self._spans),
                "first_request_at": self._first,
                "delays": [round(d * 1000.0, 3) for d in self._delayed],
            }


def sequential(spans: list[tuple[float, float]]) -> int:
    """The most requests that ran strictly one after another (earliest-end-first)."""
    count, free_at = 0, float("-inf")
    for start, end in sorted(spans, key=lambda span: span[1]):
        if start >= free_at:
            count, free_at = count + 1, end
    return count
