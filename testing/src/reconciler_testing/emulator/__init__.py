"""An Azure ML management-API emulator on the embedded workspace.

It speaks the subset of the Azure ML REST API that azure-ai-ml 1.35.2 uses for connections,
datastores, data assets, data import jobs and import schedules, over HTTPS, backed by the same
store as the local provider: what the SDK writes through it is what ``reconcile --env local``
reads, and imports really run (`LocalWorkspace.materialize`). It also answers Entra ID's token
endpoint (`identity`), so ``DefaultAzureCredential`` signs in to it unchanged. Tests drive the
real SDK against it; users run ``reconciler-emulator`` to try azure-ai-ml code offline.

Importing this package does not import azure; only `credential` touches it, lazily, when a
token is requested.
"""

from __future__ import annotations

from reconciler_testing.emulator.credential import FakeCredential
from reconciler_testing.emulator.recordings import seed_from_recordings
from reconciler_testing.emulator.server import Emulator

__all__ = ["Emulator", "FakeCredential", "main", "seed_from_recordings"]


def main(argv: list[str] | None = None) -> int:
    """``python -m reconciler_testing.emulator`` (see `reconciler_testing.emulator.cli`)."""
    from reconciler_testing.emulator.cli import main as cli_main

    return cli_main(argv)
