"""Resources in their comparable form: the essence both sides of a diff are reduced to.

An essence is a plain, JSON-able dict per resource, in az ml YAML field names, with defaults
filled in, canonical path forms, sorted tags and no secrets. Secret fields are kept aside as
`SecretRef` values keyed by their field path; only their salted hashes are ever compared.
Providers produce `LiveResource` values of the same shape for what the workspace holds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.model import (
    AccessKey,
    AccountKeyCredentials,
    DataImport,
    Platform,
    SasCredentials,
    SecretRef,
    ServicePrincipalCredentials,
)

Kind = Literal["connection", "datastore", "import", "schedule"]
KINDS: tuple[Kind, ...] = ("connection", "datastore", "import", "schedule")
CONFIG_SECTION = {"connection": "connections", "datastore": "datastores", "import": "imports"}

MANAGED_BY_TAG = "managed-by"
MANAGED_BY_VALUE = "reconciler"
SECRET_TAG_PREFIX = "reconciler.secret."
CREDENTIAL_TAG_PREFIX = "reconciler.credential."  # non-secret credential fields (user name)
FINGERPRINT_PROPERTY = "reconciler.fingerprint"
DEFINITION_PROPERTY = "reconciler.definition"
DEFINITION_FIELDS = ("type", "source", "path")


def address(kind: str, name: str) -> str:
    return f"{kind}.{name}"


def schedule_name(import_name: str) -> str:
    return f"{import_name}-schedule"


@dataclass(frozen=True)
class DesiredResource:
    kind: Kind
    name: str
    spec: dict[str, Any]
    secrets: dict[str, SecretRef] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    config_path: tuple[str, ...] = ()  # where it is declared, for error locations

    @property
    def address(self) -> str:
        return address(self.kind, self.name)


@dataclass(frozen=True)
class LiveResource:
    kind: Kind
    name: str
    spec: dict[str, Any]
    managed: bool
    system: bool = False
    secret_hashes: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return address(self.kind, self.name)


@dataclass(frozen=True)
class AssetVersion:
    version: str
    path: str
    fingerprint: str | None
    description: str | None
    tags: dict[str, str]
    managed: bool
    created_at: str = ""
    definition: dict[str, Any] | None = None  # type/source/path it was imported with


@dataclass(frozen=True)
class ImportJob:
    id: str
    asset: str
    version: str
    fingerprint: str | None
    status: Literal["Preparing", "Running", "Completed", "Failed", "Canceled"]
    started_at: str = ""
    ended_at: str = ""
    rows: int | None = None
    error: str | None = None
    definition: dict[str, Any] | None = None

    @property
    def active(self) -> bool:
        return self.status in ("Preparing", "Running")


@dataclass(frozen=True)
class LiveAsset:
    """A data asset with its versions and the import jobs that materialise it."""

    name: str
    versions: tuple[AssetVersion, ...] = ()
    jobs: tuple[ImportJob, ...] = ()

    def latest_version(self) -> AssetVersion | None:
        return max(self.versions, key=lambda v: _version_key(v.version), default=None)

    def next_version(self) -> str:
        """After the highest registered or running version; a failed run's number is reused."""
        numbers = [int(v.version) for v in self.versions if v.version.isdigit()]
        numbers += [int(j.version) for j in self.jobs if j.version.isdigit() and j.active]
        return str(max(numbers, default=0) + 1)


def _version_key(version: str) -> tuple[int, int, str]:
    return (1, int(version), "") if version.isdigit() else (0, 0, version)


def split_tags(tags: dict[str, str] | None) -> tuple[dict[str, str], bool, dict[str, str]]:
    """User tags, whether reconciler manages the resource, and the stored secret hashes."""
    user: dict[str, str] = {}
    hashes: dict[str, str] = {}
    managed = False
    for key, value in sorted((tags or {}).items()):
        if key == MANAGED_BY_TAG:
            managed = value == MANAGED_BY_VALUE
        elif key.startswith(SECRET_TAG_PREFIX):
            hashes[key.removeprefix(SECRET_TAG_PREFIX)] = value
        elif not key.startswith("reconciler."):
            user[key] = value
    return user, managed, hashes


def json_object(text: Any) -> dict[str, Any] | None:
    """A JSON object stored as a string property (e.g. ``reconciler.definition``), or None."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def fingerprint(spec: dict[str, Any]) -> str:
    """What makes two imports produce the same data: connection, query/path, target, type."""
    source = spec["source"]
    essential = {
        "connection": source["connection"],
        "source_type": source["type"],
        "query": " ".join(source.get("query", "").split()),
        "source_path": source.get("path", ""),
        "path": spec["path"],
        "type": spec["type"],
    }
    text = json.dumps(essential, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def desired_resources(platform: Platform) -> list[DesiredResource]:
    resources: list[DesiredResource] = []
    for name, connection in platform.connections.items():
        creds = connection.credentials
        if isinstance(creds, AccessKey):
            cred_spec: dict[str, Any] = {"type": creds.type, "access_key_id": creds.access_key_id}
            secrets = {"credentials.secret_access_key": creds.secret_access_key}
        else:
            cred_spec = {"type": creds.type, "username": creds.username}
            secrets = {"credentials.password": creds.password}
        spec = {
            "type": connection.type,
            "target": connection.target,
            "credentials": cred_spec,
            "tags": dict(connection.tags),
        }
        resources.append(
            DesiredResource("connection", name, spec, secrets, (), ("connections", name))
        )
    for name, store in platform.datastores.items():
        spec = store.model_dump(exclude={"credentials"}, exclude_none=False)
        spec["tags"] = dict(store.tags)
        cred_spec, secrets = _datastore_credentials(store.credentials)
        spec["credentials"] = cred_spec
        resources.append(
            DesiredResource("datastore", name, spec, secrets, (), ("datastores", name))
        )
    for name, item in platform.imports.items():
        spec = import_spec(item)
        deps = [address("connection", item.source.connection)]
        if item.datastore in platform.datastores:
            deps.append(address("datastore", item.datastore))
        resources.append(DesiredResource("import", name, spec, {}, tuple(deps), ("imports", name)))
        if item.schedule is not None:
            schedule = {
                "import": name,
                "trigger": item.schedule.trigger.model_dump(exclude_none=True),
                "enabled": item.schedule.enabled,
                "description": item.schedule.description,
                "import_definition": {k: spec[k] for k in ("type", "source", "path")},
                "tags": {},
            }
            resources.append(
                DesiredResource(
                    "schedule",
                    schedule_name(name),
                    schedule,
                    {},
                    (*deps, address("import", name)),
                    ("imports", name, "schedule"),
                )
            )
    return resources


def import_spec(item: DataImport) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": item.asset_type,
        "source": item.source.model_dump(),
        "path": item.path,
        "version": item.version,
        "description": item.description,
        "tags": dict(item.tags),
    }
    spec["fingerprint"] = fingerprint(spec)
    return spec


def _datastore_credentials(creds: Any) -> tuple[dict[str, Any], dict[str, SecretRef]]:
    if isinstance(creds, AccountKeyCredentials):
        return {"type": "account_key"}, {"credentials.account_key": creds.account_key}
    if isinstance(creds, SasCredentials):
        return {"type": "sas"}, {"credentials.sas_token": creds.sas_token}
    if isinstance(creds, ServicePrincipalCredentials):
        spec = {
            "type": "service_principal",
            "tenant_id": creds.tenant_id,
            "client_id": creds.client_id,
            "authority_url": creds.authority_url,
        }
        return spec, {"credentials.client_secret": creds.client_secret}
    return {"type": "none"}, {}
