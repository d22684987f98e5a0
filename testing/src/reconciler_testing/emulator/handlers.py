"""What each API route does: store reads and writes with Azure ML's status codes.

Connections answer PUT with 200 only (the SDK rejects 201); datastores, data versions and
schedules answer 201 with a ``Location`` when they create and 200 when they update; DELETE
answers 200, or 204 when there was nothing to delete. Schedules are long-running operations
(see `reconciler_testing.emulator.lro`). Rules the store enforces (system datastores are read-only,
data asset paths are immutable) come back as UserError with the service's wording: 400, or
409 for a version that already exists with another path (azure-ai-ml answers that by retrying an
auto-versioned create with the next version, which is how concurrent creates all land).
"""

from __future__ import annotations

import threading

from reconciler.core.errors import ProviderError
from reconciler.providers.local.provider import LocalWorkspace
from reconciler.providers.local.store import DATA_CONTAINER, Record, VersionRecord
from reconciler_testing.emulator import connection_mapping as cm
from reconciler_testing.emulator import data_mapping as dm
from reconciler_testing.emulator import datastore_mapping as dsm
from reconciler_testing.emulator import mapping as m
from reconciler_testing.emulator import schedule_mapping as sm
from reconciler_testing.emulator.job_mapping import JobQuery
from reconciler_testing.emulator.jobs import ImportJobs
from reconciler_testing.emulator.lro import Operations
from reconciler_testing.emulator.other_jobs import is_import
from reconciler_testing.emulator.protocol import (
    JSON,
    Request,
    Response,
    bad_request,
    conflict,
    not_found,
)
from reconciler_testing.emulator.protocol import page as paged
from reconciler_testing.emulator.settings import Settings
from reconciler_testing.emulator.validation import check_name

ASSET_PATH_ERROR = "Asset paths cannot be updated."
CONTAINER = DATA_CONTAINER  # a data container's archived flag


class Handlers:
    def __init__(
        self, workspace: LocalWorkspace, scope: m.Scope, settings: Settings, jobs: ImportJobs
    ) -> None:
        self.workspace = workspace
        self.store = workspace.store
        self.scope = scope
        self.settings = settings
        self.jobs = jobs
        self.operations = Operations(scope, settings.lro_polls, settings.lro_retry_after)
        self._listed: dict[str, tuple[tuple[int, int], list[Record]]] = {}
        self._listing = threading.Lock()

    def _objects(self, kind: str) -> list[Record]:
        """The store's records of ``kind``, parsed once while the store does not change: a
        client paging through a list reads it once (as a service answers from its index)."""
        generation = self.store.generation()
        with self._listing:
            cached = self._listed.get(kind)
        if cached is not None and cached[0] == generation:
            return list(cached[1])
        records = self.store.list_objects(kind)
        with self._listing:
            self._listed[kind] = (generation, records)
        return list(records)

    def _page(self, req: Request, items: list[JSON], size: int | None = None) -> Response:
        return paged(req, items, size or self.settings.page_size, lambda item: item)

    def _put(self, kind: str, name: str, body: JSON, secrets: dict[str, str]) -> bool:
        try:
            return self.store.put(kind, name, body, secrets)
        except ProviderError as exc:
            raise bad_request(exc.message) from None

    def _delete(self, kind: str, name: str) -> Response:
        try:
            existed = self.store.delete(kind, name)
        except ProviderError as exc:
            raise bad_request(exc.message) from None
        return Response(200 if existed else 204, empty=True)

    def _record(self, kind: str, name: str, missing: str) -> Record:
        record = self.store.get(kind, name)
        if record is None:
            raise not_found(missing)
        return record

    # --- workspace ---------------------------------------------------------------------------

    def workspace_get(self, req: Request) -> Response:
        scope = self.scope
        return Response(
            200,
            {
                "id": scope.workspace_path,
                "name": scope.workspace_name,
                "type": f"{m.PROVIDER}/workspaces",
                "location": scope.location,
                "kind": "Default",
                "tags": {},
                "sku": {"name": "Basic", "tier": "Basic"},
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "workspaceId": scope.workspace_id,
                    "friendlyName": scope.workspace_name,
                    "description": "Azure ML emulator (reconciler)",
                    "discoveryUrl": f"{req.base_url}/discovery",
                    "provisioningState": "Succeeded",
                    "publicNetworkAccess": "Enabled",
                    "hbiWorkspace": False,
                },
                "systemData": m.system_data("2024-01-01T00:00:00Z"),
            },
        )

    # --- connections -------------------------------------------------------------------------

    @staticmethod
    def connection_missing(name: str) -> str:
        return f"Connection {name} can't be found in this workspace"

    def connections_list(self, req: Request) -> Response:
        category, target = req.param("category"), req.param("target")
        records = [
            r
            for r in self._objects("connection")
            if (not category or cm.category_of(r).lower() == category.lower())
            and (not target or r.body.get("target") == target)
        ]
        return paged(req, records, self.settings.page_size, self._connection)

    def _connection(self, record: Record) -> JSON:
        return cm.connection_to_rest(self.scope, record)

    def connection_get(self, req: Request, name: str) -> Response:
        record = self._record("connection", name, self.connection_missing(name))
        return Response(200, cm.connection_to_rest(self.scope, record))

    def connection_put(self, req: Request, name: str) -> Response:
        check_name("connection", name)
        body, secrets = cm.connection_from_rest(req.json_body())
        self._put("connection", name, body, secrets)
        record = self._record("connection", name, self.connection_missing(name))
        return Response(200, cm.connection_to_rest(self.scope, record))

    def connection_delete(self, req: Request, name: str) -> Response:
        return self._delete("connection", name)

    def connection_secrets(self, req: Request, name: str) -> Response:
        record = self._record("connection", name, self.connection_missing(name))
        secrets = self.store.secrets("connection", name)
        return Response(200, cm.connection_to_rest(self.scope, record, secrets))

    # --- datastores --------------------------------------------------------------------------

    @staticmethod
    def datastore_missing(name: str) -> str:
        return f"Could not find datastore: {name}."

    def datastores_list(self, req: Request) -> Response:
        records = self._objects("datastore")
        if (req.param("isDefault") or "").lower() == "true":
            records = [r for r in records if r.body.get("is_default")]
        ascending = (req.param("orderByAsc") or "false").lower() == "true"
        records.sort(key=lambda r: (r.created_at, r.name), reverse=not ascending)
        count = req.param("count")
        size = self.settings.page_size
        if count and count.isdigit():
            size = min(size, int(count))
        return paged(req, records, size, lambda r: dsm.datastore_to_rest(self.scope, r))

    def datastore_get(self, req: Request, name: str) -> Response:
        record = self._record("datastore", name, self.datastore_missing(name))
        return Response(200, dsm.datastore_to_rest(self.scope, record))

    def datastore_put(self, req: Request, name: str) -> Response:
        check_name("datastore", name)
        body, secrets = dsm.datastore_from_rest(req.json_body())
        created = self._put("datastore", name, body, secrets)
        record = self._record("datastore", name, self.datastore_missing(name))
        headers = {"Location": _location(req)} if created else {}
        return Response(201 if created else 200, dsm.datastore_to_rest(self.scope, record), headers)

    def datastore_delete(self, req: Request, name: str) -> Response:
        return self._delete("datastore", name)

    def datastore_secrets(self, req: Request, name: str) -> Response:
        record = self._record("datastore", name, self.datastore_missing(name))
        return Response(200, dsm.datastore_secrets(record, self.store.secrets("datastore", name)))

    # --- data assets -------------------------------------------------------------------------

    def _container(self, name: str) -> JSON | None:
        versions = self.store.version_records(name)
        if not versions:
            return None
        record = self.store.get(CONTAINER, name)
        return dm.data_container_to_rest(self.scope, name, versions, record.body if record else {})

    def _version(self, name: str, version: str) -> VersionRecord | None:
        return next((v for v in self.store.version_records(name) if v.version == version), None)

    def data_list(self, req: Request) -> Response:
        view = _view(req)
        archived = {r.name for r in self._objects(CONTAINER) if r.body.get("is_archived")}
        names = [n for n in self.store.list_asset_names() if _visible(view, n in archived)]
        # only the page's containers are built (each is two reads of the store)
        return paged(req, names, self.settings.page_size, self._listed_container)

    def _listed_container(self, name: str) -> JSON:
        container = self._container(name)
        assert container is not None  # a listed name has versions
        return container

    def data_container_get(self, req: Request, name: str) -> Response:
        container = self._container(name)
        if container is None:
            raise not_found(f"Could not find data asset {name}.")
        return Response(200, container)

    def data_container_put(self, req: Request, name: str) -> Response:
        if self._container(name) is None:
            raise bad_request(f"Data asset {name} has no versions; create a version first.")
        body = dm.data_container_from_rest(req.json_body())
        self._put(CONTAINER, name, body, {})
        return Response(200, self._container(name))

    def data_versions_list(self, req: Request, name: str) -> Response:
        view = _view(req)
        versions = reversed(self.store.version_records(name))  # newest first
        items = [
            dm.data_version_to_rest(self.scope, name, v, listing=True)
            for v in versions
            if _visible(view, bool(v.body.get("is_archived")))
        ]
        top = req.param("$top")
        return self._page(req, items[: int(top)] if top and top.isdigit() else items)

    def data_version_get(self, req: Request, name: str, version: str) -> Response:
        record = self._version(name, version)
        if record is None:
            raise not_found(f"Could not find data asset {name} version {version}.")
        return Response(200, dm.data_version_to_rest(self.scope, name, record))

    def data_version_put(self, req: Request, name: str, version: str) -> Response:
        check_name("data asset", name)
        body = dm.data_version_from_rest(req.json_body())
        existed = self._version(name, version) is not None
        try:
            self.store.create_version(name, version, body)
        except ProviderError:
            # 409, not 400: azure-ai-ml retries an auto-versioned create on 409 with the next
            # version, so concurrent creates of one asset all land, as they do on the service
            raise conflict(ASSET_PATH_ERROR) from None
        response = self.data_version_get(req, name, version)
        if not existed:
            response.status = 201
            response.headers["Location"] = _location(req)
        return response

    # --- jobs --------------------------------------------------------------------------------

    def jobs_list(self, req: Request) -> Response:
        names = ("jobType", "listViewType", "tag", "properties", "scheduleId", "assetName")
        query = JobQuery.parse({k: req.param(k) for k in names})
        return paged(req, self.jobs.list(query), self.settings.page_size, self.jobs.render)

    def job_get(self, req: Request, name: str) -> Response:
        job = self.jobs.get(name)
        if job is None:
            raise not_found(f"Could not find job {name}.")
        return Response(200, job)

    def job_put(self, req: Request, name: str) -> Response:
        body = req.json_body()
        submit = self.jobs.submit if is_import(body) else self.jobs.keep
        created, job = submit(name, body)
        if not created:
            return Response(200, job)
        return Response(201, job, {"Location": _location(req)})

    # --- components (what pipeline jobs' steps run; kept, never run) --------------------------

    def component_get(self, req: Request, name: str, version: str) -> Response:
        record = self._record("component", f"{name}:{version}", _component_missing(name, version))
        return Response(200, _component(self.scope, name, version, record))

    def component_put(self, req: Request, name: str, version: str) -> Response:
        check_name("component", name)
        props = m.properties_of(req.json_body())
        created = self._put("component", f"{name}:{version}", props, {})
        record = self._record("component", f"{name}:{version}", _component_missing(name, version))
        answer = _component(self.scope, name, version, record)
        return Response(201 if created else 200, answer, {"Location": _location(req)})

    # --- schedules ---------------------------------------------------------------------------

    @staticmethod
    def schedule_missing(name: str) -> str:
        return f"Resource Trigger {name} not found"

    def schedules_list(self, req: Request) -> Response:
        view = req.param("listViewType") or "EnabledOnly"
        if view not in ("EnabledOnly", "DisabledOnly", "All"):
            raise bad_request(f"listViewType {view!r}: use EnabledOnly, DisabledOnly or All.")
        records = [
            r
            for r in self.store.list_objects("schedule")
            if view == "All" or sm.enabled(r) == (view == "EnabledOnly")
        ]
        return paged(
            req, records, self.settings.page_size, lambda r: sm.schedule_to_rest(self.scope, r)
        )

    def schedule_get(self, req: Request, name: str) -> Response:
        record = self._record("schedule", name, self.schedule_missing(name))
        return Response(200, sm.schedule_to_rest(self.scope, record))

    def schedule_put(self, req: Request, name: str) -> Response:
        body = sm.schedule_from_rest(req.json_body())
        created = self._put("schedule", name, body, {})
        record = self._record("schedule", name, self.schedule_missing(name))
        if self.settings.lro == "sync":
            body = sm.schedule_to_rest(self.scope, record, put_answer="Succeeded")
            return Response(201 if created else 200, body)
        # as recorded: 201 (updates too), provisioningState Creating, polled until Succeeded
        body = sm.schedule_to_rest(self.scope, record, put_answer="Creating")
        operation = self.operations.start("Creating")
        headers = self.operations.headers(req.base_url, operation, _api(req), _location(req))
        return Response(201, body, headers)

    def schedule_delete(self, req: Request, name: str) -> Response:
        response = self._delete("schedule", name)
        if self.settings.lro == "sync" or response.status == 204:
            return response
        headers = self.operations.headers(req.base_url, self.operations.start(), _api(req), "")
        return Response(202, None, headers)

    def operation_status(self, req: Request, op_id: str) -> Response:
        polled = self.operations.poll(op_id)
        if polled is None:
            raise not_found(f"Operation {op_id} not found.")
        body, finished = polled
        return Response(200, body, {} if finished else self.operations.wait_headers())

    def operation_result(self, req: Request, op_id: str) -> Response:
        if self.operations.poll(op_id) is None:
            raise not_found(f"Operation {op_id} not found.")
        return Response(204, empty=True)


def _component_missing(name: str, version: str) -> str:
    return f"Could not find component {name} version {version}."


def _component(scope: m.Scope, name: str, version: str, record: Record) -> JSON:
    """A component version as stored (its spec verbatim), with the service's envelope."""
    props = {
        "description": None,
        "tags": {},
        "properties": {},
        "isArchived": False,
        "isAnonymous": False,
        **record.body,
    }
    return {
        **scope.resource(f"components/{name}/versions/{version}", version, "components/versions"),
        "properties": props,
        "systemData": m.system_data(record.created_at, record.updated_at),
    }


def _api(req: Request) -> str:
    return req.param("api-version") or "2023-06-01-preview"


def _location(req: Request) -> str:
    """The created resource's URL, as the service's ``Location`` header gives it."""
    return f"{req.base_url}{req.path}?api-version={_api(req)}"


def _view(req: Request) -> str:
    view = req.param("listViewType") or "ActiveOnly"
    if view not in ("ActiveOnly", "ArchivedOnly", "All"):
        raise bad_request(f"listViewType {view!r} is not one of ActiveOnly, ArchivedOnly, All.")
    return view


def _visible(view: str, archived: bool) -> bool:
    return view == "All" or archived == (view == "ArchivedOnly")
