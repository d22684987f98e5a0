"""Core values: resources in their comparable form, the essences both sides of a diff are reduced
to, with a frozen type per kind.

An essence is what reconciler manages of a resource, in az ml YAML field names, with defaults
filled in, canonical path forms, sorted tags and no secrets. Secret fields are kept aside as
`SecretRef` values keyed by their field path; only their salted hashes are ever compared.
Providers read what the workspace holds into `reconciler.core.live` values of the same types.
This module does no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler.core.sql import canonical
from reconciler.core.vocabulary import DATASTORE_KINDS, DEFAULT_ENDPOINT, DEFAULT_PROTOCOL


class Kind(StrEnum):
    CONNECTION = "connection"
    DATASTORE = "datastore"
    IMPORT = "import"
    SCHEDULE = "schedule"


KINDS: tuple[Kind, ...] = tuple(Kind)
DEFINITION_FIELDS = ("type", "source", "path")  # an import's fields that make its data


def address(kind: Kind | str, name: str) -> str:
    return f"{kind}.{name}"


def schedule_name(import_name: str) -> str:
    return f"{import_name}-schedule"


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
    """The non-secret part of a connection's or datastore's credentials (which fields a type
    has: `reconciler.core.vocabulary.CredentialKind`)."""

    OMIT_NONE = frozenset(
        {
            "username",
            "access_key_id",
            "tenant_id",
            "client_id",
            "resource_id",
            "authority_url",
            "resource_url",
            "thumbprint",
        }
    )
    type: str
    username: str | None = None
    access_key_id: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    resource_id: str | None = None
    authority_url: str | None = None
    resource_url: str | None = None
    thumbprint: str | None = None


Tags = dict[str, str]


_NO_CREDENTIALS = Credentials(type="none")


class ConnectionEssence(Essence):
    """A connection in az ml's YAML terms: ``target`` whatever field its type writes it in
    (``url``, ``endpoint``, ...; a OneLake connection's is built from its endpoint, workspace and
    artifact), the metadata fields the service defines for its type (`ConnectionKind.metadata`)
    and the user's metadata as ``tags``. ``is_shared`` is None when the service does not say."""

    OMIT_NONE = frozenset(
        {
            "account_name",
            "container_name",
            "api_version",
            "open_ai_resource_id",
            "ai_services_resource_id",
            "is_shared",
        }
    )
    type: str
    target: str = ""
    credentials: Credentials = _NO_CREDENTIALS
    account_name: str | None = None
    container_name: str | None = None
    api_version: str | None = None
    open_ai_resource_id: str | None = None
    ai_services_resource_id: str | None = None
    is_shared: bool | None = True
    tags: Tags = Field(default_factory=dict)


class Artifact(Essence):
    """A OneLake datastore's artifact (az ml: ``artifact: {type: lake_house, name}``)."""

    type: str
    name: str


class DatastoreEssence(Essence):
    OMIT_NONE = frozenset(
        {
            "account_name",
            "container_name",
            "filesystem",
            "file_share_name",
            "store_name",
            "one_lake_workspace_name",
            "artifact",
            "endpoint",
            "protocol",
        }
    )
    type: str
    account_name: str | None = None
    container_name: str | None = None
    filesystem: str | None = None
    file_share_name: str | None = None
    store_name: str | None = None
    one_lake_workspace_name: str | None = None
    artifact: Artifact | None = None
    endpoint: str | None = None
    protocol: str | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    credentials: Credentials = _NO_CREDENTIALS

    @model_validator(mode="before")
    @classmethod
    def _storage_defaults(cls, data: Any) -> Any:
        """A datastore on a storage account has az ml's endpoint and protocol by default."""
        kind = DATASTORE_KINDS.get(str(data.get("type"))) if isinstance(data, dict) else None
        if kind is None or not kind.storage_account:
            return data
        return {
            **data,
            "endpoint": data.get("endpoint") or DEFAULT_ENDPOINT,
            "protocol": data.get("protocol") or DEFAULT_PROTOCOL,
        }


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


class AutoDelete(Essence):
    """When Azure ML deletes a version imported into its managed datastore (its
    ``auto_delete_setting``): version metadata, changed in place (``az ml data update``)."""

    condition: str  # created_greater_than | last_accessed_greater_than
    value: str  # days, e.g. 30d


class ImportEssence(Essence):
    OMIT_NONE = frozenset({"auto_delete_setting"})
    type: str
    source: Source
    path: str
    version: str | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    auto_delete_setting: AutoDelete | None = None
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
_ESSENCE_TYPES: dict[Kind, type[AnyEssence]] = {
    Kind.CONNECTION: ConnectionEssence,
    Kind.DATASTORE: DatastoreEssence,
    Kind.IMPORT: ImportEssence,
    Kind.SCHEDULE: ScheduleEssence,
}
E = TypeVar("E", ConnectionEssence, DatastoreEssence, ImportEssence, ScheduleEssence)
Fields = Mapping[str, object]  # an essence's dict form (`Essence.to_dict`, a plan file, a store)


@overload
def parse_essence(
    kind: Literal[Kind.CONNECTION], data: Mapping[str, object]
) -> ConnectionEssence: ...
@overload
def parse_essence(
    kind: Literal[Kind.DATASTORE], data: Mapping[str, object]
) -> DatastoreEssence: ...
@overload
def parse_essence(kind: Literal[Kind.IMPORT], data: Fields) -> ImportEssence: ...
@overload
def parse_essence(kind: Literal[Kind.SCHEDULE], data: Fields) -> ScheduleEssence: ...
@overload
def parse_essence(kind: Kind, data: Fields) -> AnyEssence: ...
def parse_essence(kind: Kind, data: Fields) -> AnyEssence:
    """The typed essence of a dict form (as found in a plan file or a store)."""
    return _ESSENCE_TYPES[kind].model_validate(data)


def narrow(essence: AnyEssence, wanted: type[E]) -> E:
    """``essence`` as its kind's type: a resource's kind says which, and a mismatch is a bug in
    reconciler, not a problem with the input."""
    if not isinstance(essence, wanted):
        raise TypeError(f"expected a {wanted.__name__}, found a {type(essence).__name__}")
    return essence


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
