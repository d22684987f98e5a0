"""Who consumes what a plan changes: schedules and recent jobs matched with the plan's changes.

A data asset that gets a new version, is archived or moves, and a datastore or connection that
is deleted or replaced, can break or change what other work in the workspace reads. The
workspace's schedules and recent jobs are read once (`WorkspaceReader.list_consumers`, bounded
by a `ConsumerWindow`) only when the plan has such a change, and each change gets the
consumers that read it, with how they read it (`Reads`). A datastore's consumers include those
reading a data asset version stored on it. The plan's own imports (their runs and schedules) are
not their own consumers: a delete already lists them as dependents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from reconciler.core.consumers import (
    Consumer,
    ConsumerWindow,
    LiveConsumer,
    LiveConsumers,
    Reads,
)
from reconciler.core.essences import Kind
from reconciler.core.live import LiveState
from reconciler.core.names import DatastoreUri
from reconciler.core.plan import Plan, ResourceChange
from reconciler.core.references import Form, Usage
from reconciler.core.schedules import next_run
from reconciler.core.vocabulary import version_key
from reconciler.core.workspace import WorkspaceReader

# asset name -> version -> datastore folder
Stored = Mapping[str, Mapping[str, DatastoreUri]]


def with_consumers(
    plan: Plan,
    reader: WorkspaceReader,
    live: LiveState,
    window: ConsumerWindow,
    now: datetime | None = None,
) -> Plan:
    """``plan`` with the consumers of each change that has some (read only when one does)."""
    if not any(c.has_consumers for c in plan.resource_changes):
        return plan
    now = now or datetime.now(UTC)
    found = reader.list_consumers(now - timedelta(days=window.days), window.jobs)
    stored = _stored(reader, live, found, plan)
    own = {c.name for c in plan.resource_changes if c.type is Kind.IMPORT}
    own |= {c.name for c in plan.resource_changes if c.type is Kind.SCHEDULE}
    changes = tuple(
        c.model_copy(update={"consumers": consumers_of(c, found, stored, own, now)})
        if c.has_consumers
        else c
        for c in plan.resource_changes
    )
    return plan.model_copy(update={"resource_changes": changes, "consumer_window": window})


def consumers_of(
    change: ResourceChange,
    found: LiveConsumers,
    stored: Stored,
    own: set[str],
    now: datetime,
) -> tuple[Consumer, ...]:
    """The consumers of one change, schedules first (by name), then jobs (newest first)."""
    out: list[Consumer] = []
    for consumer in found.all:
        if consumer.kind == "schedule" and consumer.name in own:
            continue
        if consumer.imports is not None and consumer.imports in own:
            continue
        groups: dict[tuple[Reads, str, str | None], list[str]] = defaultdict(list)
        for usage in consumer.usages:
            matched = _match(change, usage, stored)
            if matched is not None:
                groups[(matched, usage.reference, usage.parsed.version)].append(usage.where)
        for (reads, reference, version), where in sorted(groups.items()):
            out.append(_consumer(consumer, reads, reference, version, tuple(where), now))
    schedules = sorted((c for c in out if c.kind == "schedule"), key=_by_name)
    jobs = sorted((c for c in out if c.kind == "job"), key=_by_name)
    jobs.sort(key=lambda c: c.created_at or "", reverse=True)  # stable: newest first, then name
    return (*schedules, *jobs)


def _by_name(consumer: Consumer) -> tuple[str, str]:
    return (consumer.name, consumer.reference)


def _match(change: ResourceChange, usage: Usage, stored: Stored) -> Reads | None:
    ref = usage.parsed
    if change.type is Kind.IMPORT:
        names = {change.name}
        if change.previous_address is not None:
            names.add(change.previous_address.split(".", 1)[1])
        if ref.form in (Form.LATEST, Form.PINNED) and ref.name in names:
            return Reads.LATEST if ref.form is Form.LATEST else Reads.PINNED
        folder = _import_folder(change)
        if ref.form is Form.PATH and ref.folder and folder and ref.folder.overlaps(folder):
            return Reads.PATH
        return None
    if change.type is Kind.CONNECTION:
        return Reads.CONNECTION if ref.form is Form.CONNECTION and ref.name == change.name else None
    if ref.form is Form.PATH and ref.name == change.name:
        return Reads.PATH
    if ref.form is Form.SINK and ref.name == change.name:
        return Reads.SINK
    if ref.form in (Form.LATEST, Form.PINNED):
        where = _version_folder(stored.get(ref.name, {}), ref.version)
        if where is not None and where.datastore == change.name:
            return Reads.LATEST if ref.form is Form.LATEST else Reads.PINNED
    return None


def _import_folder(change: ResourceChange) -> DatastoreUri | None:
    for side in (change.change.after, change.change.before):
        path = (side or {}).get("path")
        if isinstance(path, str) and (parsed := DatastoreUri.parse(path)) is not None:
            return parsed
    return None


def _version_folder(
    versions: Mapping[str, DatastoreUri], version: str | None
) -> DatastoreUri | None:
    """Where the version a reference reads is stored: the pinned one, else the latest."""
    if version is not None:
        return versions.get(version)
    latest = max(versions, key=version_key, default=None)
    return versions.get(latest) if latest is not None else None


def _consumer(
    live: LiveConsumer,
    reads: Reads,
    reference: str,
    version: str | None,
    where: tuple[str, ...],
    now: datetime,
) -> Consumer:
    when = None
    if live.kind == "schedule" and live.enabled and live.trigger is not None:
        at = next_run(live.trigger, now)
        when = at.isoformat(timespec="minutes") if at is not None else None
    return Consumer(
        kind=live.kind,
        name=live.name,
        type=live.type,
        reads=reads,
        reference=reference,
        inputs=where,
        version=version if reads is Reads.PINNED else None,
        enabled=live.enabled if live.kind == "schedule" else None,
        next_run=when,
        status=live.status if live.kind == "job" else None,
        created_at=(live.created_at or None) if live.kind == "job" else None,
    )


def _stored(reader: WorkspaceReader, live: LiveState, found: LiveConsumers, plan: Plan) -> Stored:
    """Where the versions consumers read are stored, for a datastore's delete or replace: what
    the plan read already, and the version lists of the other assets consumers name."""
    if not any(c.type is Kind.DATASTORE and c.has_consumers for c in plan.resource_changes):
        return {}
    stored: dict[str, dict[str, DatastoreUri]] = defaultdict(dict)
    locations = [(d.asset, d.version, d.path) for d in live.elsewhere or () if not d.running]
    locations += [(a.name, v.version, v.path) for a in live.assets for v in a.versions]
    _add(stored, locations)
    named = {
        u.parsed.name
        for c in found.all
        for u in c.usages
        if u.parsed.form in (Form.LATEST, Form.PINNED)
    }
    missing = sorted(named - set(stored))
    if missing:
        _add(
            stored,
            ((a.name, v.version, v.path) for a in reader.list_assets(missing) for v in a.versions),
        )
    return stored


def _add(stored: dict[str, dict[str, DatastoreUri]], found: Iterable[tuple[str, str, str]]) -> None:
    for asset, version, path in found:
        parsed = DatastoreUri.parse(path)
        if parsed is not None:
            stored[asset][version] = parsed
