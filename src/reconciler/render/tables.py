"""`reconcile status` and `reconcile show` as plain text tables. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reconciler.core.essences import ScheduleEssence, narrow
from reconciler.core.live import AssetVersion, ImportJob, LiveAsset, LiveResource
from reconciler.core.schedules import next_run
from reconciler.imports.dataset import STATS, DatasetSummary, FolderSummary
from reconciler.render.common import printable, short_commit


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def render_status(
    imports: Sequence[str],
    assets: Sequence[LiveAsset],
    schedules: Sequence[LiveResource],
    now: datetime,
) -> str:
    by_name = {a.name: a for a in assets}
    by_import = {narrow(s.essence, ScheduleEssence).import_name: s for s in schedules}
    rows = []
    for name in imports:
        asset = by_name.get(name)
        latest = asset.latest_version() if asset else None
        job = asset.jobs[-1] if asset and asset.jobs else None
        schedule = by_import.get(name)
        rows.append(
            [
                name,
                latest.version if latest else "-",
                _last_job(job, latest),
                _amount(job),
                (job.ended_at or job.started_at) if job else "-",
                _trigger(schedule.spec) if schedule else "-",
                _next(schedule, now) if schedule else "-",
                made_by(latest.provenance) if latest else "-",
            ]
        )
    headers = [
        "IMPORT",
        "LATEST VERSION",
        "LAST JOB",
        "ROWS",
        "WHEN",
        "SCHEDULE",
        "NEXT RUN",
        "MADE BY",
    ]
    out = table(headers, rows)
    for name in imports:
        asset = by_name.get(name)
        job = asset.jobs[-1] if asset and asset.jobs else None
        if job and job.error:
            out += f"\n{name}: last job {job.id} failed: {job.error}\n"
    return printable(out)


def _last_job(job: ImportJob | None, latest: AssetVersion | None) -> str:
    """The last job's status; without one, what made the data asset's version."""
    if job is not None:
        return job.status
    if latest is None:
        return "never run"
    if latest.moved_from:
        return f"moved from {latest.moved_from}"
    return "none found (made outside reconciler)"


def _next(schedule: LiveResource, now: datetime) -> str:
    essence = narrow(schedule.essence, ScheduleEssence)
    if not essence.enabled:
        return "-"
    at = next_run(essence.trigger, now)
    return at.isoformat(timespec="minutes") if at else "?"


def _trigger(spec: dict[str, Any]) -> str:
    trigger = spec.get("trigger", {})
    enabled = "" if spec.get("enabled", True) else " (disabled)"
    if trigger.get("type") == "cron":
        return f"cron '{trigger.get('expression')}' {trigger.get('time_zone', 'UTC')}{enabled}"
    every = f"every {trigger.get('interval')} {trigger.get('frequency')}(s)"
    return f"{every} {trigger.get('time_zone', 'UTC')}{enabled}"


def _amount(job: ImportJob | None) -> str:
    """Rows of a query's import; files of a file import (its runner counts files)."""
    if job is None or job.rows is None:
        return "-"
    files = job.definition is not None and job.definition.source.type == "file_system"
    return f"{job.rows:,} files" if files else f"{job.rows:,}"


def render_dataset(
    name: str,
    version: str,
    summary: DatasetSummary | FolderSummary,
    provenance: dict[str, str] | None = None,
) -> str:
    if isinstance(summary, FolderSummary):
        return _render_folder(name, version, summary, provenance)
    out = [
        f"Data asset {name}, version {version}: {summary.rows:,} rows in {summary.files} file(s)\n"
    ]
    if provenance:
        out.append(f"Made by: {made_by(provenance)}\n")
    out.append("\nSchema\n" + table(["COLUMN", "TYPE"], summary.schema))
    out.append(
        f"\nFirst {len(summary.head)} rows\n" + table([c for c, _ in summary.schema], summary.head)
    )
    if summary.numeric:
        rows = [
            [stat, *(_num(summary.numeric[c][stat]) for c in summary.numeric)] for stat in STATS
        ]
        out.append("\nNumeric summary\n" + table(["", *summary.numeric], rows))
    return "".join(out)


def _render_folder(
    name: str, version: str, summary: FolderSummary, provenance: dict[str, str] | None
) -> str:
    out = [
        f"Data asset {name}, version {version}: {summary.files:,} file(s), {summary.size:,} bytes\n"
    ]
    if provenance:
        out.append(f"Made by: {made_by(provenance)}\n")
    rows = [(path, f"{size:,}") for path, size in summary.first]
    out.append(f"\nFirst {len(rows)} files\n" + table(["FILE", "BYTES"], rows))
    return "".join(out)


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def made_by(provenance: dict[str, str]) -> str:
    """``octocat, PR #12, 0123abcd4567, 2026-11-30T10:00:00Z`` (what is known of it)."""
    parts = [provenance.get("by", "")]
    if provenance.get("pull-request"):
        parts.append(f"PR #{provenance['pull-request']}")
    if provenance.get("commit"):
        parts.append(short_commit(provenance["commit"]))
    parts.append(provenance.get("at", ""))
    return ", ".join(p for p in parts if p) or "-"


def render_list(owner: str, resources: Sequence[LiveResource], assets: Sequence[LiveAsset]) -> str:
    """The resources ``owner`` manages, with what made them last (and imports' versions)."""
    rows: list[list[Any]] = [
        [r.address, "-", made_by(r.provenance)]
        for r in sorted(resources, key=lambda r: (r.kind, r.name))
    ]
    for asset in sorted(assets, key=lambda a: a.name):
        latest = asset.latest_version()
        rows.append(
            [
                f"import.{asset.name}",
                latest.version if latest else "-",
                made_by(latest.provenance) if latest else "-",
            ]
        )
    if not rows:
        return f"Nothing is managed for {owner} in this workspace yet.\n"
    return f"Managed for {owner}:\n\n" + table(["ADDRESS", "VERSION", "LAST WRITTEN BY"], rows)
