"""Open the workspace a desired state targets. The composition root for providers: it chooses
the Azure credential and hands it in; azure is imported only when an Azure workspace is used."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reconciler.core.access import AccessReader, Scopes
from reconciler.core.desired import WorkspaceTarget
from reconciler.core.workspace import Workspace


def open_workspace(
    target: WorkspaceTarget, *, credential: Any = None, read_only: bool = False
) -> Workspace:
    """``read_only``: the command only reads (an embedded workspace that does not exist yet is
    then read as empty, not created)."""
    if target.provider == "local":
        from reconciler.providers.local.provider import LocalWorkspace

        assert target.path is not None
        return LocalWorkspace(target.path, label=target.label, read_only=read_only)
    from reconciler.providers.azureml.provider import DEFAULT_POLL_SECONDS, AzureWorkspace

    poll = float(os.environ.get("RECONCILER_AZURE_POLL_SECONDS") or DEFAULT_POLL_SECONDS)
    return AzureWorkspace(
        target.subscription_id,
        target.resource_group,
        target.workspace_name,
        credential=credential if credential is not None else azure_credential(),
        poll_seconds=poll,
    )


def azure_credential(environ: Mapping[str, str] = os.environ) -> Any:
    """GitHub Actions' federated credential in a workflow, DefaultAzureCredential elsewhere."""
    from reconciler.providers.azureml.credentials import default_credential

    return default_credential(environ)


def key_vault_reader(credential: Any = None) -> Any:
    """A Key Vault reader with the same credential as the workspace."""
    from reconciler.providers.azureml.keyvault import AzureKeyVault

    return AzureKeyVault(credential if credential is not None else azure_credential())


def open_access(
    target: WorkspaceTarget, others: list[WorkspaceTarget], *, credential: Any = None
) -> tuple[AccessReader, Scopes] | None:
    """What Azure RBAC lets identities do around ``target`` (None: an embedded workspace,
    which has no roles)."""
    if target.provider != "azureml":
        return None
    from reconciler.providers.azureml.access import AzureAccess

    access = AzureAccess(credential if credential is not None else azure_credential(), target)
    azure = [o for o in others if o.provider == "azureml"]
    return access, access.scopes(target, azure)
