"""The pluggable import step.

A provider that runs imports itself (the embedded workspace, and the emulator built on it) hands
an `ImportRequest` to an `ImportRunner`. The runner reads the source and writes the data files
into ``staging_dir``; the provider moves that folder into place and registers the data asset
version only after the runner returned. A runner raises `reconciler.core.errors.ImportFailed` with a
message that names the cause (never a secret); the provider then records a Failed job and
deletes the staging folder, so a failed run leaves no files and no version behind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from reconciler.core.essences import ConnectionEssence, Credentials, ImportDefinition

# credential fields a connection stores in the clear (user names, key ids); the rest are secrets
PLAIN_CREDENTIALS = frozenset(Credentials.model_fields) - {"type"}
REDACTED = "***"


@dataclass(frozen=True)
class ImportRequest:
    """Everything a runner needs, secrets already resolved (keep it out of logs and errors)."""

    asset_name: str
    version: str
    source_type: str  # database | file_system
    connection_name: str
    connection_type: str  # snowflake | azure_sql_db | s3
    connection_target: str
    # e.g. {"username": ..., "password": ...} or {"access_key_id": ..., "secret_access_key": ...}
    credentials: Mapping[str, str] = field(repr=False)
    asset_type: str = "mltable"
    query: str | None = None
    path: str | None = None
    batch_rows: int = 50_000

    def __repr__(self) -> str:  # never print credentials
        return f"ImportRequest(asset={self.asset_name!r}, version={self.version!r})"

    def secret_values(self) -> list[str]:
        return [v for k, v in self.credentials.items() if k not in PLAIN_CREDENTIALS and v]

    def redact(self, text: str) -> str:
        for secret in self.secret_values():
            text = text.replace(secret, REDACTED)
        return text

    def cause(self, exc: BaseException) -> BaseException | None:
        """``exc`` to chain for --debug, unless its text carries a secret."""
        text = f"{exc!s} {exc!r}"
        return None if any(secret in text for secret in self.secret_values()) else exc


def import_request(
    asset_name: str,
    version: str,
    definition: ImportDefinition,
    connection: ConnectionEssence,
    secrets: Mapping[str, str],
) -> ImportRequest:
    """The one way to build a request: the connection's non-secret credential fields plus its
    secret values (``credentials.password`` -> ``password``)."""
    credentials = {k: str(v) for k, v in connection.credentials.to_dict().items() if k != "type"}
    credentials.update({k.removeprefix("credentials."): v for k, v in secrets.items()})
    source = definition.source
    return ImportRequest(
        asset_name=asset_name,
        version=version,
        source_type=source.type,
        connection_name=source.connection,
        connection_type=connection.type,
        connection_target=connection.target,
        credentials=credentials,
        asset_type=definition.type,
        query=source.query,
        path=source.path,
    )


@dataclass(frozen=True)
class ImportResult:
    rows: int
    files: tuple[str, ...]  # relative to the staging folder
    schema: tuple[tuple[str, str], ...] = ()  # (column, arrow type) pairs


ProgressCallback = Callable[[int], None]  # called with the running row count


@dataclass(frozen=True)
class SourceSize:
    """What a source check learned of an import's size before it runs (None: unknown)."""

    rows: int | None = None
    files: int | None = None
    bytes: int | None = None

    def describe(self) -> str:
        parts = []
        if self.rows is not None:
            parts.append(f"{self.rows:,} rows")
        if self.files is not None:
            parts.append(f"{self.files:,} files")
        if self.bytes is not None:
            parts.append(f"{self.bytes:,} bytes{_in_units(self.bytes)}")
        return ", ".join(parts) or "size unknown"


def _in_units(size: int) -> str:
    """`` (1.2 MB)`` for a size worth a unit, else nothing."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f" ({size / scale:,.1f} {unit})"
    return ""


class ImportRunner(Protocol):
    """Runs one import into ``staging_dir`` (which exists and is empty)."""

    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult: ...

    def check(self, request: ImportRequest) -> SourceSize | None:
        """Prove the source can run (a query with zero rows returned, a listing); raise
        ImportFailed if it cannot. Returns its size when that is cheap to learn."""
        ...
