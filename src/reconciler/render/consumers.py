"""How every renderer says who consumes a change: one line per consumer, in words that say
what the change does to it. Pure functions of the plan."""

from __future__ import annotations

from reconciler.core.consumers import Consumer, Reads
from reconciler.core.essences import Kind
from reconciler.core.plan import Action, Plan, ResourceChange

SHOWN = 20  # consumers listed per change; the plan file has them all


def consumer_lines(plan: Plan, change: ResourceChange) -> list[str]:
    """``# consumers (…):`` and one line per consumer (or ``none found``); nothing when the
    plan did not look for them or the change has none to look for."""
    if plan.consumer_window is None or not change.has_consumers:
        return []
    where = plan.consumer_window.describe()
    if not change.consumers:
        return [f"# consumers: none found ({where})"]
    lines = [f"# consumers ({where}):"]
    lines += [f"#   {consumer_text(change, c)}" for c in change.consumers[:SHOWN]]
    hidden = len(change.consumers) - SHOWN
    if hidden > 0:
        lines.append(f"#   … and {hidden} more (the JSON plan lists them all)")
    return lines


def who(consumer: Consumer) -> str:
    """``schedule.weekly_retrain (Pipeline, next run 2026-12-14T10:15+00:00)``."""
    facts = [consumer.type or "?"]
    if consumer.kind == "schedule":
        if consumer.enabled is False:
            facts.append("disabled")
        elif consumer.next_run:
            facts.append(f"next run {consumer.next_run}")
    else:
        facts += [x for x in (consumer.status, consumer.created_at) if x]
    return f"{consumer.address} ({', '.join(facts)})"


def consumer_text(change: ResourceChange, consumer: Consumer) -> str:
    """A consumer and what the change does to it, e.g. ``… reads raw_house_data@latest: takes
    version 5 on its next run``."""
    return f"{who(consumer)} {reading(consumer)}: {effect(change, consumer)}"


def reading(consumer: Consumer) -> str:
    verb = "read" if consumer.kind == "job" else "reads"
    if consumer.reads is Reads.CONNECTION:
        return "imports from it"
    if consumer.reads is Reads.SINK:
        return f"imports into {consumer.reference}"
    if consumer.reads is Reads.PINNED:
        return f"{verb} {consumer.reference} (version {consumer.version})"
    return f"{verb} {consumer.reference}"


def effect(change: ResourceChange, consumer: Consumer) -> str:
    """What the change means for a consumer that reads it this way."""
    job = consumer.kind == "job"
    if change.type is not Kind.IMPORT:
        if change.action is Action.DELETE:
            return f"breaks: the {change.type} is deleted"
        return f"breaks while the {change.type} is re-created, then uses its new settings"
    if change.action is Action.MATERIALIZE:
        new = f"version {change.version}"
        if consumer.reads is Reads.LATEST:
            if job:
                return f"a re-run would take {new}"
            if consumer.enabled is False:
                return f"takes {new} when enabled"
            return f"takes {new} on its next run"
        if consumer.reads is Reads.PINNED:
            return f"pinned: {new} does not reach it"
        return f"sees {new}'s files in that folder"
    if change.action is Action.MOVE:
        return f"still reads the old name, which is archived: point it at {change.name}"
    # archive
    if consumer.reads is Reads.PINNED:
        return "the version stays readable (archived, kept)"
    return "the data asset is archived (hidden, every version kept)"


def latest_readers(plan: Plan) -> list[tuple[ResourceChange, Consumer]]:
    """Schedules and jobs that take a new version of data this plan changes: what a reviewer
    must see first."""
    return [
        (change, consumer)
        for change in plan.resource_changes
        if change.action is Action.MATERIALIZE
        for consumer in change.consumers
        if consumer.reads is Reads.LATEST
    ]
