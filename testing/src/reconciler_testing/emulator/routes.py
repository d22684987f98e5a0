"""URL -> handler: the management API surface azure-ai-ml 1.35.2 uses, and nothing more.

Paths are ARM paths under one workspace; ``resourceGroups``/``providers`` and resource names
match case-insensitively as ARM does. A request for another subscription, resource group or
workspace gets ARM's 404 ``ResourceNotFound`` naming the workspace it could not find. Every
route has a label (``"PUT /datastores/{name}"``) used for request statistics.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from reconciler_testing.emulator.handlers import Handlers
from reconciler_testing.emulator.protocol import ApiError, Request, Response

log = logging.getLogger(__name__)
_PROVIDER = r"/providers/Microsoft\.MachineLearningServices"
_WORKSPACE = re.compile(
    rf"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+){_PROVIDER}"
    r"/workspaces/(?P<ws>[^/]+)(?P<rest>/.*)?$",
    re.IGNORECASE,
)
_OPERATION = re.compile(
    rf"^/subscriptions/(?P<sub>[^/]+){_PROVIDER}/locations/(?P<loc>[^/]+)/"
    r"(?P<kind>mfeOperationsStatus|mfeOperationResults)/(?P<op_id>[^/]+)$",
    re.IGNORECASE,
)
# (method, path under the workspace, handler method name)
ROUTES = (
    ("GET", "", "workspace_get"),
    ("GET", "/connections", "connections_list"),
    ("GET", "/connections/{name}", "connection_get"),
    ("PUT", "/connections/{name}", "connection_put"),
    ("DELETE", "/connections/{name}", "connection_delete"),
    ("POST", "/connections/{name}/listsecrets", "connection_secrets"),
    ("GET", "/datastores", "datastores_list"),
    ("GET", "/datastores/{name}", "datastore_get"),
    ("PUT", "/datastores/{name}", "datastore_put"),
    ("DELETE", "/datastores/{name}", "datastore_delete"),
    ("POST", "/datastores/{name}/listSecrets", "datastore_secrets"),
    ("GET", "/data", "data_list"),
    ("GET", "/data/{name}", "data_container_get"),
    ("PUT", "/data/{name}", "data_container_put"),
    ("GET", "/data/{name}/versions", "data_versions_list"),
    ("GET", "/data/{name}/versions/{version}", "data_version_get"),
    ("PUT", "/data/{name}/versions/{version}", "data_version_put"),
    ("GET", "/jobs", "jobs_list"),
    ("GET", "/jobs/{name}", "job_get"),
    ("PUT", "/jobs/{name}", "job_put"),
    ("GET", "/components/{name}/versions/{version}", "component_get"),
    ("PUT", "/components/{name}/versions/{version}", "component_put"),
    ("GET", "/schedules", "schedules_list"),
    ("GET", "/schedules/{name}", "schedule_get"),
    ("PUT", "/schedules/{name}", "schedule_put"),
    ("DELETE", "/schedules/{name}", "schedule_delete"),
)


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: str


def _compile(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{regex}$", re.IGNORECASE)


class Router:
    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers
        self._routes = [_Route(m, t, _compile(t), h) for m, t, h in ROUTES]

    def label(self, req: Request) -> str:
        """The route label of ``req`` (``"PUT /jobs/{name}"``), without running it."""
        try:
            return self._resolve(req)[0]
        except ApiError:
            return f"{req.method} (unknown)"

    def dispatch(self, req: Request) -> tuple[str, Response]:
        """(route label, response) for one request; errors become ARM error responses."""
        label = f"{req.method} (unknown)"
        try:
            label, call = self._resolve(req)
            return label, call()
        except ApiError as exc:
            if "/connections" in label:  # connections are kept by another service (account-rp)
                exc.component = "account-rp"
            return label, exc.response()
        except Exception:  # an emulator bug: answer like a failing service, keep serving
            log.exception("%s %s failed", req.method, req.path)
            error = ApiError(500, "InternalServerError", "The emulator failed on this request.")
            return label, error.response()

    def _resolve(self, req: Request) -> tuple[str, Callable[[], Response]]:
        h = self.handlers
        if req.path == "/discovery" and req.method == "GET":
            return "GET /discovery", lambda: _discovery(req)
        operation = _OPERATION.match(req.path)
        if operation and req.method == "GET":
            op_id = unquote(operation["op_id"])
            if operation["kind"].lower() == "mfeoperationsstatus":
                return "GET /operations/{id}", lambda: h.operation_status(req, op_id)
            return "GET /operationResults/{id}", lambda: h.operation_result(req, op_id)
        match = _WORKSPACE.match(req.path)
        if match is None:
            raise ApiError(404, "NotFound", f"The emulator does not serve {req.path}.")
        self._check_scope(match["sub"], match["rg"], match["ws"])
        rest = match["rest"] or ""
        allowed = []
        for route in self._routes:
            found = route.pattern.match(rest)
            if found is None:
                continue
            if route.method != req.method:
                allowed.append(route.method)
                continue
            params = {k: unquote(v) for k, v in found.groupdict().items()}
            handler = functools.partial(getattr(h, route.handler), req, **params)
            return f"{route.method} {route.template or '{workspace}'}", handler
        if allowed:
            raise ApiError(405, "MethodNotAllowed", f"{req.method} is not allowed on {rest}.")
        raise ApiError(404, "NotFound", f"The emulator does not serve {req.method} {rest}.")

    def _check_scope(self, sub: str, rg: str, ws: str) -> None:
        scope = self.handlers.scope
        ours = (scope.subscription_id, scope.resource_group, scope.workspace_name)
        if (sub.lower(), rg.lower(), ws.lower()) != tuple(part.lower() for part in ours):
            raise ApiError(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.MachineLearningServices/workspaces/{ws}' under "
                f"resource group '{rg}' was not found: workspace '{ws}' (subscription '{sub}') "
                f"not found; this emulator serves workspace '{scope.workspace_name}' in "
                f"resource group '{scope.resource_group}', subscription '{scope.subscription_id}'.",
                "NotFound",
            )


def _discovery(req: Request) -> Response:
    base = req.base_url
    services = "api catalog experimentation gallery history hyperdrive labeling modelmanagement"
    services += " pipelines studio"
    return Response(200, {name: base for name in services.split()})
