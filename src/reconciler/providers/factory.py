"""Open the workspace an environment targets. Azure ML is imported only when it is used."""

from __future__ import annotations

from reconciler.config import LoadedConfig
from reconciler.errors import ReconcileError
from reconciler.model import AzureWorkspace, LocalWorkspace
from reconciler.providers.base import Workspace


def open_workspace(config: LoadedConfig) -> Workspace:
    target = config.platform.workspace
    if isinstance(target, LocalWorkspace):
        from reconciler.providers.local.provider import LocalWorkspace as Local

        return Local(config.project_dir / target.path, label=target.path)
    assert isinstance(target, AzureWorkspace)
    raise ReconcileError(
        f"environment {config.environment!r} targets Azure ML workspace "
        f"{target.workspace_name!r}, but the Azure ML provider is not available in this version",
        hint="use --env local for the embedded workspace",
    )
