"""``reconcile export``: what a live workspace holds, written as platform.yaml sections.

Connections, datastores, imports (each as its data asset's latest version is now, see
`reconciler.engine.current`) and their schedules become the YAML a desired state would declare
for them, so adopting an existing workspace starts from a plan that only adopts. Every secret
becomes a ``${env:NAME}`` reference and its name is listed; a field the workspace never returns
(a connection's user name on Azure ML) becomes a ``${NAME}`` variable to set. What reconciler
cannot declare (a connection category or datastore type it does not model, an invalid name, a
system datastore) is listed as a comment, never dropped silently. Pure: live values in, text
out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.core.connection_kinds import API_KEY, CONNECTION_CREDENTIALS, CONNECTION_KINDS
from reconciler.core.essences import (
    ConnectionEssence,
    DatastoreEssence,
    ImportDefinition,
    Kind,
    ScheduleEssence,
    narrow,
    schedule_name,
)
from reconciler.core.live import AssetVersion, LiveResource
from reconciler.core.names import ASSET_NAME, CONNECTION_NAME, DATASTORE_NAME, service_placed
from reconciler.core.vocabulary import (
    CREDENTIALS,
    DATASTORE_CREDENTIALS,
    DATASTORE_KINDS,
    DATASTORE_TYPE_CREDENTIALS,
    DEFAULT_AUTHORITY,
    DEFAULT_ENDPOINT,
    DEFAULT_PROTOCOL,
    default_asset_type,
)


@dataclass
class Export:
    text: str
    secrets: list[str] = field(default_factory=list)  # ${env:NAME} names to set
    variables: list[str] = field(default_factory=list)  # ${NAME} names to set
    skipped: list[str] = field(default_factory=list)  # what could not be declared, and why


@dataclass
class _Builder:
    export: Export = field(default_factory=lambda: Export(""))

    def secret(self, owner: str, name: str) -> str:
        variable = _variable(owner, name)
        self.export.secrets.append(variable)
        return f"${{env:{variable}}}"

    def variable(self, owner: str, name: str) -> str:
        variable = _variable(owner, name)
        self.export.variables.append(variable)
        return f"${{{variable}}}"

    def skip(self, address: str, why: str) -> None:
        self.export.skipped.append(f"{address}: {why}")


def _variable(owner: str, name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", f"{owner}_{name}".upper()).strip("_")


def export_yaml(
    resources: Iterable[LiveResource],
    imports: Mapping[str, ImportDefinition],
    latest: Mapping[str, AssetVersion],
    kinds: Iterable[Kind] = (Kind.CONNECTION, Kind.DATASTORE, Kind.IMPORT),
) -> Export:
    """The platform.yaml sections for ``resources`` (connections, datastores, schedules) and
    ``imports`` (asset -> its definition now; ``latest``: its latest version)."""
    wanted = set(kinds)
    builder = _Builder()
    by_kind: dict[Kind, list[LiveResource]] = {}
    for resource in sorted(resources, key=lambda r: (r.kind, r.name)):
        by_kind.setdefault(resource.kind, []).append(resource)
    data: dict[str, Any] = {}
    if Kind.CONNECTION in wanted:
        connections = {
            r.name: c for r in by_kind.get(Kind.CONNECTION, []) if (c := _connection(r, builder))
        }
        if connections:
            data["connections"] = connections
    if Kind.DATASTORE in wanted:
        datastores = {
            r.name: d for r in by_kind.get(Kind.DATASTORE, []) if (d := _datastore(r, builder))
        }
        if datastores:
            data["datastores"] = datastores
    if Kind.IMPORT in wanted or Kind.SCHEDULE in wanted:
        schedules: dict[str, LiveResource] = {}
        definitions = dict(imports)
        for schedule in by_kind.get(Kind.SCHEDULE, []):  # sorted by name: the first one wins
            essence = narrow(schedule.essence, ScheduleEssence)
            if essence.import_name in schedules:
                builder.skip(
                    schedule.address,
                    f"a second schedule of import {essence.import_name} "
                    f"({schedules[essence.import_name].name} is exported); an import has one",
                )
                continue
            schedules[essence.import_name] = schedule
            # a schedule that never ran made no data yet: its import is declared from it
            definitions.setdefault(essence.import_name, essence.import_definition)
        found = {
            name: i
            for name, definition in sorted(definitions.items())
            if (i := _import(name, definition, latest.get(name), schedules.get(name), builder))
        }
        if found:
            data["imports"] = found
    export = builder.export
    export.text = _header(export) + (_dump(data) if data else "")
    return export


def _connection(live: LiveResource, builder: _Builder) -> dict[str, Any] | None:
    """The connection in az ml's YAML shape for its type: its target under the type's own
    field, the service's metadata as the type's fields, an API key as ``api_key``, and no
    ``credentials`` where they are the type's default (Entra ID, or none)."""
    essence = narrow(live.essence, ConnectionEssence)
    address = live.address
    if not CONNECTION_NAME.fullmatch(live.name):
        builder.skip(address, "the name is not one Azure ML accepts for a declared connection")
        return None
    kind = CONNECTION_KINDS.get(essence.type)
    if kind is None:
        builder.skip(address, f"connection type {essence.type!r} is not modelled by reconciler")
        return None
    credential = CONNECTION_CREDENTIALS.get(essence.credentials.type)
    if credential is None or credential.name not in kind.credentials:
        builder.skip(
            address,
            f"a {kind.name} connection with {essence.credentials.type!r} credentials is not "
            "one the service takes",
        )
        return None
    out: dict[str, Any] = {"type": kind.name}
    if essence.target or kind.target_required:
        out[kind.target_key] = essence.target
    for _, field_name in kind.metadata:
        value = getattr(essence, field_name)
        if value is not None:
            out[field_name] = value
        elif field_name in _REQUIRED_METADATA:
            out[field_name] = builder.variable(live.name, field_name)
    if credential.name == "api_key" and kind.api_key:
        out[API_KEY] = builder.secret(live.name, API_KEY)
    elif credential.name != kind.default_credential:
        block: dict[str, Any] = {"type": credential.name}
        for name in credential.plain_fields:
            plain = getattr(essence.credentials, name, None)
            unreadable = f"{CREDENTIALS}.{name}" in live.unreadable
            block[name] = builder.variable(live.name, name) if not plain or unreadable else plain
        for name in credential.secret_fields:
            block[name] = builder.secret(live.name, name)
        out[CREDENTIALS] = block
    if essence.is_shared is False:
        out["is_shared"] = False
    if essence.tags:
        out["tags"] = dict(essence.tags)
    return out


# the service metadata a declared connection of its type must give (a variable when unknown)
_REQUIRED_METADATA = frozenset({"account_name", "container_name", "ai_services_resource_id"})


def _datastore(live: LiveResource, builder: _Builder) -> dict[str, Any] | None:
    essence = narrow(live.essence, DatastoreEssence)
    address = live.address
    if live.system:
        builder.skip(address, "a system datastore: Azure ML manages it (target it in paths)")
        return None
    kind = DATASTORE_KINDS.get(essence.type)
    if kind is None:
        builder.skip(address, f"datastore type {essence.type!r} is not modelled by reconciler")
        return None
    if not DATASTORE_NAME.fullmatch(live.name):
        builder.skip(address, "the name is not one reconciler can declare")
        return None
    credentials = essence.credentials
    if credentials.type not in DATASTORE_TYPE_CREDENTIALS[kind.name]:
        builder.skip(address, f"credential type {credentials.type!r} is not modelled")
        return None
    out: dict[str, Any] = {"type": essence.type}
    if essence.description:
        out["description"] = essence.description
    if kind.storage_account:
        out["account_name"] = essence.account_name
    out[kind.container] = getattr(essence, kind.container)
    if kind.storage_account:
        if essence.endpoint != DEFAULT_ENDPOINT:
            out["endpoint"] = essence.endpoint
        if essence.protocol != DEFAULT_PROTOCOL:
            out["protocol"] = essence.protocol
    elif essence.endpoint:
        out["endpoint"] = essence.endpoint
    if essence.artifact is not None:
        out["artifact"] = essence.artifact.to_dict()
    declared = DATASTORE_CREDENTIALS[credentials.type]
    if declared.secret:
        block: dict[str, Any] = {}
        for name in declared.plain_fields:
            value = getattr(credentials, name, None)
            if value and not (name == "authority_url" and value == DEFAULT_AUTHORITY):
                block[name] = value
        for name in declared.secret_fields:
            block[name] = builder.secret(live.name, name)
        out[CREDENTIALS] = block
    if essence.tags:
        out["tags"] = dict(essence.tags)
    return out


def _import(
    name: str,
    definition: ImportDefinition,
    latest: AssetVersion | None,
    schedule: LiveResource | None,
    builder: _Builder,
) -> dict[str, Any] | None:
    address = f"import.{name}"
    if not ASSET_NAME.fullmatch(name):
        builder.skip(address, "the asset name is not one reconciler can declare")
        return None
    source = definition.source
    out: dict[str, Any] = {}
    if latest is not None and latest.description:
        out["description"] = latest.description
    spec: dict[str, Any] = {"type": source.type, "connection": source.connection}
    if source.query is not None:
        spec["query"] = source.query
    if source.path is not None:
        spec["path"] = source.path
    out["source"] = spec
    out["path"] = definition.path
    if definition.type != default_asset_type(source.type):
        out["type"] = definition.type
    if latest is not None and latest.tags:
        out["tags"] = dict(latest.tags)
    if latest is not None and latest.auto_delete is not None and service_placed(definition.path):
        out["auto_delete_setting"] = latest.auto_delete.to_dict()
    if schedule is not None:
        out["schedule"] = _schedule(schedule)
    return out


def _schedule(live: LiveResource) -> dict[str, Any]:
    essence = narrow(live.essence, ScheduleEssence)
    named = {} if live.name == schedule_name(essence.import_name) else {"name": live.name}
    trigger = {k: v for k, v in essence.trigger.to_dict().items() if v is not None}
    if trigger.get("time_zone") == "UTC":
        del trigger["time_zone"]
    pattern = trigger.get("schedule")
    if isinstance(pattern, dict):
        trigger["schedule"] = {k: v for k, v in pattern.items() if v}
    out: dict[str, Any] = {**named, "trigger": trigger}
    if not essence.enabled:
        out["enabled"] = False
    if essence.description:
        out["description"] = essence.description
    return out


def _header(export: Export) -> str:
    lines = ["# Exported by `reconcile export` from the live workspace."]
    if export.secrets or export.variables:
        lines.append("# Set these before planning (secrets from your secret store):")
        lines += [f"#   {name}  (secret)" for name in sorted(set(export.secrets))]
        lines += [f"#   {name}" for name in sorted(set(export.variables))]
    if export.skipped:
        lines.append("# Not exported (reconciler cannot declare them):")
        lines += [f"#   {item}" for item in export.skipped]
    return "\n".join(lines) + "\n\n"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (queries) as literal blocks, the way people write them."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip() else None
    text = value if style is None or value.endswith("\n") else value + "\n"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
