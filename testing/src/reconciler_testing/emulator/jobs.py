"""Running submitted import jobs in the background, as the service does.

A PUT of an import pipeline answers at once (201, ``Preparing``) while the import runs in a
thread through `LocalWorkspace.materialize`, which records the job (Preparing -> Running ->
Completed/Failed) and registers the data asset version on success. Until ``materialize`` has
written its record the job is kept here as *pending*, so a GET right after the PUT finds it.
Runs of the same asset are serialised (one lock per asset) so that two of them never pick the
same next version or write the same folder.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, replace

from reconciler.providers.local.jobs import INTERRUPTED
from reconciler.providers.local.provider import LocalWorkspace
from reconciler.providers.local.store import JobRecord, now
from reconciler_testing.emulator.job_mapping import (
    ImportOrder,
    JobQuery,
    import_order,
    job_to_rest,
    render,
)
from reconciler_testing.emulator.mapping import Scope
from reconciler_testing.emulator.other_jobs import (
    PUT_STATUS,
    STORED_STATUS,
    check_job,
    render_job,
    with_defaults,
)
from reconciler_testing.emulator.protocol import JSON

log = logging.getLogger(__name__)
ACTIVE = ("Preparing", "Running")


@dataclass(frozen=True)
class _Pending:
    body: JSON
    asset: str
    created_at: str


@dataclass(frozen=True)
class Listed:
    """One job of a listing: a stored record (None: read when its page is answered), or a
    pending job already rendered."""

    created_at: str
    name: str
    record: JobRecord | None
    pending: JSON | None = None


class ImportJobs:
    """Submit, look up and list import jobs of one workspace."""

    def __init__(self, workspace: LocalWorkspace, scope: Scope) -> None:
        self._workspace = workspace
        self._scope = scope
        self._lock = threading.RLock()
        self._asset_locks: dict[str, threading.Lock] = {}
        self._pending: dict[str, _Pending] = {}
        self._threads: list[threading.Thread] = []
        # the last listing's matches, reused while neither the store nor the query changes
        self._listed: tuple[tuple[object, ...], list[Listed]] | None = None

    def submit(self, name: str, body: JSON) -> tuple[bool, JSON]:
        """Start job ``name``; returns (created, REST job). An existing job is answered as is."""
        order = import_order(body)
        pending = _Pending(body, order.asset, now())
        with self._lock:  # check and claim the name in one step
            existing = self.get(name)
            if existing is not None:
                return False, existing
            self._pending[name] = pending
            thread = threading.Thread(
                target=self._run, args=(name, order, body), name=f"import-{name}", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return True, render(self._scope, name, body, "Preparing", pending.created_at)

    def keep(self, name: str, body: JSON) -> tuple[bool, JSON]:
        """Store a job that is not an import (command, pipeline, sweep…) and run nothing: it
        answers ``Starting`` and reads ``Queued`` afterwards (see `other_jobs`)."""
        props = check_job(body.get("properties"))
        with self._lock:
            existing = self.get(name)
            if existing is not None:
                return False, existing
            stored = with_defaults(props, job_name=name)
            store = self._workspace.store
            store.create_job(name, "", "", {"rest": {"properties": stored}}, os.getpid())
            store.update_job(name, status=STORED_STATUS)
            record = store.get_job(name)
        assert record is not None
        return True, render_job(self._scope, name, stored, PUT_STATUS, record.created_at)

    def get(self, name: str) -> JSON | None:
        record = self._workspace.store.get_job(name)
        if record is not None:
            return job_to_rest(self._scope, self._checked(record))
        with self._lock:
            pending = self._pending.get(name)
        if pending is None:
            return None
        return render(self._scope, name, pending.body, "Preparing", pending.created_at)

    def list(self, query: JobQuery) -> list[Listed]:
        """The jobs ``query`` selects, newest first, unrendered (`render` one to answer it).

        The store pre-filters (only imports, only bodies naming the wanted properties) and what
        matched is kept while the store does not change, so a workspace's unrelated job history
        costs a filtered query little and paging through a long list reads it once."""
        store = self._workspace.store
        key = (store.generation(), query)
        with self._lock:
            cached = self._listed if self._listed and self._listed[0] == key else None
        if cached is None and query.by_view_only:  # every job: answer a page, parse a page
            archived = {"ActiveOnly": False, "ArchivedOnly": True}.get(query.view)
            matched = [Listed(c, n, None) for c, n in store.job_index(archived)]
            with self._lock:
                self._listed = cached = (key, matched)
        if cached is None:
            records = store.find_jobs(imports_only=query.imports_only, text=query.stored_text)
            matched = [
                Listed(r.created_at, r.id, r)
                for r in records
                if query.matches(job_to_rest(self._scope, self._checked(r)), r.asset)
            ]
            with self._lock:
                self._listed = cached = (key, matched)
        found = list(cached[1])
        known = {item.name for item in found}
        with self._lock:
            pending = dict(self._pending)
        for name, p in pending.items():
            job = render(self._scope, name, p.body, "Preparing", p.created_at)
            if name not in known and query.matches(job, p.asset):
                found.append(Listed(p.created_at, name, None, job))
        found.sort(key=lambda item: (item.created_at, item.name), reverse=True)
        return found

    def render(self, item: Listed) -> JSON:
        if item.pending is not None:
            return item.pending
        record = item.record or self._workspace.store.get_job(item.name)
        assert record is not None
        return job_to_rest(self._scope, self._checked(record))

    @staticmethod
    def _checked(record: JobRecord) -> JobRecord:
        """A running job whose heartbeat stopped is Failed, as the local provider reads it, so
        both sides agree (reading records nothing)."""
        if not record.lease_expired():
            return record
        return replace(record, status="Failed", error=INTERRUPTED)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for running imports; True when none is left."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in threads)

    def _asset_lock(self, asset: str) -> threading.Lock:
        with self._lock:
            return self._asset_locks.setdefault(asset, threading.Lock())

    def _run(self, name: str, order: ImportOrder, body: JSON) -> None:
        try:
            with self._asset_lock(order.asset):
                self._materialize(name, order, body)
        except Exception:  # never leave a job Preparing forever
            log.exception("import job %s failed unexpectedly", name)
            self._record_failure(name, order, body, "the emulator failed to run the import")
        finally:
            with self._lock:
                self._pending.pop(name, None)

    def _materialize(self, name: str, order: ImportOrder, body: JSON) -> None:
        store = self._workspace.store
        version = order.version
        if version is None:
            assets = self._workspace.list_assets([order.asset])
            version = assets[0].next_version() if assets else "1"
        elif any(v == version for v, _, _ in store.list_versions(order.asset)):
            message = f"data asset {order.asset}:{version} already exists"
            self._record_failure(name, order, body, message, version)
            return
        # the version the service registers is the pipeline output's: a name, a version, a
        # path and a type. The import's description, tags and properties (reconciler's among
        # them) stay on the job, where the real service keeps them. The data lands where the
        # sink says, ${{name}} resolved to the job's name (so each run has a folder of its
        # own), and the version's dataUri is that folder.
        bare = order.spec.model_copy(update={"description": None, "tags": {}})
        self._workspace.materialize(
            order.asset,
            version,
            bare,
            job_id=name,
            job_extra={"rest": body},
            version_properties={},
            folder=name if order.per_run else "",
        )

    def _record_failure(
        self, name: str, order: ImportOrder, body: JSON, error: str, version: str | None = None
    ) -> None:
        store = self._workspace.store
        if store.get_job(name) is None:
            store.create_job(
                name, order.asset, version or order.version or "", {"rest": body}, os.getpid()
            )
        store.update_job(name, status="Failed", ended_at=now(), error=error)
