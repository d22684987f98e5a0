"""Data imports (``az ml data import``) and their schedules: a query or a file path landed on a
datastore folder as a versioned data asset, optionally on a cron or recurrence trigger."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from reconciler.config.model.fields import (
    Lifecycle,
    Prose,
    Query,
    Strict,
    Text,
    UserTags,
    bounded,
    interpolate,
    lifecycle_field,
)
from reconciler.core.limits import (
    MAX_FOLDER,
    MAX_NAME,
    MAX_VERSION,
)
from reconciler.core.names import (
    SCHEDULE_NAME,
    SCHEDULE_RULE,
    DatastoreUri,
    canonical_datastore_path,
    connection_ref,
    unsafe_path_reason,
)
from reconciler.core.schedules import cron_problem, time_zone_problem
from reconciler.core.vocabulary import (
    MANAGED_DATASTORE_URI,
    AssetType,
    AutoDeleteCondition,
    RecurrenceFrequency,
    WeekDay,
    default_asset_type,
)

ConnectionRef = Annotated[Text, AfterValidator(connection_ref)]


class DatabaseSource(Strict):
    type: Literal["database"] = Field(description="Run a query on a database connection.")
    connection: ConnectionRef = Field(description="Connection name (azureml:<name> also works).")
    query: Query = Field(description="SQL query whose result becomes the data asset.")


def _bucket_path(path: str) -> str:
    """A folder (or one file, or a glob) inside the connection's bucket, checked as the import
    runner checks it, so that it fails here rather than half-way through an apply."""
    if "://" in path:
        raise PydanticCustomError(
            "bucket_path",
            "write the folder inside the connection's bucket, without a scheme: the bucket "
            "(s3://<bucket>) comes from the connection's target; e.g. listings/ or listings/*",
        )
    folder = path.strip("/")
    reason = unsafe_path_reason(folder) if folder else None
    if reason:
        raise PydanticCustomError(
            "bucket_path",
            "the path must stay inside the connection's bucket: {reason}; write a folder such "
            "as listings/, a glob such as listings/*.csv, or one file",
            {"reason": reason},
        )
    return path


class FileSystemSource(Strict):
    type: Literal["file_system"] = Field(description="Copy files from a file-system connection.")
    connection: ConnectionRef = Field(description="Connection name (azureml:<name> also works).")
    path: Annotated[Text, AfterValidator(_bucket_path)] = Field(
        description="Path inside the connection's bucket: a folder (listings/), a glob "
        "(listings/*.csv) or one file."
    )


ImportSource = Annotated[DatabaseSource | FileSystemSource, Field(discriminator="type")]


def _time_zone(name: str) -> str:
    problem = time_zone_problem(name)
    if problem:
        raise PydanticCustomError("time_zone", problem)
    return name


def _start_time(text: str | None) -> str | None:
    from datetime import datetime

    if text is not None:
        try:
            datetime.fromisoformat(text)
        except ValueError:
            raise PydanticCustomError(
                "start_time", "start_time is an ISO 8601 time, e.g. 2026-01-01T03:00:00"
            ) from None
    return text


TimeZone = Annotated[Text, AfterValidator(_time_zone)]
StartTime = Annotated[Text | None, AfterValidator(_start_time)]


class RecurrencePattern(Strict):
    hours: list[Annotated[int, Field(ge=0, le=23)]] = Field(
        default_factory=list, description="Hours of the day (0-23)."
    )
    minutes: list[Annotated[int, Field(ge=0, le=59)]] = Field(
        default_factory=list, description="Minutes of the hour (0-59)."
    )
    week_days: list[WeekDay] = Field(default_factory=list, description="Days of the week.")
    month_days: list[Annotated[int, Field(ge=1, le=31)]] = Field(
        default_factory=list, description="Days of the month (1-31)."
    )


class CronTrigger(Strict):
    type: Literal["cron"] = Field(description="A cron expression.")
    expression: Text = Field(description="Cron expression, e.g. '0 3 * * *'.")
    time_zone: TimeZone = Field("UTC", description="Time zone (Windows name), e.g. UTC.")
    start_time: StartTime = Field(None, description="ISO 8601 start time.")

    @field_validator("expression")
    @classmethod
    def _cron(cls, expression: str) -> str:
        problem = cron_problem(expression)
        if problem:
            raise PydanticCustomError("cron", problem)
        return " ".join(expression.split())


class RecurrenceTrigger(Strict):
    type: Literal["recurrence"] = Field(description="Every N units of time.")
    frequency: RecurrenceFrequency = Field(description="Unit.")
    interval: int = Field(ge=1, le=10_000, description="Every how many units.")
    schedule: RecurrencePattern | None = Field(None, description="At which times.")
    time_zone: TimeZone = Field("UTC", description="Time zone (Windows name), e.g. UTC.")
    start_time: StartTime = Field(None, description="ISO 8601 start time.")


ImportTrigger = Annotated[CronTrigger | RecurrenceTrigger, Field(discriminator="type")]


def _schedule_name(name: str) -> str:
    if not SCHEDULE_NAME.fullmatch(name):
        raise PydanticCustomError(
            "schedule_name",
            "schedule name {name!r} is not valid: {rule}",
            {"name": name[:64], "rule": SCHEDULE_RULE},
        )
    return name


class ImportSchedule(Strict):
    """Run the import on a schedule (an Azure ML import-data schedule)."""

    name: Annotated[Text, AfterValidator(_schedule_name)] | None = Field(
        None,
        description="The schedule's name (default <import>-schedule). Name an existing "
        "schedule to adopt it rather than add a second one.",
    )
    trigger: ImportTrigger = Field(description="When to run, as in az ml schedule YAML.")
    enabled: bool = Field(True, description="Whether the schedule is enabled.")
    description: Prose | None = Field(None, description="Description.")


class AutoDeleteSetting(Strict):
    """When Azure ML deletes a version of an import into its managed datastore (as
    ``az ml data update --set auto_delete_setting...`` sets it)."""

    condition: AutoDeleteCondition = Field(
        "created_greater_than",
        description="Counted from when the version was created, or last accessed.",
    )
    value: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,4}d$")] = Field(
        description="How many days, e.g. 30d."
    )


_MAX_DATASTORE_URI = len("azureml://datastores//paths/") + MAX_NAME + MAX_FOLDER
DatastorePath = Annotated[
    str,
    Field(max_length=_MAX_DATASTORE_URI),
    AfterValidator(interpolate),
    AfterValidator(canonical_datastore_path),  # first: it explains why a path could escape
    bounded(_MAX_DATASTORE_URI),
]


class DataImport(Strict):
    """Import a query result or files into a versioned data asset (``az ml data import``)."""

    type: AssetType | None = Field(
        None, description="Asset type; defaults to mltable for database, uri_folder for files."
    )
    source: ImportSource = Field(description="Where the data comes from.")
    path: DatastorePath = Field(
        description="Target: azureml://datastores/<datastore>/paths/<folder>, a datastore's "
        "root (azureml://datastores/<datastore>/paths/), or Azure ML's managed datastore "
        f"({MANAGED_DATASTORE_URI}), where the service places each run."
    )
    version: (
        Annotated[str, Field(pattern=rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_VERSION - 1}}}$")] | None
    ) = Field(None, description="Pin the asset version; omit to number versions automatically.")
    description: Prose | None = Field(None, description="Description of the data asset.")
    tags: UserTags = Field(default_factory=dict, description="Tags of the data asset.")
    auto_delete_setting: AutoDeleteSetting | None = Field(
        None,
        description="Managed datastore only: when Azure ML deletes the versions reconciler "
        "imports (a schedule's runs register theirs without it).",
    )
    lifecycle: Lifecycle = lifecycle_field()
    schedule: ImportSchedule | None = Field(None, description="Optional schedule.")

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _default_type(self) -> DataImport:
        if self.type is None:
            object.__setattr__(self, "type", default_asset_type(self.source.type))
        return self

    @field_validator("auto_delete_setting")
    @classmethod
    def _managed_only(cls, value: AutoDeleteSetting | None, info: ValidationInfo) -> Any:
        path = info.data.get("path")
        if value is not None and isinstance(path, str) and path != MANAGED_DATASTORE_URI:
            raise PydanticCustomError(
                "auto_delete_setting",
                "Azure ML deletes imported data by itself only in its managed datastore; this "
                "import writes to {path}: set path: {managed}, or remove auto_delete_setting",
                {"path": path, "managed": MANAGED_DATASTORE_URI},
            )
        return value

    @property
    def asset_type(self) -> AssetType:
        return self.type or default_asset_type(self.source.type)

    @property
    def datastore(self) -> str:
        parsed = DatastoreUri.parse(self.path)
        assert parsed is not None  # validated by canonical_datastore_path
        return parsed.datastore
