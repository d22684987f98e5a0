"""Core values: resources in their comparable form, the essences both sides of a diff are reduced
to, with a frozen type per kind.

An essence is what reconciler manages of a resource, in az ml YAML field names, with defaults
filled in, canonical path forms, sorted tags and no secrets. Secret fields are kept aside as
`SecretRef` values keyed by their field path; only their salted hashes are ever compared.
Providers read what the workspace holds into `LiveResource` values of the same types. This
module does no I/O and imports neither the config loader nor any provider.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.core.sql import canonical
from reconciler.core.vocabulary import (
    DEFAULT_ENDPOINT,
    DEFAULT_PROTOCOL,
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    OWNER_TAG,
    PREVENT_DESTROY_TAG,
    PROVENANCE_TAG_PREFIX,
    SECRET_TAG_PREFIX,
    version_key,
)
from reconciler.core.vocabulary import next_version as _next_version


class Kind(StrEnum):
    CONNECTION = "connection"
    DATASTORE = "datastore"
    IMPORT = "import"
    SCHEDULE = "schedule"


KINDS: tuple[Kind, ...] = tuple(Kind)
CONFIG_SECTION = {
    Kind.CONNECTION: "connections",
    Kind.DATASTORE: "datastores",
    Kind.IMPORT: "imports",
}
DEFINITION_FIELDS = ("type", "source", "path")


def address(kind: Kind | str, name: str) -> str:
    return f"{kind}.{name}"


def schedule_name(import_name: str) -> str:
    return f"{import_name}-schedule"


# --- secret references -------------------------------------------------------------------------


class SecretRef(BaseModel):
    """Where a secret comes from, never the secret: ``${env:NAME}`` or
    ``${keyvault:VAULT/SECRET}`` (optionally ``/VERSION``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: Literal["env", "keyvault"]
    name: str
    vault: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        if self.source == "keyvault":
            tail = f"/{self.version}" if self.version else ""
            return f"${{keyvault:{self.vault}/{self.name}{tail}}}"
        return f"${{{self.source}:{self.name}}}"


# --- essences ----------------------------------------------------------------------------------


class Essence(BaseModel):
    """Base of every essence: frozen, one JSON-able dict form. Fields a workspace returns that
    reconciler does not model are ignored when reading (mypy, with the pydantic plugin, still
    rejects a mistyped field name in our own code)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()  # fields left out of the dict when None

    def to_dict(self) -> dict[str, Any]:
        """The plain form diffs and plan files use (alias names, optional fields left out)."""
        out: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None and name in self.OMIT_NONE:
                continue
            out[info.alias or name] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Essence):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Credentials(Essence):
    """The non-secret part of a connection's or datastore's credentials."""

    OMIT_NONE = frozenset({"username", "access_key_id", "tenant_id", "client_id", "authority_url"})
    type: str
    username: str | None = None
    access_key_id: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    authority_url: str | None = None


Tags = dict[str, str]


_NO_CREDENTIALS = Credentials(type="none")


class ConnectionEssence(Essence):
    type: str
    target: str = ""
    credentials: Credentials = _NO_CREDENTIALS
    tags: Tags = Field(default_factory=dict)


class DatastoreEssence(Essence):
    OMIT_NONE = frozenset({"container_name", "filesystem", "file_share_name"})
    type: str
    account_name: str | None = None
    container_name: str | None = None
    filesystem: str | None = None
    file_share_name: str | None = None
    endpoint: str = DEFAULT_ENDPOINT
    protocol: str = DEFAULT_PROTOCOL
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    credentials: Credentials = _NO_CREDENTIALS


class Source(Essence):
    OMIT_NONE = frozenset({"query", "path"})
    type: str
    connection: str
    query: str | None = None
    path: str | None = None


class ImportDefinition(Essence):
    """What makes an import's data: source, target path and asset type. Versions are immutable,
    so a change here means a new version."""

    type: str
    source: Source
    path: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self)

    def same_data(self, other: ImportDefinition | None) -> bool:
        """Whether ``other`` makes the same data: equal, or equal but for how the query is
        written (layout, keyword and identifier case, comments: compared parsed, by
        `reconciler.core.sql.canonical`, and only when the fingerprints differ)."""
        if other is None:
            return False
        if fingerprint(other) == fingerprint(self):
            return True
        mine, theirs = self.source, other.source
        return (self.type, self.path, mine.type, mine.connection, mine.path) == (
            other.type,
            other.path,
            theirs.type,
            theirs.connection,
            theirs.path,
        ) and canonical(mine.query or "") == canonical(theirs.query or "")


class ImportEssence(Essence):
    type: str
    source: Source
    path: str
    version: str | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    fingerprint: str

    @property
    def definition(self) -> ImportDefinition:
        return ImportDefinition(type=self.type, source=self.source, path=self.path)


class RecurrencePattern(Essence):
    hours: list[int] = Field(default_factory=list)
    minutes: list[int] = Field(default_factory=list)
    week_days: list[str] = Field(default_factory=list)
    month_days: list[int] = Field(default_factory=list)


class Trigger(Essence):
    OMIT_NONE = frozenset({"expression", "frequency", "interval", "schedule", "start_time"})
    type: Literal["cron", "recurrence"]
    expression: str | None = None
    frequency: str | None = None
    interval: int | None = None
    schedule: RecurrencePattern | None = None
    time_zone: str = "UTC"
    start_time: str | None = None


class ScheduleEssence(Essence):
    import_name: str = Field(alias="import")
    trigger: Trigger
    enabled: bool = True
    description: str | None = None
    import_definition: ImportDefinition
    tags: Tags = Field(default_factory=dict)


AnyEssence = ConnectionEssence | DatastoreEssence | ImportEssence | ScheduleEssence
_ESSENCE_TYPES: dict[Kind, type[Essence]] = {
    Kind.CONNECTION: ConnectionEssence,
    Kind.DATASTORE: DatastoreEssence,
    Kind.IMPORT: ImportEssence,
    Kind.SCHEDULE: ScheduleEssence,
}


def parse_essence(kind: Kind, data: dict[str, Any]) -> Any:
    """The typed essence of a dict form (as found in a plan file)."""
    return _ESSENCE_TYPES[kind].model_validate(data)


def fingerprint(definition: ImportDefinition) -> str:
    """What makes two imports produce the same data: connection, query/path, target, type;
    whitespace in a query does not count. Cheap on purpose (every load computes it): a layout
    that changes more than whitespace is recognised by `ImportDefinition.same_data`."""
    source = definition.source
    essential = {
        "connection": source.connection,
        "source_type": source.type,
        "query": " ".join((source.query or "").split()),
        "source_path": source.path or "",
        "path": definition.path,
        "type": definition.type,
    }
    text = json.dumps(essential, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


# --- desired and live resources ----------------------------------------------------------------


@dataclass(frozen=True)
class DesiredResource:
    kind: Kind
    name: str
    essence: Any  # the kind's essence type (see `AnyEssence`)
    secrets: dict[str, SecretRef] = field(default_factory=dict)  # field path -> reference
    depends_on: tuple[str, ...] = ()
    config_path: tuple[str, ...] = ()  # where it is declared, for error locations
    # lifecycle.prevent_destroy as written; None when not written (the recorded value stands)
    prevent_destroy: bool | None = None
    adopt: bool = False

    def protected(self, recorded: bool) -> bool:
        """Whether it is protected once this declaration is applied: as declared when written,
        else as recorded on the live resource (a removed line never lifts a protection)."""
        return recorded if self.prevent_destroy is None else self.prevent_destroy

    @property
    def address(self) -> str:
        return address(self.kind, self.name)

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.essence.to_dict())


@dataclass(frozen=True)
class LiveResource:
    kind: Kind
    name: str
    essence: Any  # the kind's essence type
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
        essence: Any,
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


JobStatus = Literal["Preparing", "Running", "Completed", "Failed", "Canceled"]
JOB_STATUSES: tuple[JobStatus, ...] = ("Preparing", "Running", "Completed", "Failed", "Canceled")


def job_status(text: str) -> JobStatus:
    for status in JOB_STATUSES:
        if status == text:
            return status
    raise ValueError(f"unknown job status {text!r}")


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
        return self.status in ("Preparing", "Running")


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
    # the data of every other data asset (not declared here), archived or not
    elsewhere: tuple[DataLocation, ...] = ()


def with_job_definitions(
    versions: tuple[AssetVersion, ...], jobs: tuple[ImportJob, ...]
) -> tuple[AssetVersion, ...]:
    """Versions whose fingerprint or owner is unknown take them from the completed job that
    made them: Azure ML registers an import's version itself, bare, and reconciler labels it
    only afterwards (a label that failed leaves it bare)."""
    done = {j.version: j for j in jobs if j.status == "Completed"}

    def resolved(version: AssetVersion) -> AssetVersion:
        job = done.get(version.version)
        if job is None:
            return version
        if version.fingerprint is None:
            version = replace(version, fingerprint=job.fingerprint, definition=job.definition)
        if not version.managed and job.owner is not None:
            version = replace(version, managed=True, owner=job.owner)
        return version

    return tuple(resolved(v) for v in versions)


@dataclass(frozen=True)
class SplitTags:
    user: dict[str, str]
    managed: bool
    hashes: dict[str, str]
    owner: str | None
    provenance: dict[str, str]
    prevent_destroy: bool = False


def split_tags(tags: dict[str, str] | None) -> SplitTags:
    """User tags, whether reconciler manages the resource (and for whom), stored secret hashes
    and provenance, from the tags (or metadata) of a resource."""
    user: dict[str, str] = {}
    hashes: dict[str, str] = {}
    provenance: dict[str, str] = {}
    managed, owner, protected = False, None, False
    for key, value in sorted((tags or {}).items()):
        if key == MANAGED_BY_TAG:
            managed = value == MANAGED_BY_VALUE
        elif key == OWNER_TAG:
            owner = value
        elif key == PREVENT_DESTROY_TAG:
            protected = value == "true"
        elif key.startswith(SECRET_TAG_PREFIX):
            hashes[key.removeprefix(SECRET_TAG_PREFIX)] = value
        elif key.startswith(PROVENANCE_TAG_PREFIX):
            provenance[key.removeprefix(PROVENANCE_TAG_PREFIX)] = value
        elif not key.startswith("reconciler."):
            user[key] = value
    return SplitTags(user, managed, hashes, owner, provenance, protected)


def json_object(text: Any) -> dict[str, Any] | None:
    """A JSON object stored as a string property (e.g. ``reconciler.definition``), or None."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def stored_definition(text: Any) -> ImportDefinition | None:
    """An import definition stored as a JSON string property, or None when absent or unreadable."""
    data = json_object(text)
    if data is None:
        return None
    try:
        return ImportDefinition.model_validate(data)
    except ValueError:
        return None
