"""Essences -> azure-ai-ml entities, for writing.

It builds the entities from an essence plus the secret values and reconciler's tags
(connections are written as REST bodies, `connections`; what is read back comes as JSON:
`reads` and `schedules`, which undo the service's rewrites). The type and credential tables
are the shared vocabulary's (`reconciler.core.vocabulary`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.essences import (
    DatastoreEssence,
    ImportDefinition,
    ScheduleEssence,
)
from reconciler.core.vocabulary import (
    ASSET_TYPE_TAG,
    DATASTORE_CREDENTIALS,
    MATERIALIZATION_ASSET_PROPERTY,
    NAME_PLACEHOLDER,
    START_TIME_TAG,
    default_asset_type,
)

# --- writing ----------------------------------------------------------------------------------


def datastore_entity(
    name: str,
    essence: DatastoreEssence,
    secrets: Mapping[str, str],
    tags: Mapping[str, str],
) -> Any:
    from azure.ai.ml import entities

    common: dict[str, Any] = {
        "name": name,
        "description": essence.description,
        "tags": {**essence.tags, **dict(tags)},
        "credentials": _datastore_credentials(essence, secrets),
    }
    storage: dict[str, Any] = {
        "account_name": essence.account_name,
        "endpoint": essence.endpoint,
        "protocol": essence.protocol,
    }
    if essence.type == "azure_blob":
        return entities.AzureBlobDatastore(
            container_name=str(essence.container_name), **storage, **common
        )
    if essence.type == "azure_data_lake_gen2":
        return entities.AzureDataLakeGen2Datastore(
            filesystem=str(essence.filesystem), **storage, **common
        )
    if essence.type == "azure_file":
        return entities.AzureFileDatastore(
            file_share_name=str(essence.file_share_name), **storage, **common
        )
    if essence.type == "azure_data_lake_gen1":
        return entities.AzureDataLakeGen1Datastore(store_name=str(essence.store_name), **common)
    from azure.ai.ml.entities._datastore.one_lake import LakeHouseArtifact

    assert essence.artifact is not None  # a OneLake datastore always has one
    return entities.OneLakeDatastore(
        one_lake_workspace_name=str(essence.one_lake_workspace_name),
        endpoint=essence.endpoint,
        artifact=LakeHouseArtifact(name=essence.artifact.name),
        **common,
    )


def _datastore_credentials(essence: DatastoreEssence, secrets: Mapping[str, str]) -> Any:
    from azure.ai.ml import entities

    creds = essence.credentials
    secret = DATASTORE_CREDENTIALS[creds.type].secret_values(secrets)
    if creds.type == "account_key":
        return entities.AccountKeyConfiguration(account_key=secret["account_key"])
    if creds.type == "sas":
        return entities.SasTokenConfiguration(sas_token=secret["sas_token"])
    identity: dict[str, Any] = {
        "tenant_id": creds.tenant_id,
        "client_id": creds.client_id,
        "authority_url": creds.authority_url,
        "resource_url": creds.resource_url,
    }
    if creds.type == "service_principal":
        return entities.ServicePrincipalConfiguration(
            client_secret=secret["client_secret"], **identity
        )
    if creds.type == "certificate":
        return entities.CertificateConfiguration(
            thumbprint=creds.thumbprint, certificate=secret["certificate"], **identity
        )
    return None


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
