"""What each API route does: store reads and writes with Azure ML's status codes.

Connections answer PUT with 200 only (the SDK rejects 201); datastores, data versions and
schedules answer 201 when they create and 200 when they update; DELETE answers 200, or 204 when
there was nothing to delete. Rules the store enforces (system datastores are read-only, data
asset paths are immutable) come back as 400 UserError with the service's wording.
"""

from __future__ import annotations

from reconciler.emulator import mapping as m
from reconciler.emulator import schedule_mapping as sm
from reconciler.emulator.job_mapping import matches
from reconciler.emulator.jobs import ImportJobs
from reconciler.emulator.lro import Operations
from reconciler.emulator.protocol import JSON, Request, Response, bad_request, not_found
from reconciler.emulator.protocol import page as paged
from reconciler.emulator.settings import Settings
from reconciler.errors import ProviderError
from reconciler.providers.local.provider import LocalWorkspace
from reconciler.providers.local.store import DATA_CONTAINER, Record

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

    def connection_missing(self, name: str) -> str:
        return f"Connection {name} can't be found in this workspace"

    def connections_list(self, req: Request) -> Response:
        category, target = req.param("category"), req.param("target")
        items = [m.connection_to_rest(self.scope, r) for r in self.store.list_objects("connection")]
        items = [
            i
            for i in items
            if (not category or i["properties"]["category"].lower() == category.lower())
            and (not target or i["properties"]["target"] == target)
        ]
        return self._page(req, items)

    def connection_get(self, req: Request, name: str) -> Response:
        record = self._record("connection", name, self.connection_missing(name))
        return Response(200, m.connection_to_rest(self.scope, record))

    def connection_put(self, req: Request, name: str) -> Response:
        body, secrets = m.connection_from_rest(req.json_body())
        self._put("connection", name, body, secrets)
        record = self._record("connection", name, self.connection_missing(name))
        return Response(200, m.connection_to_rest(self.scope, record))

    def connection_delete(self, req: Request, name: str) -> Response:
        return self._delete("connection", name)

    def connection_secrets(self, req: Request, name: str) -> Response:
        record = self._record("connection", name, self.connection_missing(name))
        secrets = self.store.secrets("connection", name)
        return Response(200, m.connection_to_rest(self.scope, record, secrets))

    # --- datastores --------------------------------------------------------------------------

    @staticmethod
    def datastore_missing(name: str) -> str:
        return f"Could not find datastore: {name}."

    def datastores_list(self, req: Request) -> Response:
        records = self.store.list_objects("datastore")
        if (req.param("isDefault") or "").lower() == "true":
            records = [r for r in records if r.body.get("is_default")]
        ascending = (req.param("orderByAsc") or "false").lower() == "true"
        records.sort(key=lambda r: (r.created_at, r.name), reverse=not ascending)
        count = req.param("count")
        size = min(self.settings.page_size, int(count)) if count and count.isdigit() else None
        return self._page(req, [m.datastore_to_rest(self.scope, r) for r in records], size)

    def datastore_get(self, req: Request, name: str) -> Response:
        record = self._record("datastore", name, self.datastore_missing(name))
        return Response(200, m.datastore_to_rest(self.scope, record))

    def datastore_put(self, req: Request, name: str) -> Response:
        body, secrets = m.datastore_from_rest(req.json_body())
        created = self._put("datastore", name, body, secrets)
        record = self._record("datastore", name, self.datastore_missing(name))
        headers = {"Location": f"{req.base_url}{req.path}"} if created else {}
        return Response(201 if created else 200, m.datastore_to_rest(self.scope, record), headers)

    def datastore_delete(self, req: Request, name: str) -> Response:
        return self._delete("datastore", name)

    def datastore_secrets(self, req: Request, name: str) -> Response:
        record = self._record("datastore", name, self.datastore_missing(name))
        return Response(200, m.datastore_secrets(record, self.store.secrets("datastore", name)))

    # --- data assets -------------------------------------------------------------------------

    def _archived(self, name: str) -> bool:
        record = self.store.get(CONTAINER, name)
        return bool(record and record.body.get("is_archived"))

    def _container(self, name: str) -> JSON | None:
        versions = self.store.list_versions(name)
        if not versions:
            return None
        return m.data_container_to_rest(self.scope, name, versions, self._archived(name))

    def data_list(self, req: Request) -> Response:
        view = _view(req)
        containers = [c for n in self.store.list_asset_names() if (c := self._container(n))]
        items = [c for c in containers if _visible(view, c["properties"]["isArchived"])]
        return self._page(req, items)

    def data_container_get(self, req: Request, name: str) -> Response:
        container = self._container(name)
        if container is None:
            raise not_found(f"Could not find data asset {name}.")
        return Response(200, container)

    def data_container_put(self, req: Request, name: str) -> Response:
        if self._container(name) is None:
            raise bad_request(f"Data asset {name} has no versions; create a version first.")
        props = m.properties_of(req.json_body())
        body = {"is_archived": bool(props.get("isArchived"))}
        self._put(CONTAINER, name, body, {})
        return Response(200, self._container(name))

    def data_versions_list(self, req: Request, name: str) -> Response:
        view = _view(req)
        versions = sorted(
            self.store.list_versions(name),
            key=lambda v: (v[2], m.version_key(v[0])),
            reverse=True,
        )
        items = [
            m.data_version_to_rest(self.scope, name, v, body, created, listing=True)
            for v, body, created in versions
            if _visible(view, bool(body.get("is_archived")))
        ]
        top = req.param("$top")
        return self._page(req, items[: int(top)] if top and top.isdigit() else items)

    def data_version_get(self, req: Request, name: str, version: str) -> Response:
        for v, body, created in self.store.list_versions(name):
            if v == version:
                return Response(200, m.data_version_to_rest(self.scope, name, v, body, created))
        raise not_found(f"Could not find data asset {name} version {version}.")

    def data_version_put(self, req: Request, name: str, version: str) -> Response:
        body = m.data_version_from_rest(req.json_body())
        existed = any(v == version for v, _, _ in self.store.list_versions(name))
        try:
            self.store.create_version(name, version, body)
        except ProviderError:
            raise bad_request(ASSET_PATH_ERROR) from None
        response = self.data_version_get(req, name, version)
        response.status = 200 if existed else 201
        return response

    # --- jobs --------------------------------------------------------------------------------

    def jobs_list(self, req: Request) -> Response:
        query = {k: req.param(k) for k in ("jobType", "listViewType", "assetName", "scheduleId")}
        items = [job for asset, job in self.jobs.list() if matches(job, asset, query)]
        return self._page(req, items)

    def job_get(self, req: Request, name: str) -> Response:
        job = self.jobs.get(name)
        if job is None:
            raise not_found(f"Could not find job {name}.")
        return Response(200, job)

    def job_put(self, req: Request, name: str) -> Response:
        created, job = self.jobs.submit(name, req.json_body())
        return Response(201 if created else 200, job)

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
            if view == "All" or bool(r.body.get("enabled", True)) == (view == "EnabledOnly")
        ]
        return self._page(req, [sm.schedule_to_rest(self.scope, r) for r in records])

    def schedule_get(self, req: Request, name: str) -> Response:
        record = self._record("schedule", name, self.schedule_missing(name))
        return Response(200, sm.schedule_to_rest(self.scope, record))

    def schedule_put(self, req: Request, name: str) -> Response:
        created = self._put("schedule", name, sm.schedule_from_rest(req.json_body()), {})
        record = self._record("schedule", name, self.schedule_missing(name))
        if self.settings.lro == "sync":
            body = sm.schedule_to_rest(self.scope, record, put_answer="Succeeded")
            return Response(201 if created else 200, body)
        body = sm.schedule_to_rest(self.scope, record, put_answer="Creating")
        location = f"{req.base_url}{req.path}?api-version={_api(req)}"
        return Response(
            201,
            body,
            self.operations.headers(req.base_url, self.operations.start(), _api(req), location),
        )

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
        headers = {} if finished else {"Retry-After": str(self.operations.retry_after)}
        return Response(200, body, headers)

    def operation_result(self, req: Request, op_id: str) -> Response:
        if self.operations.poll(op_id) is None:
            raise not_found(f"Operation {op_id} not found.")
        return Response(204, empty=True)


def _api(req: Request) -> str:
    return req.param("api-version") or "2023-06-01-preview"


def _view(req: Request) -> str:
    view = req.param("listViewType") or "ActiveOnly"
    if view not in ("ActiveOnly", "ArchivedOnly", "All"):
        raise bad_request(f"listViewType {view!r} is not one of ActiveOnly, ArchivedOnly, All.")
    return view


def _visible(view: str, archived: bool) -> bool:
    return view == "All" or archived == (view == "ArchivedOnly")
