"""What the local Snowflake server keeps of results: within its budget, and only while needed."""

from __future__ import annotations

import pyarrow as pa

from reconciler_testing.localsnow.results import BoundedResults, ChunkStore

MB = 2**20


def table(megabytes: int) -> pa.Table:
    return pa.table({"n": pa.array(range(megabytes * MB // 8), type=pa.int64())})


def parts(whole: pa.Table, count: int = 4) -> list[pa.Table]:
    size = -(-whole.num_rows // count)
    return [whole.slice(start, size) for start in range(0, whole.num_rows, size)]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_chunk_is_served_as_often_as_it_is_asked_for() -> None:
    store = ChunkStore()
    whole = table(1)
    result = store.put("session-a", parts(whole))

    first, again = store.get(result, 2), store.get(result, 2)

    assert first is not None and again is not None
    assert again.equals(first)
    assert store.get(result, 4) is None  # past the last chunk
    assert store.get("no-such-result", 0) is None


def test_slices_of_one_result_count_its_memory_once() -> None:
    store = ChunkStore()
    store.put("session-a", parts(table(2), count=8))

    assert store.stats() == {"results": 1, "bytes": 2 * MB}


def test_logging_out_releases_only_that_sessions_results() -> None:
    store = ChunkStore()
    mine = store.put("session-a", parts(table(1)))
    theirs = store.put("session-b", parts(table(1)))

    assert store.release_session("session-a") == 1

    assert store.get(mine, 0) is None
    assert store.get(theirs, 0) is not None


def test_a_result_nobody_reads_expires() -> None:
    clock = Clock()
    store = ChunkStore(idle_seconds=600, clock=clock)
    read = store.put("session-a", parts(table(1)))
    unread = store.put("session-b", parts(table(1)))

    clock.now = 500
    assert store.get(read, 0) is not None  # reading keeps a result alive
    clock.now = 900

    assert store.get(read, 1) is not None
    assert store.get(unread, 0) is None
    assert store.stats()["results"] == 1


def test_new_results_evict_the_least_recently_read_beyond_the_budget() -> None:
    clock = Clock()
    store = ChunkStore(budget_bytes=3 * MB, clock=clock)
    oldest = store.put("a", parts(table(1)))
    clock.now = 1
    older = store.put("b", parts(table(1)))
    clock.now = 2
    assert store.get(oldest, 0) is not None  # read again: now the most recent
    clock.now = 3

    newest = store.put("c", parts(table(2)))

    assert store.get(older, 0) is None
    assert store.get(oldest, 0) is not None
    assert store.get(newest, 0) is not None
    assert store.stats() == {"results": 2, "bytes": 3 * MB}


def test_a_result_larger_than_the_budget_is_still_served() -> None:
    store = ChunkStore(budget_bytes=1 * MB)
    store.put("a", parts(table(1)))

    big = store.put("b", parts(table(4)))

    assert store.get(big, 3) is not None
    assert store.stats()["results"] == 1


def row(megabytes: int) -> tuple[object, ...]:
    return (table(megabytes), megabytes, "SELECT 1", None, None)


def test_the_results_cache_keeps_recent_results_within_its_budget() -> None:
    cache = BoundedResults(budget_bytes=3 * MB, max_entries=10)
    for query_id in ("q1", "q2", "q3", "q4"):
        cache[query_id] = row(1)

    assert list(cache) == ["q2", "q3", "q4"]
    assert cache.get("q1") is None
    assert cache.get("q4") is not None


def test_the_results_cache_forgets_a_result_larger_than_its_budget() -> None:
    cache = BoundedResults(budget_bytes=3 * MB, max_entries=10)
    cache["small"] = row(1)

    cache["large"] = row(4)

    assert dict(cache) == {}


def test_the_results_cache_holds_at_most_max_entries() -> None:
    cache = BoundedResults(budget_bytes=100 * MB, max_entries=2)
    for query_id in ("q1", "q2", "q3"):
        cache[query_id] = (None, 0, "SHOW TABLES", None, None)

    assert list(cache) == ["q2", "q3"]
