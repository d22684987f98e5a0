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

from reconciler.emulator.job_mapping import ImportOrder, import_order, job_to_rest, render
from reconciler.emulator.mapping import Scope
from reconciler.emulator.protocol import JSON
from reconciler.providers.local.provider import INTERRUPTED, LocalWorkspace
from reconciler.providers.local.store import JobRecord, now

log = logging.getLogger(__name__)
ACTIVE = ("Preparing", "Running")


@dataclass(frozen=True)
class _Pending:
    body: JSON
    asset: str
    created_at: str


class ImportJobs:
    """Submit, look up and list import jobs of one workspace."""

    def __init__(self, workspace: LocalWorkspace, scope: Scope) -> None:
        self._workspace = workspace
        self._scope = scope
        self._lock = threading.RLock()
        self._asset_locks: dict[str, threading.Lock] = {}
        self._pending: dict[str, _Pending] = {}
        self._threads: list[threading.Thread] = []

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

    def get(self, name: str) -> JSON | None:
        record = self._workspace.store.get_job(name)
        if record is not None:
            return job_to_rest(self._scope, self._checked(record))
        with self._lock:
            pending = self._pending.get(name)
        if pending is None:
            return None
        return render(self._scope, name, pending.body, "Preparing", pending.created_at)

    def list(self) -> list[tuple[str, JSON]]:
        """(asset, REST job) of every job, newest first."""
        jobs = [
            (r.created_at, r.asset, job_to_rest(self._scope, self._checked(r)))
            for r in self._workspace.store.list_jobs()
        ]
        known = {job["name"] for _, _, job in jobs}
        with self._lock:
            pending = dict(self._pending)
        jobs += [
            (p.created_at, p.asset, render(self._scope, n, p.body, "Preparing", p.created_at))
            for n, p in pending.items()
            if n not in known
        ]
        jobs.sort(key=lambda item: item[0], reverse=True)
        return [(asset, job) for _, asset, job in jobs]

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
        # the version the service registers carries no reconciler bookkeeping: the client's
        # properties stay on the job, where the real service keeps them
        self._workspace.materialize(
            order.asset,
            version,
            order.spec,
            job_id=name,
            job_extra={"rest": body},
            version_properties={},
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
