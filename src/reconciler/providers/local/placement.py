"""Where an import's data may land on the embedded workspace: never over data.

A version's folder is claimed right before the import's data moves there, not assumed free: it
must hold no data and lie in no registered version's folder, of any asset, archived or not (a
data version is immutable). The one exception is what an interrupted import of this workspace
left: it moved its data into place and died before registering it. Its data carries a marker
file naming its job, which never completed; only then is the folder cleared. The marker is
removed once the version is registered.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.core.errors import ImportFailed
from reconciler.core.live import JobStatus
from reconciler.core.names import data_key, overlaps
from reconciler.providers.local.store import Store

MARKER = ".reconciler-job"  # in an import's data until it is registered: the job that wrote it


def mark(staging: Path, job_id: str) -> None:
    (staging / MARKER).write_text(job_id, encoding="utf-8")


def unmark(folder: Path) -> None:
    (folder / MARKER).unlink(missing_ok=True)


def claim(store: Store, folder: Path, output: str, what: str) -> None:
    """Make ``folder`` (datastore URI ``output``) ready to receive an import's data, or raise
    `ImportFailed` saying why not (``what``: ``import NAME: refused to write version V``)."""
    for asset, version, path in store.version_paths():
        if overlaps(path, output):
            why = (
                f"holds data asset {asset} version {version}"
                if data_key(path) == data_key(output)
                else f"overlaps the folder of data asset {asset} version {version} ({path})"
            )
            raise ImportFailed(refusal(what, output, why))
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
        folder.rmdir()
        return
    if not _left_by_interrupted_run(store, folder):
        why = (
            "already holds data that no registered version and no interrupted import of this "
            "workspace accounts for"
        )
        raise ImportFailed(refusal(what, output, why))
    shutil.rmtree(folder)


def refusal(what: str, output: str, why: str) -> str:
    return (
        f"{what} to {output}: the folder {why}; data versions are immutable, so nothing was "
        "written (give this import a path of its own)"
    )


def _left_by_interrupted_run(store: Store, folder: Path) -> bool:
    marker = folder / MARKER
    if folder.is_symlink() or marker.is_symlink() or not marker.is_file():
        return False
    record = store.get_job(marker.read_text(encoding="utf-8", errors="replace").strip())
    if record is None:
        return False
    return JobStatus(record.status).unsuccessful or record.lease_expired()
