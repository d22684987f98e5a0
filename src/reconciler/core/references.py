"""What a job or a schedule reads, from the definition Azure ML stores for it. No I/O.

Azure ML keeps a job's inputs as URIs in several forms, and which form a consumer stored
decides whether a new data version reaches it:

- ``azureml:raw_house_data@latest`` (a label; only ``latest`` exists for data) and a bare
  ``azureml:raw_house_data`` (no version: read here as the latest, the cautious reading) pick
  up whatever version is latest when the job is created, so a schedule storing one takes each
  new version on its next run;
- ``azureml:raw_house_data:3``, the ARM id ``/subscriptions/…/data/raw_house_data/versions/3``
  and the long URIs ``azureml://subscriptions/…/data/raw_house_data/versions/3``,
  ``azureml://locations/…/data/raw_house_data/versions/3`` are pinned to that version;
- ``azureml://datastores/<datastore>/paths/<folder>`` (any datastore URI form) reads a folder.

azure-ai-ml resolves a label before it sends a job or a schedule (``jobs.create_or_update``,
``schedules.begin_create_or_update``: ``raw_house_data@latest`` is sent as the ARM id of the
version latest then), so what the SDK and the studio save is pinned; only a client that sends
the label itself (REST, an ARM template) stores ``@latest``. Data import steps and import
schedules read a connection (``source.connection``) and write a datastore folder.

Both providers hold these definitions as the service returns them (the emulator stores them
verbatim), so one reader of the JSON serves both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.core.essences import RecurrencePattern, Trigger
from reconciler.core.names import DatastoreUri

LATEST_LABEL = "latest"
_VERSIONED_ID = re.compile(
    r"^(?:azureml:)?/subscriptions/[^/]+/resource[gG]roups/[^/]+/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/[^/]+/data/([^/]+)/"
    r"(versions|labels)/([^/]+)/?$",
    re.IGNORECASE,
)
_LONG_DATA = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resource[gG]roups/[^/]+/|locations/[^/]+/)?"
    r"workspaces/[^/]+/data/([^/]+)/(versions|labels)/([^/]+)/?$",
    re.IGNORECASE,
)
_SHORT_DATA = re.compile(r"^azureml:([A-Za-z0-9][A-Za-z0-9._-]*)(?:(:|@)([^:@/]+))?$")


class Form(StrEnum):
    """How a stored reference names what it reads."""

    LATEST = "latest"  # a data asset's latest version (``@latest``, or no version at all)
    PINNED = "version"  # one version of a data asset
    PATH = "path"  # a folder of a datastore
    CONNECTION = "connection"  # an import's source
    SINK = "sink"  # the folder an import writes to


@dataclass(frozen=True)
class Reference:
    """What one stored URI (or connection name) points at."""

    form: Form
    name: str  # the data asset, datastore or connection
    version: str | None = None  # PINNED: the version
    folder: DatastoreUri | None = None  # PATH, SINK: the folder


def parse_reference(text: str) -> Reference | None:
    """The data asset version, label or datastore folder ``text`` names; None for anything
    else (a literal, an https:// URL, a local path)."""
    text = text.strip()
    folder = DatastoreUri.parse(text)
    if folder is not None:
        return Reference(Form.PATH, folder.datastore, folder=folder)
    match = _VERSIONED_ID.match(text) or _LONG_DATA.match(text)
    if match is not None:
        name, how, value = match.groups()
        return _asset(name, value if how.lower() == "versions" else None, value)
    short = _SHORT_DATA.match(text)
    if short is not None:
        name, sep, value = short.groups()
        return _asset(name, value if sep == ":" else None, value if sep == "@" else LATEST_LABEL)
    return None


def _asset(name: str, version: str | None, label: str | None) -> Reference:
    if version is not None:
        return Reference(Form.PINNED, name, version)
    # a label other than latest does not exist for data assets; read it as latest, which is
    # what would reach the consumer if one ever did
    del label
    return Reference(Form.LATEST, name)


def connection_reference(text: str) -> Reference | None:
    """An import source's connection, ``azureml:<name>`` or ``<name>``."""
    name = text.strip().removeprefix("azureml:")
    return Reference(Form.CONNECTION, name) if name else None


@dataclass(frozen=True)
class Usage:
    """One thing a job or schedule definition reads or writes, and where it says so."""

    reference: str  # as stored
    where: str  # e.g. ``inputs.training_data``, ``jobs.train.inputs.data``
    parsed: Reference


def job_usages(definition: Mapping[str, Any]) -> tuple[Usage, ...]:
    """Every data input (at the job's level and per pipeline step, sweep trial and AutoML
    data alike: any value typed as a job input) and every import step's source and sink."""
    found = list(_walk(definition, ()))
    return tuple(sorted(set(found), key=lambda u: (u.where, u.reference)))


def _walk(node: Any, where: tuple[str, ...]) -> Iterator[Usage]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, (*where, str(index)))
        return
    if not isinstance(node, dict):
        return
    yield from _input(node, where)
    if node.get("task") == "import_data":
        yield from _import_step(node, where)
        return
    for key, value in node.items():
        if isinstance(value, (dict, list)):
            yield from _walk(value, (*where, str(key)))


def _input(node: Mapping[str, Any], where: tuple[str, ...]) -> Iterator[Usage]:
    kind = node.get("jobInputType") or node.get("job_input_type")
    if not isinstance(kind, str) or kind.lower() == "literal":
        return
    uri = node.get("uri") or node.get("path")
    if isinstance(uri, str):
        parsed = parse_reference(uri)
        if parsed is not None:
            yield Usage(uri, ".".join(where), parsed)


def _import_step(node: Mapping[str, Any], where: tuple[str, ...]) -> Iterator[Usage]:
    source = node.get("source") or {}
    connection = source.get("connection") if isinstance(source, dict) else None
    if isinstance(connection, str) and (parsed := connection_reference(connection)):
        yield Usage(connection, ".".join((*where, "source", "connection")), parsed)
    sink = (node.get("outputs") or {}).get("sink") or {}
    uri = sink.get("uri") if isinstance(sink, dict) else None
    if isinstance(uri, str) and (folder := DatastoreUri.parse(uri)) is not None:
        reference = Reference(Form.SINK, folder.datastore, folder=folder)
        yield Usage(uri, ".".join((*where, "outputs", "sink")), reference)


def import_usages(connection: str, data_uri: str, where: str = "") -> tuple[Usage, ...]:
    """An import schedule's (or a local import run's) source connection and target folder."""
    prefix = f"{where}." if where else ""
    found = []
    if (parsed := connection_reference(connection)) is not None:
        found.append(Usage(connection, f"{prefix}source.connection", parsed))
    if (folder := DatastoreUri.parse(data_uri)) is not None:
        sink = Reference(Form.SINK, folder.datastore, folder=folder)
        found.append(Usage(data_uri, f"{prefix}dataUri", sink))
    return tuple(found)


def schedule_usages(action: Mapping[str, Any]) -> tuple[Usage, ...]:
    """What a schedule's action reads: a job definition's inputs (``CreateJob``), an import's
    source and target (``ImportData``), a monitor's data (``CreateMonitor``: any input)."""
    if action.get("actionType") == "ImportData":
        definition = action.get("dataImportDefinition") or {}
        source = definition.get("source") or {}
        return import_usages(
            str(source.get("connection") or ""),
            str(definition.get("dataUri") or ""),
            "dataImportDefinition",
        )
    body = action.get("jobDefinition") if action.get("actionType") == "CreateJob" else action
    return tuple(
        Usage(u.reference, f"jobDefinition.{u.where}" if body is not action else u.where, u.parsed)
        for u in job_usages(body or {})
    )


_PATTERN = {"hours": "hours", "minutes": "minutes", "weekDays": "week_days"}


def trigger_from_json(trigger: Mapping[str, Any]) -> Trigger | None:
    """A schedule's trigger as the service returns it (cron or recurrence), or None when it
    cannot be read (it then has no next run to show)."""
    zone = str(trigger.get("timeZone") or "UTC")
    start = trigger.get("startTime")
    start_time = str(start) if start else None
    try:
        if trigger.get("triggerType") == "Cron" and trigger.get("expression"):
            expression = " ".join(str(trigger["expression"]).split())
            return Trigger(
                type="cron", expression=expression, time_zone=zone, start_time=start_time
            )
        if trigger.get("triggerType") == "Recurrence" and trigger.get("frequency"):
            given = trigger.get("schedule") or {}
            pattern = {ours: list(given.get(theirs) or []) for theirs, ours in _PATTERN.items()}
            return Trigger(
                type="recurrence",
                frequency=str(trigger["frequency"]).lower(),
                interval=int(trigger.get("interval") or 1),
                schedule=RecurrencePattern(**pattern) if any(pattern.values()) else None,
                time_zone=zone,
                start_time=start_time,
            )
    except ValueError:
        return None
    return None
