"""The import runner the embedded workspace uses: each source type to its runner.

Database sources go to the Snowflake runner; file-system sources to the S3 runner. Runners are
imported only when an import runs (pyarrow and the connectors are heavy; pyarrow comes with the
``reconciler[local]`` extra, botocore with the Snowflake connector).
"""

from __future__ import annotations

from pathlib import Path

from reconciler.core.errors import ImportFailed
from reconciler.imports.base import (
    ImportRequest,
    ImportResult,
    ImportRunner,
    ProgressCallback,
    SourceSize,
)


class SourceRunner:
    """An `ImportRunner` that hands each request to the runner for its source type."""

    def __init__(self) -> None:
        self._runners: dict[str, ImportRunner] = {}

    def _for(self, request: ImportRequest) -> ImportRunner:
        kind = request.source_type
        if kind not in self._runners:
            self._runners[kind] = _make(kind, request)
        return self._runners[kind]

    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult:
        return self._for(request).run(request, staging_dir, progress)

    def check(self, request: ImportRequest) -> SourceSize | None:
        return self._for(request).check(request)


def _make(kind: str, request: ImportRequest) -> ImportRunner:
    try:
        if kind == "database":
            from reconciler.imports.database import DatabaseImportRunner

            return DatabaseImportRunner()
        if kind == "file_system":
            from reconciler.imports.s3 import S3ImportRunner

            return S3ImportRunner()
    except ImportError as exc:
        raise ImportFailed(
            f"import {request.asset_name!r}: the local import runner is not installed "
            f"({exc.name} is missing)",
            hint="pip install 'reconciler[local]'",
        ) from None
    raise ImportFailed(
        f"import {request.asset_name!r}: {kind} sources are not supported by the local import "
        "runner yet"
    )


def default_runner() -> ImportRunner:
    return SourceRunner()
