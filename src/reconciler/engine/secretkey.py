"""Which key hashes the secrets of a command: the declared ``settings.secret_key``, else the
key the workspace keeps (the embedded one makes it on the first apply; Azure ML keeps none and
says to declare one). A plan made without secrets needs none: it compares them at apply."""

from __future__ import annotations

from reconciler.core.desired import DesiredState
from reconciler.core.secrets import KEY_ADDRESS, SecretHasher
from reconciler.core.workspace import Workspace, WorkspaceReader


def reading_hasher(desired: DesiredState, reader: WorkspaceReader) -> SecretHasher:
    """For a plan: the key if there is one (none yet on a new embedded workspace)."""
    if not _needed(desired):
        return SecretHasher()
    declared = desired.secrets.get(*KEY_ADDRESS)
    return SecretHasher(declared.encode() if declared else reader.stored_secret_key())


def writing_hasher(desired: DesiredState, workspace: Workspace) -> SecretHasher:
    """For an apply: the key, made now on an embedded workspace that keeps none yet."""
    if not _needed(desired):
        return SecretHasher()
    declared = desired.secrets.get(*KEY_ADDRESS)
    return SecretHasher(declared.encode() if declared else workspace.new_secret_key())


def _needed(desired: DesiredState) -> bool:
    return desired.secrets.resolved and any(r.secrets for r in desired.resources)
