"""What a plan reads of a workspace, all at once: `read_live`.

Against a remote workspace every list is a chain of page requests; they run at the same time,
so the longest chain, not their sum, bounds a plan's reading (bench/emulator_bench.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from reconciler.core.essences import Kind
from reconciler.core.live import LiveState
from reconciler.core.workspace import WorkspaceReader

_RESOURCE_KINDS = (Kind.CONNECTION, Kind.DATASTORE, Kind.SCHEDULE)


def read_live(
    reader: WorkspaceReader,
    import_names: Iterable[str],
    owner: str,
    *,
    pinned: Iterable[str] = (),
) -> LiveState:
    """Every kind, the declared imports (those in ``pinned`` with every version read; the
    others as the workspace summarizes them) and the owner's imported assets (those no longer
    declared after the rest: usually none), read at once: against a remote workspace each is a
    chain of page requests, and the longest chain, not their sum, should bound the time. Where
    other assets' data is, is left unread (None): only a plan that writes a new version reads
    it (`build_plan`)."""
    names = sorted(import_names)
    full = sorted(set(pinned) & set(names))
    pool = ThreadPoolExecutor(max_workers=len(_RESOURCE_KINDS) + 3)
    with without_cycle_collection(), _shut_down(pool):
        kinds = [pool.submit(reader.list_resources, kind) for kind in _RESOURCE_KINDS]
        summaries = pool.submit(reader.summarize_assets, sorted(set(names) - set(full)))
        complete = pool.submit(reader.list_assets, full) if full else None
        imported = pool.submit(reader.list_imported_assets, owner)
        resources = tuple(r for read in kinds for r in read.result())
        owned = tuple(imported.result())
        read = [*summaries.result(), *(complete.result() if complete else ())]
        undeclared = sorted(set(owned) - set(names))  # usually none: drift, or forgotten
        if undeclared:
            read += reader.summarize_assets(undeclared)
        return LiveState(
            resources,
            tuple(sorted(read, key=lambda a: a.name)),
            owned,
            None,
        )


@contextmanager
def _shut_down(pool: ThreadPoolExecutor) -> Iterator[None]:
    """A failed or timed-out read does not wait for the others to give up."""
    try:
        yield
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """No cyclic garbage collection while the reads run: a full collection walks every object
    of the libraries imported (tens of milliseconds, holding the interpreter lock), stalling
    every page chain at once; what the reads allocate has no cycles and is freed as it goes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
