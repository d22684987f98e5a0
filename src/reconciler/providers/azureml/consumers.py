"""Who consumes what a plan changes, read from Azure ML: every schedule, and the recent jobs.

Two lists, read as JSON through azure-ai-ml's management pipeline (authentication, retries,
transport and error mapping, as `reads` does: `arm`), at the same time:

- ``GET schedules?listViewType=All``: every schedule (import, command and pipeline job
  schedules alike; a workspace holds few), each page followed;
- ``GET jobs?listViewType=ActiveOnly``: jobs of every type. The service lists the newest first,
  so paging stops at the first job older than the window or once ``limit`` jobs were read:
  at most ``ceil(limit / page size)`` requests, however long the history.

The definitions are read by `reconciler.core.references`, which both providers share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from reconciler.core.consumers import LiveConsumer, LiveConsumers
from reconciler.core.references import job_usages, schedule_usages, trigger_from_json
from reconciler.core.vocabulary import MATERIALIZATION_ASSET_PROPERTY
from reconciler.providers.azureml.arm import API_VERSIONS, page

Call = Callable[[str, Callable[[], Any]], Any]


class ConsumerReader:
    """Lists one workspace's schedules and recent jobs (see the module's docstring)."""

    def __init__(self, client: Any, workspace_path: str, call: Call) -> None:
        self._client = client  # `arm.arm_client`
        self._path = workspace_path
        self._call = call
        self.jobs_api = API_VERSIONS["jobs"]
        self.schedules_api = API_VERSIONS["schedules"]

    def list_consumers(self, since: datetime, limit: int) -> LiveConsumers:
        with ThreadPoolExecutor(max_workers=1) as pool:
            jobs = pool.submit(self._call, "list recent jobs", lambda: self.jobs(since, limit))
            schedules = self._call("list schedules", self.schedules)
            return LiveConsumers(tuple(schedules), tuple(jobs.result()))

    def schedules(self) -> list[LiveConsumer]:
        params = {"api-version": self.schedules_api, "listViewType": "All"}
        return [schedule_from_json(item) for item in self._pages("/schedules", params)]

    def jobs(self, since: datetime, limit: int) -> list[LiveConsumer]:
        """Jobs created at ``since`` or later, newest first, at most ``limit``."""
        if limit <= 0:
            return []
        params = {"api-version": self.jobs_api, "listViewType": "ActiveOnly"}
        found: list[LiveConsumer] = []
        for item in self._pages("/jobs", params):
            created = _created(item)
            if created is not None and created < since:
                break  # newest first: the rest are older still
            found.append(job_from_json(item))
            if len(found) >= limit:
                break
        return found

    def _pages(self, path: str, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """The items of a list, a page at a time (the caller stops when it has enough: no page
        is asked for before the caller needs it)."""
        url: str | None = self._path + path
        query: Mapping[str, str] | None = params
        while url:
            body = page(self._client, url, query)
            yield from body.get("value") or []
            url, query = body.get("nextLink"), None  # absolute, with the query repeated


def _created(item: Mapping[str, Any]) -> datetime | None:
    text = str((item.get("systemData") or {}).get("createdAt") or "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def schedule_from_json(item: Mapping[str, Any]) -> LiveConsumer:
    props = item.get("properties") or {}
    action = props.get("action") or {}
    job = action.get("jobDefinition") or {}
    imported = (action.get("dataImportDefinition") or {}).get("assetName")
    return LiveConsumer(
        kind="schedule",
        name=str(item.get("name")),
        type=str(job.get("jobType") or action.get("actionType") or ""),
        usages=schedule_usages(action),
        created_at=str((item.get("systemData") or {}).get("createdAt") or ""),
        enabled=props.get("isEnabled", True) is not False,
        trigger=trigger_from_json(props.get("trigger") or {}),
        imports=str(imported) if imported else None,
    )


def job_from_json(item: Mapping[str, Any]) -> LiveConsumer:
    props = item.get("properties") or {}
    imported = (props.get("properties") or {}).get(MATERIALIZATION_ASSET_PROPERTY)
    return LiveConsumer(
        kind="job",
        name=str(item.get("name")),
        type=str(props.get("jobType") or ""),
        usages=job_usages(props),
        created_at=str((item.get("systemData") or {}).get("createdAt") or ""),
        status=str(props.get("status") or "") or None,
        imports=str(imported) if imported else None,
    )
