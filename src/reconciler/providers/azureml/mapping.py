"""azure-ai-ml entities <-> essences.

Reading schedules and import jobs, it undoes the service's rewrites so that an untouched
workspace plans no changes: data URIs come back in long forms, schedules come back with a
server-chosen ``dataType`` and ``startTime`` (connections, datastores, data versions and import
runs are read as JSON, in `reads`, where the same holds). Writing, it builds the entities
from an essence plus the secret values and reconciler's tags. The type and credential tables
are the shared vocabulary's (`reconciler.core.vocabulary`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.essences import (
    ConnectionEssence,
    DatastoreEssence,
    ImportDefinition,
    Kind,
    RecurrencePattern,
    ScheduleEssence,
    Source,
    Trigger,
)
from reconciler.core.live import LiveResource
from reconciler.core.names import normalise_datastore_path
from reconciler.core.tags import split_tags
from reconciler.core.vocabulary import (
    ASSET_TYPE_TAG,
    CONNECTION_CREDENTIALS,
    DATASTORE_CREDENTIALS,
    MATERIALIZATION_ASSET_PROPERTY,
    NAME_PLACEHOLDER,
    SOURCE_TYPES,
    START_TIME_TAG,
    default_asset_type,
)

# --- reading ----------------------------------------------------------------------------------


def text(value: Any) -> str:
    """The plain string of an SDK value: its enums are (str, Enum), whose str() is the name."""
    return str(getattr(value, "value", value))


def schedule_live(entity: Any) -> LiveResource | None:
    """An import-data schedule's essence; None for other kinds of schedule."""
    import_data = getattr(entity, "import_data", None)
    if import_data is None:
        return None
    raw_tags = dict(entity.tags or {})
    tags = split_tags(raw_tags)
    source = import_data.source
    # the source's own type: a database import defined by a stored procedure has no query
    source_type = text(getattr(source, "type", None) or "")
    if source_type not in SOURCE_TYPES:
        source_type = "database" if getattr(source, "query", None) is not None else "file_system"
    is_database = source_type == "database"
    essence_source = Source(
        type=source_type,
        connection=str(source.connection or "").removeprefix("azureml:"),
        query=source.query if is_database else None,
        path=None if is_database else source.path,
    )
    definition = ImportDefinition(
        type=raw_tags.get(ASSET_TYPE_TAG, default_asset_type(source_type)),
        source=essence_source,
        path=normalise_datastore_path(str(import_data.path)) or str(import_data.path),
    )
    essence = ScheduleEssence(
        import_name=import_data.name,
        trigger=trigger_essence(entity.trigger, raw_tags.get(START_TIME_TAG)),
        enabled=bool(entity.is_enabled),
        description=entity.description or None,
        import_definition=definition,
        tags=tags.user,
    )
    return LiveResource.read(Kind.SCHEDULE, entity.name, essence, tags, False)


def trigger_essence(trigger: Any, start_time: str | None) -> Trigger:
    time_zone = text(trigger.time_zone or "UTC")
    if getattr(trigger, "expression", None) is not None:
        return Trigger(
            type="cron",
            expression=" ".join(str(trigger.expression).split()),
            time_zone=time_zone,
            start_time=start_time or None,
        )
    pattern = getattr(trigger, "schedule", None)
    return Trigger(
        type="recurrence",
        frequency=text(trigger.frequency).lower(),
        interval=int(trigger.interval),
        time_zone=time_zone,
        start_time=start_time or None,
        schedule=RecurrencePattern(
            hours=_ints(pattern.hours),
            minutes=_ints(pattern.minutes),
            week_days=[text(d).lower() for d in _list(pattern.week_days)],
            month_days=_ints(pattern.month_days),
        )
        if pattern is not None
        else None,
    )


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _ints(value: Any) -> list[int]:
    return [int(v) for v in _list(value)]


# --- writing ----------------------------------------------------------------------------------


def connection_entity(
    name: str,
    essence: ConnectionEssence,
    secrets: Mapping[str, str],
    tags: Mapping[str, str],
) -> Any:
    from azure.ai.ml.entities import (
        AccessKeyConfiguration,
        UsernamePasswordConfiguration,
        WorkspaceConnection,
    )

    creds = essence.credentials
    secret = CONNECTION_CREDENTIALS[creds.type].secret_values(secrets)
    credentials: Any
    if creds.type == "access_key":
        credentials = AccessKeyConfiguration(
            access_key_id=creds.access_key_id, secret_access_key=secret["secret_access_key"]
        )
    else:
        credentials = UsernamePasswordConfiguration(
            username=creds.username, password=secret["password"]
        )
    return WorkspaceConnection(
        name=name,
        type=essence.type,
        target=essence.target,
        credentials=credentials,
        metadata={**essence.tags, **dict(tags)},
    )


def datastore_entity(
    name: str,
    essence: DatastoreEssence,
    secrets: Mapping[str, str],
    tags: Mapping[str, str],
) -> Any:
    from azure.ai.ml import entities

    creds = essence.credentials
    secret = DATASTORE_CREDENTIALS[creds.type].secret_values(secrets)
    credentials: Any = None
    if creds.type == "account_key":
        credentials = entities.AccountKeyConfiguration(account_key=secret["account_key"])
    elif creds.type == "sas":
        credentials = entities.SasTokenConfiguration(sas_token=secret["sas_token"])
    elif creds.type == "service_principal":
        credentials = entities.ServicePrincipalConfiguration(
            tenant_id=creds.tenant_id,
            client_id=creds.client_id,
            client_secret=secret["client_secret"],
            authority_url=creds.authority_url,
        )
    common: dict[str, Any] = {
        "name": name,
        "account_name": essence.account_name,
        "description": essence.description,
        "tags": {**essence.tags, **dict(tags)},
        "endpoint": essence.endpoint,
        "protocol": essence.protocol,
        "credentials": credentials,
    }
    if essence.type == "azure_blob":
        return entities.AzureBlobDatastore(container_name=str(essence.container_name), **common)
    if essence.type == "azure_data_lake_gen2":
        return entities.AzureDataLakeGen2Datastore(filesystem=str(essence.filesystem), **common)
    return entities.AzureFileDatastore(file_share_name=str(essence.file_share_name), **common)


def _source(definition: ImportDefinition) -> Any:
    from azure.ai.ml.data_transfer import Database, FileSystem

    source = definition.source
    connection = f"azureml:{source.connection}"
    if source.type == "database":
        return Database(query=source.query, connection=connection)
    return FileSystem(path=source.path, connection=connection)


def data_import(name: str, definition: ImportDefinition) -> Any:
    """The ``DataImport`` a schedule runs."""
    from azure.ai.ml.entities import DataImport

    return DataImport(name=name, path=definition.path, source=_source(definition))


def import_job(
    job_name: str,
    asset: str,
    definition: ImportDefinition,
    *,
    version: str,
    description: str | None,
    tags: Mapping[str, str],
    properties: Mapping[str, str],
) -> Any:
    """The pipeline job ``data.import_data`` would submit, under a name of our choosing.

    ``data.import_data`` always names its job at random, so a submit retried after its answer
    was lost makes a second import. This builds the same job (azure-ai-ml 1.35's
    ``DataOperations.import_data``: one ``import_data`` step, serverless, output type from the
    source, the managed datastore's path made its root, ``${{name}}`` appended to the path)
    with ``job_name``, so a retry finds the first.
    """
    from azure.ai.ml import Output
    from azure.ai.ml._utils._asset_utils import _validate_workspace_managed_datastore
    from azure.ai.ml.data_transfer import import_data
    from azure.ai.ml.entities import PipelineJob
    from azure.ai.ml.entities._job.pipeline.pipeline_job_settings import PipelineJobSettings

    step = f"data_import_{asset}"
    # the managed datastore's bare URI becomes its root, .../workspacemanageddatastore/paths
    path = str(_validate_workspace_managed_datastore(definition.path)).rstrip("/")
    if NAME_PLACEHOLDER not in path:
        path += "/" + NAME_PLACEHOLDER
    output_type = default_asset_type(definition.source.type)
    node = import_data(
        description=description or step,
        display_name=step,
        experiment_name=step,
        compute="serverless",
        source=_source(definition),
        outputs={"sink": Output(type=output_type, path=path, name=asset, version=version)},
    )
    return PipelineJob(
        name=job_name,
        description=description or step,
        tags=dict(tags),
        display_name=step,
        experiment_name=step,
        properties={**dict(properties), MATERIALIZATION_ASSET_PROPERTY: asset},
        settings=PipelineJobSettings(force_rerun=True),
        jobs={step: node},
    )


def schedule_entity(name: str, essence: ScheduleEssence, tags: Mapping[str, str]) -> Any:
    from azure.ai.ml.entities import (
        CronTrigger,
        ImportDataSchedule,
        RecurrencePattern,
        RecurrenceTrigger,
    )

    spec = essence.trigger
    all_tags = {**essence.tags, **dict(tags)}
    all_tags[ASSET_TYPE_TAG] = essence.import_definition.type
    if spec.start_time:
        all_tags[START_TIME_TAG] = spec.start_time
    trigger: Any
    if spec.type == "cron":
        trigger = CronTrigger(
            expression=str(spec.expression), time_zone=spec.time_zone, start_time=spec.start_time
        )
    else:
        pattern = spec.schedule
        trigger = RecurrenceTrigger(
            frequency=str(spec.frequency),
            interval=int(spec.interval or 1),
            time_zone=spec.time_zone,
            start_time=spec.start_time,
            schedule=RecurrencePattern(
                hours=pattern.hours,
                minutes=pattern.minutes,
                week_days=pattern.week_days or None,
                month_days=pattern.month_days or None,
            )
            if pattern
            else None,
        )
    return ImportDataSchedule(
        name=name,
        trigger=trigger,
        import_data=data_import(essence.import_name, essence.import_definition),
        description=essence.description,
        tags=all_tags,
        is_enabled=essence.enabled,
    )
