"""What Azure RBAC lets an identity do at a scope (``reconcile doctor``), read-only.

Through azure-core's ARM pipeline with the command's credential: the caller's own effective
grants (``Microsoft.Authorization/permissions``), another principal's (its role assignments at,
above or below the scope, and their role definitions), and the scopes an environment's plan
and apply touch: the workspace, and the blob container of its default datastore, which holds
the apply lock.
"""

from __future__ import annotations

import os
from typing import Any

from reconciler.core.access import Effective, Grant, Permission, Scopes
from reconciler.core.desired import WorkspaceTarget
from reconciler.providers.azureml.client import transport
from reconciler.providers.azureml.errors import Target, call

API = "2022-04-01"
ML_API = "2024-04-01"
ARM_SCOPE = "https://management.azure.com/.default"


def workspace_id(target: WorkspaceTarget) -> str:
    return (
        f"/subscriptions/{target.subscription_id}/resourceGroups/{target.resource_group}/"
        f"providers/Microsoft.MachineLearningServices/workspaces/{target.workspace_name}"
    )


class AzureAccess:
    def __init__(self, credential: Any, target: WorkspaceTarget) -> None:
        self._target = Target(
            target.subscription_id or "", target.resource_group or "", target.workspace_name or ""
        )
        from azure.core import PipelineClient
        from azure.core.pipeline import policies

        endpoint = os.environ.get("AZUREML_DEV_URL_MFE") or "https://management.azure.com"
        self._client: Any = PipelineClient(
            base_url=endpoint,
            policies=[
                policies.HeadersPolicy(),
                policies.UserAgentPolicy("reconciler"),
                policies.RetryPolicy(retry_total=3),
                policies.BearerTokenCredentialPolicy(credential, ARM_SCOPE),
            ],
            transport=transport(4),
        )
        self._definitions: dict[str, tuple[Permission, ...]] = {}

    def _get(self, path: str, **params: str) -> Any:
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        def send() -> Any:
            url = self._client.format_url(path)
            response = self._client.send_request(HttpRequest("GET", url, params=params))
            if response.status_code != 200:
                raise HttpResponseError(response=response)
            return response.json()

        return call(f"read {path.rsplit('/providers/', 1)[-1]}", self._target, send)

    def effective(self, scope: str, principal: str | None = None) -> Effective:
        if principal is None:
            found = self._get(
                f"{scope}/providers/Microsoft.Authorization/permissions", **{"api-version": API}
            )
            return Effective(tuple(_permission(p) for p in found.get("value", [])))
        grants: list[Permission] = []
        for grant in self.grants(principal, scope):
            if (scope.lower() + "/").startswith(grant.scope.lower().rstrip("/") + "/"):
                grants += grant.permissions  # at or above the scope: applies to it
        return Effective(tuple(grants))

    def grants(self, principal: str, scope: str) -> tuple[Grant, ...]:
        assigned = self._get(
            f"{scope}/providers/Microsoft.Authorization/roleAssignments",
            **{"api-version": API, "$filter": f"principalId eq '{principal}'"},
        )
        found = []
        for item in assigned.get("value", []):
            props = item.get("properties") or {}
            role = self._role(str(props.get("roleDefinitionId", "")))
            found.append(Grant(str(props.get("scope", "")), role))
        return tuple(found)

    def _role(self, definition_id: str) -> tuple[Permission, ...]:
        if definition_id not in self._definitions:
            found = self._get(definition_id, **{"api-version": API})
            permissions = (found.get("properties") or {}).get("permissions", [])
            self._definitions[definition_id] = tuple(_permission(p) for p in permissions)
        return self._definitions[definition_id]

    def scopes(self, target: WorkspaceTarget, others: list[WorkspaceTarget]) -> Scopes:
        """The workspace, the lock's container (the default datastore's), the others."""
        workspace = workspace_id(target)
        lock = None
        if not os.environ.get("RECONCILER_BLOB_URL"):
            found = self._get(workspace, **{"api-version": ML_API})
            account = (found.get("properties") or {}).get("storageAccount")
            stores = self._get(
                f"{workspace}/datastores", **{"api-version": ML_API, "isDefault": "true"}
            )
            values = stores.get("value") or []
            default = next(
                (v for v in values if (v.get("properties") or {}).get("isDefault")),
                values[0] if values else {},
            )
            container = (default.get("properties") or {}).get("containerName")
            if account and container:
                lock = f"{account}/blobServices/default/containers/{container}"
        return Scopes(workspace, lock, tuple(workspace_id(o) for o in others))


def _permission(item: dict[str, Any]) -> Permission:
    return Permission(
        actions=tuple(item.get("actions") or ()),
        not_actions=tuple(item.get("notActions") or ()),
        data_actions=tuple(item.get("dataActions") or ()),
        not_data_actions=tuple(item.get("notDataActions") or ()),
    )
