"""Import jobs on the embedded workspace's store: how a running one proves it is alive, and how
a reader sees one.

A running import renews a lease (a heartbeat) six times per lease; a reader sees a running job
whose lease ran out as failed and interrupted (its process died, on this host or another),
without writing anything. Staging folders are named from the job, short whatever its name.
"""

from __future__ import annotations

import hashlib
import threading
import time

from reconciler.core.live import ImportJob, JobStatus, stored_definition
from reconciler.core.vocabulary import DEFINITION_PROPERTY, FINGERPRINT_PROPERTY, OWNER_TAG
from reconciler.providers.local.store import JobRecord, Store, lease_seconds

INTERRUPTED = "the import was interrupted (its process stopped sending heartbeats)"
OUTPUT_KEY = "output"  # a job record's folder its data goes to


class Heartbeat:
    """Renews a running job's lease six times per lease while the import runs."""

    def __init__(self, store: Store, job_id: str) -> None:
        self._store, self._job_id = store, job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._store.heartbeat(self._job_id)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(lease_seconds() / 6):
            try:
                self._store.heartbeat(self._job_id)
            except Exception:  # the database is briefly busy: the next beat retries
                time.sleep(0.1)


def job_from_record(record: JobRecord) -> ImportJob:
    """The job as a reader sees it: a running job whose lease expired is interrupted."""
    status, error = record.status, record.error
    if record.lease_expired():
        status, error = JobStatus.FAILED, INTERRUPTED
    properties = record.body.get("properties") or {}
    return ImportJob(
        id=record.id,
        asset=record.asset,
        version=record.version,
        fingerprint=properties.get(FINGERPRINT_PROPERTY),
        status=JobStatus(status),
        started_at=record.started_at or "",
        ended_at=record.ended_at or "",
        rows=record.rows,
        error=error,
        definition=stored_definition(properties.get(DEFINITION_PROPERTY)),
        owner=properties.get(OWNER_TAG),
        output=str(record.body.get(OUTPUT_KEY) or _default_output(record)),
    )


def staging_name(job_id: str) -> str:
    """A job's staging folder: short whatever the job's name (asset names reach 255)."""
    return hashlib.sha256(job_id.encode()).hexdigest()[:24]


def _default_output(record: JobRecord) -> str:
    """Where a job recorded before its folder was (the path, then the version) wrote."""
    path = record.body.get("path")
    return f"{path}/{record.version}" if isinstance(path, str) and path else ""
