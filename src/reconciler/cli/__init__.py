"""The command line: options, exit codes and the one error handler. Wiring only."""

from reconciler.cli.app import cli, main

__all__ = ["cli", "main"]
