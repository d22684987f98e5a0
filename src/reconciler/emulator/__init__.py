"""An Azure ML management-API emulator on the embedded workspace.

It speaks the subset of the Azure ML REST API that azure-ai-ml 1.35.2 uses for connections,
datastores, data assets, data import jobs and import schedules, over HTTPS, backed by the same
store as the local provider: what the SDK writes through it is what ``reconcile --env local``
reads, and imports really run (`LocalWorkspace.materialize`). Tests drive the real SDK against
it; users can run ``python -m reconciler.emulator`` to try azure-ai-ml code offline.

Importing this package does not import azure; only `reconciler.emulator.credential` touches it,
lazily, when a token is requested.
"""

from __future__ import annotations

from reconciler.emulator.credential import FakeCredential
from reconciler.emulator.recordings import seed_from_recordings
from reconciler.emulator.server import Emulator

__all__ = ["Emulator", "FakeCredential", "main", "seed_from_recordings"]


def main(argv: list[str] | None = None) -> int:
    """``python -m reconciler.emulator`` (see `reconciler.emulator.cli`)."""
    from reconciler.emulator.cli import main as cli_main

    return cli_main(argv)
