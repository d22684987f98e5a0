"""What the local Snowflake server keeps of query results between requests, within a budget.

Two things outlive the request that produced a result, and both used to grow without end (the
server gained ~100 MB per 1M-row import and never gave it back):

* **Result chunks** (`ChunkStore`). Snowflake answers a large query with its first rows inline
  and URLs for the rest, which the connector downloads as the caller iterates, and downloads
  again when a download fails halfway (it retries up to ten times). So a chunk must stay
  downloadable until the caller is done with the result: here, until the session that ran the
  query logs out (``connection.close()``, the normal end of an import), until the result has not
  been read for `CHUNK_IDLE_SECONDS` (a client that died without logging out), or until newer
  results need the room (`CHUNK_BUDGET_BYTES`, least recently read results go first; idleness
  is checked whenever the store is used, so an idle server may hold up to the budget). Chunks
  are zero-copy slices of the one Arrow table the query produced; each download serialises its
  slice afresh.
* **fakesnow's results cache** (`BoundedResults`). fakesnow 0.12 keeps every query's whole Arrow
  table by query id, for ``RESULT_SCAN`` and query-status lookups, and never drops one. The
  replacement keeps only the most recent results that fit `CACHE_BUDGET_BYTES` and
  `CACHE_MAX_ENTRIES`; an older or larger result is forgotten, as an expired result is on
  Snowflake ("Statement ... not found").

This module knows nothing of HTTP or of fakesnow's routes (`reconciler_testing.localsnow.app`
wires it).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

CHUNK_BUDGET_BYTES = 512 * 2**20
CHUNK_IDLE_SECONDS = 600.0
CACHE_BUDGET_BYTES = 32 * 2**20
CACHE_MAX_ENTRIES = 1_000


@dataclass
class _Result:
    session: str | None
    parts: tuple[pa.Table, ...]
    nbytes: int
    last_read: float = field(default=0.0)


class ChunkStore:
    """The downloadable chunks of large results, by result id and chunk index."""

    def __init__(
        self,
        budget_bytes: int = CHUNK_BUDGET_BYTES,
        idle_seconds: float = CHUNK_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._budget = budget_bytes
        self._idle = idle_seconds
        self._clock = clock
        self._results: dict[str, _Result] = {}
        self._lock = threading.Lock()

    def put(self, session: str | None, parts: Sequence[pa.Table]) -> str:
        """Keep ``parts`` (slices of one result) for ``session``; returns the result's id."""
        nbytes = _buffer_bytes(parts)
        result_id = secrets.token_urlsafe(16)
        with self._lock:
            now = self._clock()
            self._drop_idle(now)
            while self._results and self._held() + nbytes > self._budget:
                oldest = min(self._results, key=lambda key: self._results[key].last_read)
                del self._results[oldest]
            self._results[result_id] = _Result(session, tuple(parts), nbytes, now)
        return result_id

    def get(self, result_id: str, index: int) -> pa.Table | None:
        """Chunk ``index`` of a result, as often as it is asked for; None once released."""
        with self._lock:
            now = self._clock()
            self._drop_idle(now)
            result = self._results.get(result_id)
            if result is None or not 0 <= index < len(result.parts):
                return None
            result.last_read = now
            return result.parts[index]

    def release_session(self, session: str) -> int:
        """Forget every result of a session that logged out; returns how many there were."""
        with self._lock:
            gone = [key for key, result in self._results.items() if result.session == session]
            for key in gone:
                del self._results[key]
            self._drop_idle(self._clock())
        return len(gone)

    def stats(self) -> dict[str, int]:
        """How many results are held and how many bytes their chunks take."""
        with self._lock:
            self._drop_idle(self._clock())
            return {"results": len(self._results), "bytes": self._held()}

    def _held(self) -> int:
        return sum(result.nbytes for result in self._results.values())

    def _drop_idle(self, now: float) -> None:
        for key in [k for k, r in self._results.items() if now - r.last_read > self._idle]:
            del self._results[key]


class BoundedResults(dict[str, tuple[Any, ...]]):
    """A stand-in for fakesnow's ``results_cache`` dict that forgets old and large results.

    fakesnow stores ``(arrow_table, rowcount, sql, params, transformed)`` by query id and reads
    it back with ``get``; only storing is changed here.
    """

    def __init__(
        self, budget_bytes: int = CACHE_BUDGET_BYTES, max_entries: int = CACHE_MAX_ENTRIES
    ) -> None:
        super().__init__()
        self._budget = budget_bytes
        self._max_entries = max_entries
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()

    def __setitem__(self, key: str, value: tuple[Any, ...]) -> None:
        table = value[0] if value else None
        size = _buffer_bytes([table]) if isinstance(table, pa.Table) else 0
        with self._lock:
            if key in self:
                super().__delitem__(key)  # re-stored: now the newest
            super().__setitem__(key, value)
            self._sizes[key] = size
            while self and (
                len(self) > self._max_entries or sum(self._sizes.values()) > self._budget
            ):
                oldest = next(iter(self))  # dicts keep insertion order
                super().__delitem__(oldest)
                del self._sizes[oldest]


def _buffer_bytes(tables: Sequence[pa.Table]) -> int:
    """Memory the tables keep alive: slices of one table share (and count) its buffers once."""
    seen: set[int] = set()
    total = 0
    for table in tables:
        for column in table.columns:
            for chunk in column.chunks:
                for buffer in chunk.buffers():
                    if buffer is not None and buffer.address not in seen:
                        seen.add(buffer.address)
                        total += buffer.size
    return total
