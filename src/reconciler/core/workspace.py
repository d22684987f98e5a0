"""What the planner may read and what apply may write.

The planner gets a `WorkspaceReader` (reads only, and reads never write); apply gets a
`Workspace` (reads and writes). Resources travel as typed essences (see
`reconciler.core.essences`); secret values arrive separately, already resolved, and a provider
stores them write-only, with reconciler's tags (ownership, secret hashes, provenance) beside
the user's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Protocol

from reconciler.core.consumers import LiveConsumers
from reconciler.core.essences import (
    AnyEssence,
    AutoDelete,
    ImportDefinition,
    ImportEssence,
    Kind,
)
from reconciler.core.live import DataLocation, ImportJob, LiveAsset, LiveResource

Progress = Callable[[int], None]


class WorkspaceReader(Protocol):
    def describe(self) -> str:
        """A short, stable, secret-free name of the workspace, e.g. ``local:.reconcile/local``."""
        ...

    def list_resources(self, kind: Kind) -> list[LiveResource]:
        """Every connection, datastore or schedule in the workspace (system ones included)."""
        ...

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        """Versions and import jobs of the named data assets, archived or not (missing ones are
        left out)."""
        ...

    def summarize_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        """What a plan needs of the named data assets, as cheaply as the workspace can say it:
        as `list_assets`, except that a version other than the latest may come without its
        description and tags (a remote workspace reads them off its listings rather than one
        version list per asset)."""
        ...

    def list_other_data(self, exclude: Iterable[str]) -> list[DataLocation]:
        """Where the data of every data asset not named in ``exclude`` is (any project's or
        none, archived or not): each version's folder, and the folder each of their imports
        still running writes to."""
        ...

    def list_imported_assets(self, owner: str) -> list[str]:
        """Names of the data assets that ``owner``'s imports made and that are not archived."""
        ...

    def list_import_definitions(self) -> dict[str, ImportDefinition]:
        """Every data asset (not archived) an import made, by anyone, with the definition of
        the latest completed run that made it; and every one a move (``moved:``) registered
        over an import's data, with the definition of the run that made that data (its name
        was another then): what ``reconcile export`` recovers imports from (see
        `reconciler.core.live.import_definitions`)."""
        ...

    def list_consumers(self, since: datetime, limit: int) -> LiveConsumers:
        """Every schedule (of any action: import, command or pipeline job), and the jobs (of any
        type) submitted since ``since``, newest first, at most ``limit`` of them: a read whose
        cost does not grow with the workspace's history."""
        ...

    def stored_secret_key(self) -> bytes | None:
        """The key this workspace keeps for reconciler's secret hashes when the desired state
        declares none (``settings.secret_key``); None if none is kept yet. A workspace that
        cannot keep one where only the applier reads it (Azure ML: Reader sees everything)
        raises `reconciler.core.errors.ReconcileError` saying to declare it."""
        ...


class LockGuard(Protocol):
    """A held apply lock, asked before every write whether it is still ours."""

    def check(self) -> None:
        """Return if the lock is surely still held; else raise `reconciler.core.errors.LockLost`
        (and keep raising it). Cheap enough to ask before every write."""
        ...


class Workspace(WorkspaceReader, Protocol):
    def lock(self, holder: str, timeout: float) -> AbstractContextManager[LockGuard]:
        """Hold the workspace's apply lock (one apply at a time), waiting up to ``timeout``
        seconds; raises `reconciler.core.errors.LockHeld` naming who holds it and since when.
        While it is held the workspace itself checks the guard before each write (a lost lock
        makes the write raise `LockLost`, nothing sent); the engine also asks it before each
        step."""
        ...

    def new_secret_key(self) -> bytes:
        """`stored_secret_key`, made now (random, readable by its owner only) if there is none
        yet."""
        ...

    def put(
        self,
        kind: Kind,
        name: str,
        essence: AnyEssence,
        secrets: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> None:
        """Create or update a connection, datastore or schedule.

        ``secrets`` maps field paths (``credentials.password``) to values; ``tags`` are the
        reconciler tags to store beside the user's tags.
        """
        ...

    def delete(self, kind: Kind, name: str) -> None: ...

    def archive_asset(self, name: str) -> None:
        """Archive a data asset: hidden from listings, every version kept (never deleted)."""
        ...

    def restore_asset(self, name: str) -> None:
        """Undo `archive_asset`: the data asset is listed again, with every version."""
        ...

    def materialize(
        self,
        name: str,
        version: str,
        essence: ImportEssence,
        progress: Progress | None = None,
        *,
        tags: Mapping[str, str] | None = None,
    ) -> ImportJob:
        """Run an import and register data asset ``name:version`` when (and only if) it
        completes, with the user's tags plus ``tags``. Returns the finished job."""
        ...

    def update_asset_metadata(
        self,
        name: str,
        version: str,
        description: str | None,
        tags: Mapping[str, str],
        *,
        definition: ImportEssence | None = None,
        auto_delete: AutoDelete | None = None,
    ) -> None:
        """Change the description, tags and auto-delete setting of an existing version:
        ``tags`` are the user's and reconciler's (ownership, protection, provenance), which
        replace those it had; its data and the tags that describe it
        (`reconciler.core.vocabulary.DATA_TAGS`) are kept. ``definition``: record this
        definition (and fingerprint) as the one the version was made with: the same data,
        through a connection or datastore that moved. An import's own ``auto_delete_setting``
        is written when it registers (`materialize`)."""
        ...

    def share_versions(self, source: str, name: str) -> None:
        """Register every version of data asset ``source`` as the same version of ``name``, over
        the same data (nothing copied, nothing imported): path, type, description, tags and
        properties as they are, with ``reconciler.moved-from: <source>``; and tag each version
        of ``source`` ``reconciler.moved-to: <name>``. What is already registered is left as it
        is, so it can be run again."""
        ...

    def forget(self, kind: Kind, name: str) -> None:
        """Stop managing a connection, datastore or schedule: drop reconciler's tags (ownership,
        protection, secret hashes, provenance); everything else, secrets included, is kept."""
        ...

    def forget_asset(self, name: str) -> None:
        """Stop managing a data asset: drop reconciler's ownership, protection and provenance
        tags from every version; the user's tags and those describing the data are kept."""
        ...

    def data_folder(self, name: str, version: str) -> Path:
        """A local folder holding the version's files (a provider may download them)."""
        ...
