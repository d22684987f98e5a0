"""Data assets as a plan reads them: from the lists the service already answers.

Azure ML has no list of versions across assets, so reading each declared asset's version list
is one request per import. A plan avoids that: it reads two lists whose length does not depend
on the workspace's history, both filtered or paged by the service,

- the containers of every data asset (``GET data?listViewType=All``): each one's
  ``latestVersion``, ``nextVersion``, archived flag, and the tags reconciler writes on it when it
  labels the latest version (a copy of that version's tags, and a `LatestRecord` of the versions
  the asset had then), and
- reconciler's import runs (``GET jobs?properties=...``): each one's version, definition,
  fingerprint, owner and output folder,

and knows an asset from them while its container says no version was registered since
reconciler labelled it (`summarize_assets`). An asset whose listing says it changed (a
schedule's run, a version made by hand, a label that failed) or that no record describes is read
as before, with its version list (`list_assets`), in parallel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from reconciler.core.essences import ImportDefinition
from reconciler.core.live import (
    AssetVersion,
    DataLocation,
    ImportJob,
    JobStatus,
    LiveAsset,
    auto_delete_of,
    import_definitions,
    with_job_definitions,
)
from reconciler.core.tags import LatestRecord, split_tags
from reconciler.core.vocabulary import FINGERPRINT_PROPERTY, MOVED_FROM_TAG
from reconciler.providers.azureml.reads import Container, ImportRun, RestReader

READ_PARALLELISM = 32  # concurrent version lists; each is one short request
Call = Callable[[str, Callable[[], Any]], Any]


class AssetReads:
    """Reads data assets, their versions and import runs; lists several callers need at once
    (a plan's `summarize_assets` and `list_imported_assets` run together) are read once."""

    def __init__(self, rest: RestReader, call: Call) -> None:
        self.rest = rest
        self._call = call
        self._lock = threading.Lock()
        self._reading: dict[str, Future[Any]] = {}

    # --- what a plan reads ---------------------------------------------------------------------

    def summarize_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        """The declared assets, from the container list and the import runs; the version list
        only of those whose container says something was registered since reconciler labelled
        it (or that no record describes)."""
        wanted = sorted(set(names))
        if not wanted:
            return []
        with ThreadPoolExecutor(max_workers=1) as pool:
            reading = pool.submit(self._containers)
            jobs = _by_asset(self._import_runs())
            containers = reading.result()
        found: dict[str, LiveAsset] = {}
        unknown = []
        for name in wanted:
            asset_jobs = jobs.get(name, ())
            container = containers.get(name)
            if container is None:  # no version yet
                if asset_jobs:
                    found[name] = LiveAsset(name, (), asset_jobs)
                continue
            versions = summarized(container, asset_jobs)
            if versions is None:
                unknown.append(name)
            else:
                found[name] = LiveAsset(name, versions, asset_jobs, container.archived)
        archived = {name for name, c in containers.items() if c.archived}
        for asset in self._read_versions(unknown, jobs, archived):
            found[asset.name] = asset
        return [found[name] for name in wanted if name in found]

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        """Versions and import runs of the named assets, each with its version list."""
        wanted = sorted(set(names))
        if not wanted:
            return []
        with ThreadPoolExecutor(max_workers=1) as pool:
            reading = pool.submit(self._containers)
            jobs = _by_asset(self._import_runs())
            archived = {name for name, c in reading.result().items() if c.archived}
        return self._read_versions(wanted, jobs, archived)

    def _read_versions(
        self, names: list[str], jobs: dict[str, tuple[ImportJob, ...]], archived: set[str]
    ) -> list[LiveAsset]:
        if not names:
            return []
        with ThreadPoolExecutor(max_workers=min(READ_PARALLELISM, len(names))) as pool:
            versions = list(pool.map(self.versions, names))
        assets = []
        by_folder = {
            job.output: job
            for runs in jobs.values()
            for job in runs
            if job.status is JobStatus.COMPLETED and job.output
        }
        for name, found in zip(names, versions, strict=True):
            asset_jobs = jobs.get(name, ())
            resolved = with_job_definitions(tuple(found), asset_jobs, by_folder)
            if resolved or asset_jobs:
                assets.append(LiveAsset(name, resolved, asset_jobs, name in archived))
        return self._with_foreign_definitions(assets)

    def _with_foreign_definitions(self, assets: list[LiveAsset]) -> list[LiveAsset]:
        """A latest version no reconciler run made (plain SDK code, the studio) takes the
        definition of the import run that made it, so adopting it plans no new import. Read
        only when such a version exists: the service filters the runs to import runs."""
        bare = [
            a
            for a in assets
            if (latest := a.latest_version()) and not latest.fingerprint and not latest.definition
        ]
        if not bare:
            return assets
        definitions = self._call("list import runs", self.rest.import_definitions)
        out = []
        for asset in assets:
            latest = asset.latest_version()
            definition = definitions.get(asset.name)
            if asset in bare and latest is not None and definition is not None:
                versions = tuple(
                    replace(v, definition=definition) if v is latest else v for v in asset.versions
                )
                asset = replace(asset, versions=versions)
            out.append(asset)
        return out

    def versions(self, name: str, view: str = "ActiveOnly") -> list[AssetVersion]:
        found: list[AssetVersion] = self._call(
            f"list versions of data asset {name}", lambda: self.rest.versions(name, view)
        )
        return found

    def list_other_data(self, exclude: Iterable[str]) -> list[DataLocation]:
        """Where every other asset's data is: the containers (one list, paged), a version list
        for each asset not in ``exclude``, and the folders their running imports write to. Only
        a plan that imports reads this."""
        skip = set(exclude)
        with ThreadPoolExecutor(max_workers=READ_PARALLELISM) as pool:
            runs = pool.submit(self._import_runs)
            names = sorted(set(self._containers()) - skip)
            versions = list(pool.map(lambda name: self.versions(name, "All"), names))
            found = [
                DataLocation(name, v.version, v.path)
                for name, listed in zip(names, versions, strict=True)
                for v in listed
            ]
            found += [
                DataLocation(run.asset, run.job.version, run.job.output, running=True)
                for run in runs.result()
                if run.asset not in skip and run.job.active and run.job.output
            ]
        return found

    def list_import_definitions(self) -> dict[str, ImportDefinition]:
        """The import runs and the containers, then a version list for each data asset not
        archived that no run made (hand-registered ones, or a move's): `import_definitions`."""
        with ThreadPoolExecutor(max_workers=READ_PARALLELISM) as pool:
            reading = pool.submit(self._containers)
            made = self._call("list import runs", self.rest.imported_data)
            containers = reading.result()
            ran = {data.asset for data in made}
            archived = {name for name, c in containers.items() if c.archived}
            names = sorted(set(containers) - ran - archived)
            versions = list(pool.map(self.versions, names))
        return import_definitions(made, dict(zip(names, versions, strict=True)), archived)

    def list_imported_assets(self, owner: str) -> list[str]:
        """Assets named by ``owner``'s import runs, less the archived ones (as the embedded
        workspace answers): the import runs and the containers, both read once for a plan."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            archived = pool.submit(self.archived_names)
            names = {run.asset for run in self._import_runs() if run.job.owner == owner}
            return sorted(names - archived.result())

    def archived_names(self) -> set[str]:
        return {name for name, c in self._containers().items() if c.archived}

    # --- lists read once for the callers that ask at the same time ------------------------------

    def _import_runs(self) -> list[ImportRun]:
        runs: list[ImportRun] = self._shared("list import jobs", self.rest.import_runs)
        return runs

    def _containers(self) -> dict[str, Container]:
        found: list[Container] = self._shared("list data assets", self.rest.containers)
        return {c.name: c for c in found}

    def _shared(self, what: str, read: Callable[[], Any]) -> Any:
        """``read()``, once for the callers that ask at the same time; a later call reads
        afresh."""
        with self._lock:
            reading = self._reading.get(what)
            first = reading is None
            if reading is None:
                reading = self._reading[what] = Future()
        if not first:
            return reading.result()
        try:
            found = self._call(what, read)
            reading.set_result(found)
            return found
        except BaseException as exc:
            reading.set_exception(exc)
            raise
        finally:
            with self._lock:
                del self._reading[what]


def _by_asset(runs: list[ImportRun]) -> dict[str, tuple[ImportJob, ...]]:
    jobs: dict[str, list[ImportJob]] = {}
    for run in runs:
        jobs.setdefault(run.asset, []).append(run.job)
    return {
        name: tuple(sorted(found, key=lambda j: (j.started_at, j.id)))
        for name, found in jobs.items()
    }


def summarized(
    container: Container, jobs: tuple[ImportJob, ...]
) -> tuple[AssetVersion, ...] | None:
    """An asset's versions from its container and its import runs, or None when they cannot
    say: no record of reconciler's on the container, a version registered since it was
    written, or a recorded version that no listed run made (its folder is unknown)."""
    record = LatestRecord.read(container.tags)
    if record is None or not record.current(container.latest, container.next):
        return None
    made = {j.version: j for j in jobs if j.status is JobStatus.COMPLETED}
    if any(v not in made for v in record.versions) or record.version not in made:
        return None
    tags = split_tags(container.tags)
    if not tags.managed:  # released, or made by hand: each version's own tags say whose it is
        return None
    versions = []
    for version in record.versions:
        job = made[version]
        found = AssetVersion(
            version=version,
            path=job.output,
            fingerprint=job.fingerprint,
            description=None,
            tags={},
            managed=job.owner is not None,
            created_at=job.started_at,
            definition=job.definition,
            owner=job.owner,
        )
        if version == record.version:  # its tags and description are the container's
            found = replace(
                found,
                fingerprint=container.tags.get(FINGERPRINT_PROPERTY) or job.fingerprint,
                description=container.description,
                tags=tags.user,
                managed=tags.managed,
                owner=tags.owner,
                provenance=tags.provenance,
                prevent_destroy=tags.prevent_destroy,
                moved_from=container.tags.get(MOVED_FROM_TAG),
                auto_delete=auto_delete_of(record.auto_delete),
            )
        versions.append(found)
    return tuple(versions)
