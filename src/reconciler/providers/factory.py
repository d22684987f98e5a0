"""Open the workspace an environment targets. Azure ML is imported only when it is used."""

from __future__ import annotations

from reconciler.config import LoadedConfig
from reconciler.model import AzureWorkspace, LocalWorkspace
from reconciler.providers.base import Workspace


def open_workspace(config: LoadedConfig) -> Workspace:
    target = config.platform.workspace
    if isinstance(target, LocalWorkspace):
        from reconciler.providers.local.provider import LocalWorkspace as Local

        return Local(config.project_dir / target.path, label=target.path)
    assert isinstance(target, AzureWorkspace)
    from reconciler.providers.azureml.provider import AzureWorkspace as Azure

    return Azure(target.subscription_id, target.resource_group, target.workspace_name)
