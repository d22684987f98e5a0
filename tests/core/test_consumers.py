"""Consumers on the in-memory twin: which schedules and recent jobs a change lists, how they
read it, what the window leaves out, and that a plan with nothing to look for reads nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.core.consumers import ConsumerWindow, LiveConsumer, LiveConsumers, Reads
from reconciler.core.essences import Kind, Trigger
from reconciler.core.plan import Plan
from reconciler.core.references import import_usages, job_usages
from reconciler.engine.planner import build_plan
from tests.core.test_planner import apply
from tests.core.twin import Twin
from tests.core.values import QUERY, an_import, connection, datastore, example, state

NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
WINDOW = ConsumerWindow(days=30, jobs=200)
WEEKLY = Trigger(type="cron", expression="15 10 * * 1", time_zone="UTC")


def job(
    name: str, uri: str, created: str = "2026-12-08T09:00:00.000Z", **extra: str
) -> LiveConsumer:
    inputs = {"inputs": {"data": {"jobInputType": "mltable", "uri": uri}}}
    return LiveConsumer(
        "job", name, "Command", job_usages(inputs), created_at=created, status="Completed"
    )


def schedule(name: str, uri: str, enabled: bool = True) -> LiveConsumer:
    definition = {"jobs": {"train": {"inputs": {"d": {"job_input_type": "mltable", "uri": uri}}}}}
    usages = job_usages(definition)
    return LiveConsumer("schedule", name, "Pipeline", usages, enabled=enabled, trigger=WEEKLY)


def converged(*consumers: LiveConsumer) -> Twin:
    twin = Twin()
    assert apply(example(), twin).result.ok
    schedules = tuple(c for c in consumers if c.kind == "schedule")
    jobs = tuple(c for c in consumers if c.kind == "job")
    twin.consumers = LiveConsumers(schedules, jobs)
    return twin


def planned(desired_query: str, twin: Twin, prune: bool = False, **kinds: bool) -> Plan:
    resources = [an_import(query=desired_query)]
    if kinds.get("datastore", True):
        resources.insert(0, datastore())
    resources.insert(0, connection())
    return build_plan(state(*resources), twin, prune=prune, consumers=WINDOW, now=NOW)


def listed(plan: Plan, address: str) -> dict[str, tuple[str, str | None, str | None]]:
    change = next(c for c in plan.resource_changes if c.address == address)
    return {c.address: (c.reads.value, c.version, c.next_run) for c in change.consumers}


def test_a_new_version_lists_latest_and_pinned_readers_and_schedules_next_runs() -> None:
    twin = converged(
        schedule("weekly", "azureml:raw_house_data@latest"),
        schedule("paused", "azureml:raw_house_data", enabled=False),
        job(
            "pinned",
            "/subscriptions/s/resourceGroups/r/providers/"
            "Microsoft.MachineLearningServices/workspaces/w/data/raw_house_data/versions/1",
        ),
        job("by_path", "azureml://datastores/rawdata/paths/raw_house_data/1/"),
        job("other", "azureml:other_asset@latest"),
    )
    plan = planned(QUERY + " WHERE PRICE > 0", twin)

    assert plan.consumer_window == WINDOW
    assert listed(plan, "import.raw_house_data") == {
        "schedule.paused": ("latest", None, None),  # disabled: no next run
        "schedule.weekly": ("latest", None, "2026-12-14T10:15+00:00"),
        "job.by_path": ("path", None, None),
        "job.pinned": ("version", "1", None),
    }


def test_a_plan_with_nothing_consumers_read_does_not_read_them() -> None:
    class Counting(Twin):
        reads = 0

        def list_consumers(self, since: datetime, limit: int) -> LiveConsumers:
            Counting.reads += 1
            return super().list_consumers(since, limit)

    twin = Counting()
    assert apply(example(), twin).result.ok
    plan = build_plan(example(), twin, consumers=WINDOW, now=NOW)

    assert plan.converged and Counting.reads == 0 and plan.consumer_window is None


def test_the_window_leaves_out_older_jobs_and_keeps_at_most_the_newest_n() -> None:
    twin = converged(
        job("old", "azureml:raw_house_data:1", created="2026-10-01T00:00:00.000Z"),
        *(
            job(f"j{i}", "azureml:raw_house_data:1", created=f"2026-12-0{i}T00:00:00.000Z")
            for i in range(1, 6)
        ),
    )
    narrow = ConsumerWindow(days=30, jobs=3)
    desired = state(connection(), datastore(), an_import(query=QUERY + " LIMIT 5"))
    plan = build_plan(desired, twin, consumers=narrow, now=NOW)

    assert list(listed(plan, "import.raw_house_data")) == ["job.j5", "job.j4", "job.j3"]


def test_deleting_a_connection_lists_imports_from_it_but_not_the_plans_own() -> None:
    other = LiveConsumer(
        "schedule",
        "someone_elses_import",
        "ImportData",
        import_usages("azureml:snowflake", "azureml://datastores/workspaceblobstore/paths/x"),
        trigger=WEEKLY,
        imports="someone_elses_asset",
    )
    own = LiveConsumer(
        "job",
        "import_raw_house_data_1",
        "Pipeline",
        import_usages("snowflake", "azureml://datastores/rawdata/paths/raw_house_data/1"),
        imports="raw_house_data",
    )
    twin = converged(other, own)
    plan = build_plan(state(), twin, prune=True, consumers=WINDOW, now=NOW)

    assert listed(plan, "connection.snowflake") == {
        "schedule.someone_elses_import": ("connection", None, "2026-12-14T10:15+00:00")
    }
    store = next(c for c in plan.resource_changes if c.address == "datastore.rawdata")
    assert store.consumers == ()  # only the plan's own import wrote there


def test_deleting_a_datastore_lists_readers_of_data_stored_on_it() -> None:
    twin = converged(
        schedule("weekly", "azureml:raw_house_data@latest"),
        job("pinned", "azureml:raw_house_data:1"),
        job("elsewhere", "azureml://datastores/workspaceblobstore/paths/x/"),
    )
    plan = build_plan(state(connection()), twin, prune=True, consumers=WINDOW, now=NOW)

    assert {a: r for a, (r, _, _) in listed(plan, "datastore.rawdata").items()} == {
        "schedule.weekly": Reads.LATEST.value,
        "job.pinned": Reads.PINNED.value,
    }
    assert Kind.IMPORT in {c.type for c in plan.resource_changes if c.consumers}
