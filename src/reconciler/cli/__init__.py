"""The command line: options, one operation per command, rendering, exit codes. Wiring only."""

from reconciler.cli.app import cli
from reconciler.cli.entry import main

__all__ = ["cli", "main"]
