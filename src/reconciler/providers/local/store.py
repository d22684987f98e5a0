"""The embedded workspace's store: SQLite in one folder, with Azure ML's rules.

It behaves like Azure ML where a reconciler can tell the difference: the system datastores
exist from the start and cannot be modified or deleted; connection secrets are
write-only (stored, never returned); datastore secrets come back stripped; data asset versions
are immutable (their path cannot change). Bodies are essences in az ml YAML field names with a
``tags`` mapping. The folder and database are readable by their owner only: they hold secrets.
A running import proves it is alive with a heartbeat (a lease), not a process id, so a job
whose process died, on this host or another, is seen as interrupted once its lease expires.
This module knows nothing of plans; the local provider and the Azure ML emulator both sit on it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.core.errors import ProviderError, ReconcileError
from reconciler.core.live import JobStatus
from reconciler.core.vocabulary import DEFAULT_DATASTORE
from reconciler.providers.local.lock import LOCK_FILE, linked_lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, secrets TEXT NOT NULL,
    system INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS data_versions (
    name TEXT NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT, PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, asset TEXT NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT,
    rows INTEGER, error TEXT, pid INTEGER);
CREATE INDEX IF NOT EXISTS jobs_asset ON jobs (asset);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
"""
_ACCOUNT = "localworkspace"
# The four datastores every Azure ML workspace has from the start, in the order a new
# workspace creates them (as three of the four recorded workspaces list them).
SYSTEM_DATASTORE_BODIES: dict[str, dict[str, Any]] = {
    DEFAULT_DATASTORE: {
        "type": "azure_blob",
        "container_name": "azureml-blobstore",
        "credentials": {"type": "account_key"},
        "is_default": True,
    },
    "workspacefilestore": {
        "type": "azure_file",
        "file_share_name": "code-share",
        "credentials": {"type": "account_key"},
    },
    "workspaceworkingdirectory": {
        "type": "azure_file",
        "file_share_name": "code-share",
        "credentials": {"type": "account_key"},
    },
    "workspaceartifactstore": {
        "type": "azure_blob",
        "container_name": "azureml",
        "credentials": {"type": "account_key"},
    },
}
_COMPANIONS = ("-wal", "-shm", "-journal")  # files SQLite keeps beside the database
DATA_CONTAINER = "data_container"  # a data asset's own record: its archived flag
AUTO_DELETE_KEY = "auto_delete_setting"  # a version's, as azure-ai-ml sends it (camelCase)
LEASE_SECONDS = 30.0


def lease_seconds() -> float:
    """A running job not heard from for this long was interrupted (it renews its lease six
    times per lease). RECONCILER_JOB_LEASE_SECONDS changes it (tests; a slow shared disk)."""
    return float(os.environ.get("RECONCILER_JOB_LEASE_SECONDS") or LEASE_SECONDS)


def now() -> str:
    return timestamp(datetime.now(UTC))


def timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Record:
    kind: str
    name: str
    body: dict[str, Any]
    system: bool
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class VersionRecord:
    """A data asset version; ``updated_at`` is None until its metadata is first changed."""

    version: str
    body: dict[str, Any]
    created_at: str
    updated_at: str | None


@dataclass(frozen=True)
class JobRecord:
    id: str
    asset: str
    version: str
    body: dict[str, Any]
    status: str
    created_at: str
    started_at: str | None
    ended_at: str | None
    rows: int | None
    error: str | None
    pid: int | None
    heartbeat_at: float | None = None

    @property
    def active(self) -> bool:
        """An import still running (other jobs, which the workspace holds but never runs, have
        statuses of their own, such as ``Queued``)."""
        return self.status in (JobStatus.PREPARING, JobStatus.RUNNING)

    def lease_expired(self, at: float | None = None) -> bool:
        """A running job whose heartbeat stopped: its process died (or its host did)."""
        last = self.heartbeat_at or 0.0
        return self.active and (at if at is not None else time.time()) - last > lease_seconds()


class Store:
    """Thread-safe access to one workspace folder."""

    def __init__(self, root: Path, *, read_only: bool = False) -> None:
        """Open (or create) the workspace in ``root``. ``read_only``: a workspace that does not
        exist yet is read as a new, empty one, and nothing is created (reads never write)."""
        self.root = root
        database = root / "workspace.db"
        for path in (database, *(database.with_name(database.name + x) for x in _COMPANIONS)):
            if path.is_symlink():  # SQLite would follow it and write wherever it points
                raise ReconcileError(
                    f"{path} is a symbolic link; the embedded workspace's database is never "
                    "read or written through one; nothing was changed",
                    hint=f"remove the link ({path}); put the workspace where workspace.path says",
                )
        if not read_only and (root / LOCK_FILE).is_symlink():
            raise linked_lock(root / LOCK_FILE)  # refused before a database is created
        target: Path | str = database
        if read_only and not database.exists():
            target = ":memory:"
        else:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not database.exists():  # created owner-only; SQLite gives its WAL the same mode
                flags = os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW
                os.close(os.open(database, flags, 0o600))
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(target, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            if "heartbeat_at" not in columns:
                self._db.execute("ALTER TABLE jobs ADD COLUMN heartbeat_at REAL")
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(data_versions)")}
            if "updated_at" not in columns:
                self._db.execute("ALTER TABLE data_versions ADD COLUMN updated_at TEXT")
            with self.transaction() as db:
                start = datetime.now(UTC) - timedelta(seconds=1)  # before anything users make
                for index, (name, body) in enumerate(SYSTEM_DATASTORE_BODIES.items()):
                    full: dict[str, Any] = {
                        "account_name": _ACCOUNT,
                        "endpoint": "core.windows.net",
                        "protocol": "https",
                        "description": None,
                        "tags": {},
                        **body,
                    }
                    created = timestamp(start + timedelta(milliseconds=index))  # distinct, ordered
                    db.execute(
                        "INSERT OR IGNORE INTO objects VALUES ('datastore', ?, ?, '{}', 1, ?, ?)",
                        (name, json.dumps(full), created, created),
                    )
        except sqlite3.DatabaseError as exc:
            raise ReconcileError(
                f"the embedded workspace's database {database} cannot be read ({exc})",
                hint="if it is damaged, move the folder aside and apply again to rebuild it "
                "(imported data files are kept in its datastores/ folder)",
            ) from None

    def close(self) -> None:
        self._db.close()

    def generation(self) -> tuple[int, int]:
        """Changes whenever the database does (from this connection or another process's): a
        reader may reuse what it parsed while this stays the same."""
        with self._lock:
            (data_version,) = self._db.execute("PRAGMA data_version").fetchone()
            return int(data_version), self._db.total_changes

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of reads and writes (also across threads of this process)."""
        with self._lock, self._db:
            yield self._db

    # --- connections, datastores, schedules --------------------------------------------------

    def list_objects(self, kind: str) -> list[Record]:
        with self.transaction() as db:
            rows = db.execute(
                "SELECT kind, name, body, system, created_at, updated_at FROM objects "
                "WHERE kind = ? ORDER BY name",
                (kind,),
            ).fetchall()
        return [Record(r[0], r[1], json.loads(r[2]), bool(r[3]), r[4], r[5]) for r in rows]

    def get(self, kind: str, name: str) -> Record | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT kind, name, body, system, created_at, updated_at FROM objects "
                "WHERE kind = ? AND name = ?",
                (kind, name),
            ).fetchone()
        return (
            Record(row[0], row[1], json.loads(row[2]), bool(row[3]), row[4], row[5])
            if row
            else None
        )

    def put(self, kind: str, name: str, body: dict[str, Any], secrets: dict[str, str]) -> bool:
        """Create or replace; returns True when it created. Secrets are kept apart."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT system FROM objects WHERE kind = ? AND name = ?", (kind, name)
            ).fetchone()
            if row and row[0]:
                raise ProviderError(f"{kind} {name!r} is a system {kind} and cannot be modified")
            stamp = now()
            db.execute(
                "INSERT INTO objects VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (kind, name) DO "
                "UPDATE SET body = excluded.body, secrets = excluded.secrets, "
                "updated_at = excluded.updated_at",
                (kind, name, json.dumps(body, sort_keys=True), json.dumps(secrets), stamp, stamp),
            )
        return row is None

    def put_system(self, name: str, body: dict[str, Any]) -> None:
        """Write a system datastore (as a workspace's own set-up would; users cannot)."""
        stamp = now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO objects VALUES ('datastore', ?, ?, '{}', 1, ?, ?) "
                "ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body, system = 1, "
                "updated_at = excluded.updated_at",
                (name, json.dumps(body, sort_keys=True), stamp, stamp),
            )

    def delete(self, kind: str, name: str) -> bool:
        with self.transaction() as db:
            row = db.execute(
                "SELECT system FROM objects WHERE kind = ? AND name = ?", (kind, name)
            ).fetchone()
            if row and row[0]:
                raise ProviderError(f"{kind} {name!r} is a system {kind} and cannot be deleted")
            db.execute("DELETE FROM objects WHERE kind = ? AND name = ?", (kind, name))
        return row is not None

    def secrets(self, kind: str, name: str) -> dict[str, str]:
        """The stored secret values: for the workspace's own use (running imports), never
        returned by reads, as in Azure ML."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT secrets FROM objects WHERE kind = ? AND name = ?", (kind, name)
            ).fetchone()
        return dict(json.loads(row[0])) if row else {}

    # --- data asset versions -----------------------------------------------------------------

    def list_versions(self, name: str) -> list[tuple[str, dict[str, Any], str]]:
        with self.transaction() as db:
            rows = db.execute(
                "SELECT version, body, created_at FROM data_versions WHERE name = ?", (name,)
            ).fetchall()
        return [(r[0], json.loads(r[1]), r[2]) for r in rows]

    def version_records(self, name: str) -> list[VersionRecord]:
        """The versions of ``name`` in the order they were created, with their update times."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT version, body, created_at, updated_at FROM data_versions WHERE name = ? "
                "ORDER BY created_at, rowid",
                (name,),
            ).fetchall()
        return [VersionRecord(r[0], json.loads(r[1]), r[2], r[3]) for r in rows]

    def version_paths(self) -> list[tuple[str, str, str]]:
        """(asset, version, path) of every data version of every asset, archived or not."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT name, version, coalesce(json_extract(body, '$.path'), '') "
                "FROM data_versions ORDER BY name, version"
            ).fetchall()
        return [(r[0], r[1], str(r[2])) for r in rows]

    def list_asset_names(self) -> list[str]:
        with self.transaction() as db:
            rows = db.execute("SELECT DISTINCT name FROM data_versions ORDER BY name").fetchall()
        return [r[0] for r in rows]

    def create_version(self, name: str, version: str, body: dict[str, Any]) -> None:
        """Register a version; an existing one is immutable (same path: metadata only)."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT body FROM data_versions WHERE name = ? AND version = ?", (name, version)
            ).fetchone()
            if row is not None and json.loads(row[0]).get("path") != body.get("path"):
                raise ProviderError(
                    f"data asset {name}:{version} already exists with another path; asset paths "
                    "cannot be updated",
                    hint="bump the version",
                )
            db.execute(
                "INSERT INTO data_versions VALUES (?, ?, ?, ?, NULL) ON CONFLICT (name, version) "
                "DO UPDATE SET body = excluded.body, updated_at = excluded.created_at",
                (name, version, json.dumps(body, sort_keys=True), now()),
            )

    def is_archived(self, name: str) -> bool:
        record = self.get(DATA_CONTAINER, name)
        return bool(record and record.body.get("is_archived"))

    def set_archived(self, name: str, archived: bool) -> None:
        """Archive (hide from default listings, keep every version) or restore a data asset;
        the rest of its record (an emulated container's tags) is kept."""
        with self.transaction() as db:
            stamp = now()
            row = db.execute(
                "SELECT body FROM objects WHERE kind = ? AND name = ?", (DATA_CONTAINER, name)
            ).fetchone()
            body = {**(json.loads(row[0]) if row else {}), "is_archived": archived}
            db.execute(
                "INSERT INTO objects VALUES (?, ?, ?, '{}', 0, ?, ?) ON CONFLICT (kind, name) DO "
                "UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (DATA_CONTAINER, name, json.dumps(body, sort_keys=True), stamp, stamp),
            )

    # --- import jobs -------------------------------------------------------------------------

    def create_job(
        self, job_id: str, asset: str, version: str, body: dict[str, Any], pid: int
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO jobs (id, asset, version, body, status, created_at, pid, "
                "heartbeat_at) VALUES (?, ?, ?, ?, 'Preparing', ?, ?, ?)",
                (
                    job_id,
                    asset,
                    version,
                    json.dumps(body, sort_keys=True),
                    now(),
                    pid,
                    time.time(),
                ),
            )

    def update_job(self, job_id: str, **fields: Any) -> None:
        allowed = {"status", "started_at", "ended_at", "rows", "error", "pid", "heartbeat_at"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        sets = ", ".join(f"{key} = ?" for key in fields)
        with self.transaction() as db:
            db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*fields.values(), job_id))

    def list_jobs(self, asset: str | None = None) -> list[JobRecord]:
        query = (
            "SELECT id, asset, version, body, status, created_at, started_at, ended_at, rows, "
            "error, pid, heartbeat_at FROM jobs"
        )
        with self.transaction() as db:
            if asset is None:
                rows = db.execute(query + " ORDER BY created_at, id").fetchall()
            else:
                rows = db.execute(
                    query + " WHERE asset = ? ORDER BY created_at, id", (asset,)
                ).fetchall()
        return [_job_record(r) for r in rows]

    def find_jobs(
        self, *, imports_only: bool = False, text: tuple[str, ...] = ()
    ) -> list[JobRecord]:
        """Jobs, newest first: only imports (they name an asset) and only those whose stored
        body contains every string of ``text`` (a cheap pre-filter: callers check the parsed
        body). Indexed on the asset, so unrelated jobs cost nothing when ``imports_only``."""
        where = ["asset > ''"] if imports_only else []
        where += ["instr(body, ?) > 0" for _ in text]
        query = (
            "SELECT id, asset, version, body, status, created_at, started_at, ended_at, rows, "
            "error, pid, heartbeat_at FROM jobs"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY created_at DESC, id DESC"
        )
        with self.transaction() as db:
            rows = db.execute(query, text).fetchall()
        return [_job_record(r) for r in rows]

    def recent_jobs(self, since: str, limit: int) -> list[JobRecord]:
        """Jobs of any kind submitted at ``since`` or later, newest first, at most ``limit``:
        read through the index on their creation time, so the rest of the history costs
        nothing."""
        query = (
            "SELECT id, asset, version, body, status, created_at, started_at, ended_at, rows, "
            "error, pid, heartbeat_at FROM jobs WHERE created_at >= ? "
            "ORDER BY created_at DESC, id DESC LIMIT ?"
        )
        with self.transaction() as db:
            rows = db.execute(query, (since, limit)).fetchall()
        return [_job_record(r) for r in rows]

    def job_index(self, archived: bool | None) -> list[tuple[str, str]]:
        """(created_at, id) of every job, newest first, archived or not (``None``: both), the
        flag read where a client's body keeps it: a listing pages through this without
        parsing a body it does not answer."""
        where = ""
        if archived is not None:
            flag = "coalesce(json_extract(body, '$.rest.properties.isArchived'), 0)"
            where = f" WHERE {flag} = {1 if archived else 0}"
        with self.transaction() as db:
            rows = db.execute(
                "SELECT created_at, id FROM jobs" + where + " ORDER BY created_at DESC, id DESC"
            ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def get_job(self, job_id: str) -> JobRecord | None:
        query = (
            "SELECT id, asset, version, body, status, created_at, started_at, ended_at, rows, "
            "error, pid, heartbeat_at FROM jobs WHERE id = ?"
        )
        with self.transaction() as db:
            row = db.execute(query, (job_id,)).fetchone()
        return _job_record(row) if row else None

    def heartbeat(self, job_id: str) -> None:
        self.update_job(job_id, heartbeat_at=time.time())


def _job_record(row: Any) -> JobRecord:
    return JobRecord(
        row[0],
        row[1],
        row[2],
        json.loads(row[3]),
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
    )
