"""azure-ai-ml entities <-> essences.

Reading, it undoes the service's rewrites so that an untouched workspace plans no changes:
connection credentials come back as null (non-secret fields live in ``reconciler.credential.*``
metadata), datastore secrets come back stripped, data URIs come back in long forms, schedules
come back with a server-chosen ``dataType`` and ``startTime``. Writing, it builds the entities
from an essence plus the secret values and reconciler's tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.names import SYSTEM_DATASTORES, normalise_datastore_path
from reconciler.resources import (
    CREDENTIAL_TAG_PREFIX,
    LiveResource,
    split_tags,
)

START_TIME_TAG = (
    "reconciler.start-time"  # the start time the user asked for (the service fills one in)
)
ASSET_TYPE_TAG = "reconciler.asset-type"  # schedules: the service rewrites dataType
_DATASTORE_TARGET = {
    "azure_blob": "container_name",
    "azure_data_lake_gen2": "filesystem",
    "azure_file": "file_share_name",
}


# --- reading ----------------------------------------------------------------------------------


def text(value: Any) -> str:
    """The plain string of an SDK value: its enums are (str, Enum), whose str() is the name."""
    return str(getattr(value, "value", value))


def connection_live(entity: Any) -> LiveResource:
    metadata = dict(getattr(entity, "metadata", None) or {})
    tags, managed, hashes = split_tags(metadata)
    kind = text(entity.type)
    credentials: dict[str, Any] = {"type": _credential_type(entity.credentials)}
    for key, value in sorted(metadata.items()):
        if key.startswith(CREDENTIAL_TAG_PREFIX):
            credentials[key.removeprefix(CREDENTIAL_TAG_PREFIX)] = value
    spec = {"type": kind, "target": entity.target, "credentials": credentials, "tags": tags}
    return LiveResource("connection", entity.name, spec, managed, False, hashes)


def _credential_type(credentials: Any) -> str:
    kind = text(getattr(credentials, "type", "") or "none")
    return {"account_key": "account_key", "sas": "sas", "none": "none"}.get(kind, kind)


_DATASTORE_TYPES = {
    "AzureBlob": "azure_blob",
    "AzureDataLakeGen2": "azure_data_lake_gen2",
    "AzureFile": "azure_file",
}


def datastore_live(entity: Any) -> LiveResource:
    tags, managed, hashes = split_tags(dict(entity.tags or {}))
    kind = _DATASTORE_TYPES.get(text(entity.type), text(entity.type))
    spec: dict[str, Any] = {
        "type": kind,
        "account_name": entity.account_name,
        "endpoint": entity.endpoint or "core.windows.net",
        "protocol": entity.protocol or "https",
        "description": entity.description or None,
        "tags": tags,
        "credentials": datastore_credentials(entity.credentials),
    }
    target = _DATASTORE_TARGET.get(kind)
    if target:
        spec[target] = getattr(entity, target, None)
    system = entity.name in SYSTEM_DATASTORES
    return LiveResource("datastore", entity.name, spec, managed, system, hashes)


def datastore_credentials(credentials: Any) -> dict[str, Any]:
    kind = text(getattr(credentials, "type", None) or "none")
    if kind == "service_principal":
        return {
            "type": "service_principal",
            "tenant_id": str(credentials.tenant_id),
            "client_id": str(credentials.client_id),
            "authority_url": credentials.authority_url or "https://login.microsoftonline.com",
        }
    return {"type": {"sas_token": "sas"}.get(kind, kind)}


def schedule_live(entity: Any) -> LiveResource | None:
    """An import-data schedule's essence; None for other kinds of schedule."""
    import_data = getattr(entity, "import_data", None)
    if import_data is None:
        return None
    raw_tags = dict(entity.tags or {})
    tags, managed, hashes = split_tags(raw_tags)
    source = import_data.source
    source_spec: dict[str, Any] = {
        "type": "database" if getattr(source, "query", None) is not None else "file_system",
        "connection": str(source.connection or "").removeprefix("azureml:"),
    }
    if source_spec["type"] == "database":
        source_spec["query"] = source.query
    else:
        source_spec["path"] = source.path
    default_type = "mltable" if source_spec["type"] == "database" else "uri_folder"
    definition = {
        "type": raw_tags.get(ASSET_TYPE_TAG, default_type),
        "source": source_spec,
        "path": normalise_datastore_path(str(import_data.path)) or str(import_data.path),
    }
    spec = {
        "import": import_data.name,
        "trigger": trigger_spec(entity.trigger, raw_tags.get(START_TIME_TAG)),
        "enabled": bool(entity.is_enabled),
        "description": entity.description or None,
        "import_definition": definition,
        "tags": tags,
    }
    return LiveResource("schedule", entity.name, spec, managed, False, hashes)


def trigger_spec(trigger: Any, start_time: str | None) -> dict[str, Any]:
    time_zone = text(trigger.time_zone or "UTC")
    if getattr(trigger, "expression", None) is not None:
        spec: dict[str, Any] = {
            "type": "cron",
            "expression": " ".join(str(trigger.expression).split()),
            "time_zone": time_zone,
        }
    else:
        spec = {
            "type": "recurrence",
            "frequency": text(trigger.frequency).lower(),
            "interval": int(trigger.interval),
            "time_zone": time_zone,
        }
        pattern = getattr(trigger, "schedule", None)
        if pattern is not None:
            spec["schedule"] = {
                "hours": _ints(pattern.hours),
                "minutes": _ints(pattern.minutes),
                "week_days": [text(d).lower() for d in _list(pattern.week_days)],
                "month_days": _ints(pattern.month_days),
            }
    if start_time:
        spec["start_time"] = start_time
    return spec


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _ints(value: Any) -> list[int]:
    return [int(v) for v in _list(value)]


# --- writing ----------------------------------------------------------------------------------


def connection_entity(
    name: str, spec: Mapping[str, Any], secrets: Mapping[str, str], tags: Mapping[str, str]
) -> Any:
    from azure.ai.ml.entities import (
        AccessKeyConfiguration,
        UsernamePasswordConfiguration,
        WorkspaceConnection,
    )

    creds = spec["credentials"]
    credentials: Any
    if creds["type"] == "access_key":
        credentials = AccessKeyConfiguration(
            access_key_id=creds["access_key_id"],
            secret_access_key=secrets["credentials.secret_access_key"],
        )
    else:
        credentials = UsernamePasswordConfiguration(
            username=creds["username"], password=secrets["credentials.password"]
        )
    return WorkspaceConnection(
        name=name,
        type=spec["type"],
        target=spec["target"],
        credentials=credentials,
        metadata={**dict(spec.get("tags") or {}), **dict(tags)},
    )


def datastore_entity(
    name: str, spec: Mapping[str, Any], secrets: Mapping[str, str], tags: Mapping[str, str]
) -> Any:
    from azure.ai.ml import entities

    creds = spec["credentials"]
    credentials: Any = None
    if creds["type"] == "account_key":
        credentials = entities.AccountKeyConfiguration(
            account_key=secrets["credentials.account_key"]
        )
    elif creds["type"] == "sas":
        credentials = entities.SasTokenConfiguration(sas_token=secrets["credentials.sas_token"])
    elif creds["type"] == "service_principal":
        credentials = entities.ServicePrincipalConfiguration(
            tenant_id=creds["tenant_id"],
            client_id=creds["client_id"],
            client_secret=secrets["credentials.client_secret"],
            authority_url=creds.get("authority_url"),
        )
    common: dict[str, Any] = {
        "name": name,
        "account_name": spec["account_name"],
        "description": spec.get("description"),
        "tags": {**dict(spec.get("tags") or {}), **dict(tags)},
        "endpoint": spec.get("endpoint", "core.windows.net"),
        "protocol": spec.get("protocol", "https"),
        "credentials": credentials,
    }
    kind = spec["type"]
    if kind == "azure_blob":
        return entities.AzureBlobDatastore(container_name=spec["container_name"], **common)
    if kind == "azure_data_lake_gen2":
        return entities.AzureDataLakeGen2Datastore(filesystem=spec["filesystem"], **common)
    return entities.AzureFileDatastore(file_share_name=spec["file_share_name"], **common)


def data_import(
    name: str,
    definition: Mapping[str, Any],
    *,
    version: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    properties: Mapping[str, str] | None = None,
) -> Any:
    from azure.ai.ml.data_transfer import Database, FileSystem
    from azure.ai.ml.entities import DataImport

    source = definition["source"]
    connection = f"azureml:{source['connection']}"
    built: Any = (
        Database(query=source["query"], connection=connection)
        if source["type"] == "database"
        else FileSystem(path=source["path"], connection=connection)
    )
    return DataImport(
        name=name,
        path=definition["path"],
        source=built,
        version=version,
        description=description,
        tags=dict(tags or {}),
        properties=dict(properties or {}),
    )


def schedule_entity(name: str, spec: Mapping[str, Any], tags: Mapping[str, str]) -> Any:
    from azure.ai.ml.entities import (
        CronTrigger,
        ImportDataSchedule,
        RecurrencePattern,
        RecurrenceTrigger,
    )

    trigger_in = spec["trigger"]
    all_tags = {**dict(spec.get("tags") or {}), **dict(tags)}
    all_tags[ASSET_TYPE_TAG] = spec["import_definition"]["type"]
    start_time = trigger_in.get("start_time")
    if start_time:
        all_tags[START_TIME_TAG] = start_time
    trigger: Any
    if trigger_in["type"] == "cron":
        trigger = CronTrigger(
            expression=trigger_in["expression"],
            time_zone=trigger_in.get("time_zone", "UTC"),
            start_time=start_time,
        )
    else:
        pattern = trigger_in.get("schedule")
        trigger = RecurrenceTrigger(
            frequency=trigger_in["frequency"],
            interval=trigger_in["interval"],
            time_zone=trigger_in.get("time_zone", "UTC"),
            start_time=start_time,
            schedule=RecurrencePattern(
                hours=pattern.get("hours", []),
                minutes=pattern.get("minutes", []),
                week_days=pattern.get("week_days") or None,
                month_days=pattern.get("month_days") or None,
            )
            if pattern
            else None,
        )
    return ImportDataSchedule(
        name=name,
        trigger=trigger,
        import_data=data_import(spec["import"], spec["import_definition"]),
        description=spec.get("description"),
        tags=all_tags,
        is_enabled=spec.get("enabled", True),
    )
