"""What a workspace holds, as reconciler reads it: live resources, data assets with their
versions and the import jobs that make them, and where data already is.

Providers read the workspace into these values; the planner compares them with the desired
state. No I/O.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from reconciler.core.essences import AnyEssence, AutoDelete, ImportDefinition, Kind, address
from reconciler.core.tags import SplitTags
from reconciler.core.vocabulary import next_version as _next_version
from reconciler.core.vocabulary import snake_case, version_key, wire_condition


@dataclass(frozen=True)
class LiveResource:
    kind: Kind
    name: str
    essence: AnyEssence  # the kind's essence type
    managed: bool
    system: bool = False
    secret_hashes: dict[str, str] = field(default_factory=dict)
    owner: str | None = None  # <project>/<environment> from the ownership tag
    provenance: dict[str, str] = field(default_factory=dict)
    prevent_destroy: bool = False
    # fields the workspace never returns (a connection's user name on Azure ML, unless
    # reconciler wrote it beside the connection): unknown, so never planned as a change
    unreadable: tuple[str, ...] = ()

    @classmethod
    def read(
        cls,
        kind: Kind,
        name: str,
        essence: AnyEssence,
        tags: SplitTags,
        system: bool = False,
        unreadable: tuple[str, ...] = (),
    ) -> LiveResource:
        """A live resource with what reconciler wrote beside it (see `split_tags`)."""
        return cls(
            kind,
            name,
            essence,
            tags.managed,
            system,
            tags.hashes,
            tags.owner,
            tags.provenance,
            tags.prevent_destroy,
            unreadable,
        )

    @property
    def address(self) -> str:
        return address(self.kind, self.name)

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.essence.to_dict())


class JobStatus(StrEnum):
    """An import job's state, in the service's words (providers map the service's others,
    such as ``NotResponding``, onto these)."""

    PREPARING = "Preparing"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def active(self) -> bool:
        """Still running: its data may yet land, and nothing starts it again."""
        return self in (JobStatus.PREPARING, JobStatus.RUNNING)

    @property
    def unsuccessful(self) -> bool:
        """Failed or cancelled: it registered no version, and a plan retries it."""
        return self in (JobStatus.FAILED, JobStatus.CANCELED)


@dataclass(frozen=True)
class AssetVersion:
    version: str
    path: str
    fingerprint: str | None
    description: str | None
    tags: dict[str, str]
    managed: bool
    created_at: str = ""
    definition: ImportDefinition | None = None  # what it was imported with
    provenance: dict[str, str] = field(default_factory=dict)
    owner: str | None = None  # <project>/<environment> from the ownership tag
    prevent_destroy: bool = False  # as recorded in its tags
    moved_from: str | None = None  # registered over this asset's data by a move (moved:)
    auto_delete: AutoDelete | None = None  # when the service deletes it (managed datastore)


@dataclass(frozen=True)
class ImportJob:
    id: str
    asset: str
    version: str
    fingerprint: str | None
    status: JobStatus
    started_at: str = ""
    ended_at: str = ""
    rows: int | None = None
    error: str | None = None
    definition: ImportDefinition | None = None
    owner: str | None = None  # the owner reconciler gave the run, if it made it
    output: str = ""  # the datastore folder the run writes its data to

    @property
    def active(self) -> bool:
        return self.status.active


@dataclass(frozen=True)
class DataLocation:
    """Where data of a data asset lives: a registered version's folder, or the folder an import
    run still running writes to (``running``). What no other import may write into."""

    asset: str
    version: str
    path: str  # canonical azureml://datastores/<datastore>/paths/<folder> (or another URI)
    running: bool = False


@dataclass(frozen=True)
class LiveAsset:
    """A data asset with its versions and the import jobs that materialise it."""

    name: str
    versions: tuple[AssetVersion, ...] = ()
    jobs: tuple[ImportJob, ...] = ()
    archived: bool = False  # hidden from listings (by --prune or by hand), versions kept

    def latest_version(self) -> AssetVersion | None:
        return max(self.versions, key=lambda v: version_key(v.version), default=None)

    def acted_on(self, pinned: str | None) -> AssetVersion | None:
        """The version an import's plan acts on: the pinned one when it exists, else the latest."""
        found = next((v for v in self.versions if v.version == pinned), None) if pinned else None
        return found or self.latest_version()

    def owning_version(self) -> AssetVersion | None:
        """The latest version reconciler tagged: its tags say who owns the asset and whether it
        is protected. A bare version (a schedule's run, or one registered by hand) changes
        neither; an asset with none was made by hand."""
        managed = (v for v in self.versions if v.managed)
        return max(managed, key=lambda v: version_key(v.version), default=None)

    def data(self) -> list[DataLocation]:
        """Where its data is: its versions' folders and those its running imports write to."""
        found = [DataLocation(self.name, v.version, v.path) for v in self.versions]
        found += [
            DataLocation(self.name, j.version, j.output, running=True)
            for j in self.jobs
            if j.active and j.output
        ]
        return found

    def next_version(self) -> str:
        """After the highest registered or running version; a failed run's number is reused."""
        taken = [v.version for v in self.versions]
        taken += [j.version for j in self.jobs if j.active]
        return _next_version(taken)


@dataclass(frozen=True)
class LiveState:
    """What a plan reads of a workspace."""

    resources: tuple[LiveResource, ...]
    assets: tuple[LiveAsset, ...]
    imported: tuple[str, ...] = ()  # data assets this owner's imports made (not archived)
    # the data of every other data asset (not declared here), archived or not; None when not
    # read yet (only a plan that writes a new version needs it)
    elsewhere: tuple[DataLocation, ...] | None = ()


def with_job_definitions(
    versions: tuple[AssetVersion, ...],
    jobs: tuple[ImportJob, ...],
    by_folder: Mapping[str, ImportJob] | None = None,
) -> tuple[AssetVersion, ...]:
    """Versions whose fingerprint, definition or owner is unknown take them from the completed
    job that made them: Azure ML registers an import's version itself, bare, and reconciler
    labels it only afterwards (a label that failed leaves it bare). The label carries the
    fingerprint but not the definition (a query is longer than a tag may be), so the definition
    a version was made from, the old side of a changed query's diff, is always the job's.
    A version a move registered (``moved:``) over another asset's data has no run of its own:
    the completed run of ``by_folder`` that wrote its folder made it, when it made the data
    the version's fingerprint describes."""
    done = {j.version: j for j in jobs if j.status is JobStatus.COMPLETED}

    def resolved(version: AssetVersion) -> AssetVersion:
        job = done.get(version.version)
        if job is None:
            made = (by_folder or {}).get(version.path) if version.moved_from else None
            same = made is not None and made.fingerprint == version.fingerprint
            if made is not None and same and version.definition is None:
                return replace(version, definition=made.definition)
            return version
        if version.fingerprint is not None:  # labelled (or released: removed from management)
            if version.definition is None and version.fingerprint == job.fingerprint:
                return replace(version, definition=job.definition)  # the old side of a diff
            return version
        version = replace(version, fingerprint=job.fingerprint, definition=job.definition)
        if not version.managed and job.owner is not None:
            version = replace(version, managed=True, owner=job.owner)
        return version

    return tuple(resolved(v) for v in versions)


@dataclass(frozen=True)
class ImportedData:
    """Data a completed import run made: the data asset it registered, the folder its data is
    in and the definition it ran."""

    asset: str
    folder: str
    definition: ImportDefinition


def import_definitions(
    made: Iterable[ImportedData],
    moved: Mapping[str, Iterable[AssetVersion]],
    archived: Collection[str],
) -> dict[str, ImportDefinition]:
    """What `WorkspaceReader.list_import_definitions` answers, from every completed import run
    (``made``, oldest first) and the versions of data assets no run made (``moved``): each data
    asset not archived that a run made, with its latest run's definition; and each that a move
    (``moved:``) registered over a run's data (``reconciler.moved-from``, the same folder), with
    the definition of the run that made its latest such version."""
    by_asset: dict[str, ImportDefinition] = {}
    by_folder: dict[str, ImportDefinition] = {}
    for data in made:  # oldest first: the latest run wins
        by_asset[data.asset] = by_folder[data.folder] = data.definition
    found = {name: d for name, d in by_asset.items() if name not in archived}
    for name, versions in moved.items():
        if name in by_asset or name in archived:
            continue
        shared = [v for v in versions if v.moved_from and v.path in by_folder]
        latest = max(shared, key=lambda v: version_key(v.version), default=None)
        if latest is not None:
            found[name] = by_folder[latest.path]
    return found


def json_object(text: object) -> dict[str, Any] | None:
    """A JSON object stored as a string property (e.g. ``reconciler.definition``), or None."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def auto_delete_of(wire: object) -> AutoDelete | None:
    """A version's auto-delete setting as the service or a store holds it
    (``{"condition": "createdGreaterThan", "value": "30d"}``, any casing), or None."""
    if not isinstance(wire, dict) or not wire.get("value"):
        return None
    condition = snake_case(str(wire.get("condition") or "created_greater_than"))
    return AutoDelete(condition=condition, value=str(wire["value"]))


def auto_delete_wire(setting: AutoDelete) -> dict[str, str]:
    """What azure-ai-ml sends for ``setting`` (and a store keeps)."""
    return {"condition": wire_condition(setting.condition), "value": setting.value}


def stored_definition(text: object) -> ImportDefinition | None:
    """An import definition stored as a JSON string property, or None when absent or unreadable."""
    data = json_object(text)
    if data is None:
        return None
    try:
        return ImportDefinition.model_validate(data)
    except ValueError:
        return None
