"""What every REST mapping shares: the workspace scope, ``systemData`` and body helpers.

Requests arrive in Azure ML's camelCase REST shapes (what azure-ai-ml 1.35.2 sends) and are
stored as the embedded workspace's snake_case essences (`reconciler.providers.local.store`), so
the local provider and the emulator read and write the same state; what reconciler does not
model is kept verbatim beside them. One module per kind maps the bodies
(``connection_mapping``, ``datastore_mapping``, ``data_mapping``, ``job_mapping``,
``schedule_mapping``); responses are rendered the way the real service answers, its rewrites
included. Malformed or unsupported bodies raise `ApiError` 400, as the service's validation
would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler_testing.emulator.protocol import JSON, bad_request

PROVIDER = "Microsoft.MachineLearningServices"
NAME_SUFFIX = "/${{name}}"


@dataclass(frozen=True)
class Scope:
    """The one workspace an emulator serves, and how its resources are named."""

    subscription_id: str
    resource_group: str
    workspace_name: str
    workspace_id: str
    location: str

    @property
    def workspace_path(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{PROVIDER}/workspaces/{self.workspace_name}"
        )

    def resource(self, segment: str, name: str, kind: str) -> JSON:
        """``id``/``name``/``type`` of a workspace child resource."""
        return {
            "id": f"{self.workspace_path}/{segment}",
            "name": name,
            "type": f"{PROVIDER}/workspaces/{kind}",
        }

    def long_uri(self, short: str, *, listing: bool = False) -> str:
        """The service's long form of ``azureml://datastores/<d>/paths/<p>`` (others as is)."""
        if not short.startswith("azureml://datastores/"):
            return short
        rest = short.removeprefix("azureml://")
        if listing:
            return f"azureml://workspaces/{self.workspace_id}/{rest}"
        return (
            f"azureml://subscriptions/{self.subscription_id}/resourcegroups/"
            f"{self.resource_group}/workspaces/{self.workspace_name}/{rest}"
        )


def system_data(created: str, updated: str | None = None) -> JSON:
    return {
        "createdAt": created,
        "createdBy": "emulator",
        "createdByType": "User",
        "lastModifiedAt": updated or created,
        "lastModifiedBy": "emulator",
        "lastModifiedByType": "User",
    }


def properties_of(body: JSON) -> JSON:
    props = body.get("properties")
    if not isinstance(props, dict):
        raise bad_request("The request body has no 'properties' object.")
    return props


def tags_of(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}
