"""Look at an imported data asset: schema, row count, first rows and a numeric summary.

The "did the import work?" check users otherwise write by hand with pandas. Reads Parquet with
pyarrow, one column at a time for the summary, so a large asset does not have to fit at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.core.errors import ReconcileError

STATS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")


@dataclass(frozen=True)
class DatasetSummary:
    files: int
    rows: int
    schema: tuple[tuple[str, str], ...]
    head: tuple[tuple[Any, ...], ...]
    numeric: dict[str, dict[str, float | None]]


@dataclass(frozen=True)
class FolderSummary:
    """A ``uri_folder`` version (a file import): its files, not rows."""

    files: int
    size: int  # bytes
    first: tuple[tuple[str, int], ...]  # (path in the folder, bytes), sorted


def summarize(folder: Path, head_rows: int = 5) -> DatasetSummary | FolderSummary:
    """A table's summary when the version holds Parquet (a query's import), else its files."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    files = sorted(folder.glob("*.parquet"))
    if not files:
        return _folder(folder, head_rows)
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    schema = tuple((field.name, str(field.type)) for field in dataset.schema)
    rows = dataset.count_rows()
    head = dataset.head(head_rows)
    head_rows_out = tuple(tuple(row.values()) for row in head.to_pylist())
    numeric: dict[str, dict[str, float | None]] = {}
    for field in dataset.schema:
        if not (
            pa.types.is_integer(field.type)
            or pa.types.is_floating(field.type)
            or pa.types.is_decimal(field.type)
        ):
            continue
        column = dataset.to_table(columns=[field.name]).column(0).cast(pa.float64())
        quantiles = pc.quantile(column, q=[0.25, 0.5, 0.75]).to_pylist()
        numeric[field.name] = {
            "count": float(pc.count(column).as_py()),
            "mean": pc.mean(column).as_py(),
            "std": pc.stddev(column, ddof=1).as_py(),
            "min": pc.min(column).as_py(),
            "25%": quantiles[0],
            "50%": quantiles[1],
            "75%": quantiles[2],
            "max": pc.max(column).as_py(),
        }
    return DatasetSummary(len(files), rows, schema, head_rows_out, numeric)


def _folder(folder: Path, head_rows: int) -> FolderSummary:
    found = sorted(
        (str(path.relative_to(folder)), path.stat().st_size)
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith(".reconciler")
    )
    if not found:
        raise ReconcileError("this version's folder holds no data files")
    return FolderSummary(len(found), sum(size for _, size in found), tuple(found[:head_rows]))
