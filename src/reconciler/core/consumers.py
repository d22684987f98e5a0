"""Who consumes what a plan changes: the jobs and schedules a workspace holds, and how each of
them reads a data asset, a datastore or a connection. No I/O.

A provider reads the workspace's schedules (every one: they are what runs next) and its recent
jobs (a bounded window, `ConsumerWindow`: the last ``days`` days and at most ``jobs`` jobs, so
the cost stays the same however long the history) into `LiveConsumers`;
`reconciler.engine.consumers` matches their usages (`reconciler.core.references`) with the
plan's changes and puts a `Consumer` on each change it affects.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.core.essences import Trigger
from reconciler.core.references import Usage

DEFAULT_DAYS = 30
DEFAULT_JOBS = 200


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConsumerWindow(Frozen):
    """How far back recent jobs are read: every schedule, and the jobs of the last ``days``
    days, at most ``jobs`` of them (newest first)."""

    days: int = Field(DEFAULT_DAYS, ge=1, le=3650, description="Jobs of the last N days.")
    jobs: int = Field(DEFAULT_JOBS, ge=0, le=5000, description="At most N jobs, newest first.")

    def describe(self) -> str:
        return f"schedules; jobs of the last {self.days} days, at most {self.jobs}"


class Reads(StrEnum):
    """How a consumer reads what a change touches (renderers say what follows from it)."""

    LATEST = "latest"  # the data asset's latest version: a new version reaches it
    PINNED = "version"  # one version: a new version does not reach it
    PATH = "path"  # a datastore folder, by path
    CONNECTION = "connection"  # imports from the connection
    SINK = "sink"  # imports into the datastore


ConsumerKind = Literal["schedule", "job"]


class Consumer(Frozen):
    """A schedule or a recent job that reads (or imports through) what a change touches."""

    kind: ConsumerKind
    name: str
    type: str = Field(description="Job type (Command, Pipeline, Sweep…) or schedule action.")
    reads: Reads
    reference: str = Field(description="The reference as the workspace stores it.")
    inputs: tuple[str, ...] = Field((), description="Where in its definition it reads it.")
    version: str | None = Field(None, description="The version a pinned reference reads.")
    enabled: bool | None = Field(None, description="Schedules: enabled or disabled.")
    next_run: str | None = Field(None, description="Enabled schedules: when they next run.")
    status: str | None = Field(None, description="Jobs: their status.")
    created_at: str | None = Field(None, description="Jobs: when they were submitted.")

    @property
    def address(self) -> str:
        """``schedule.weekly_retrain`` / ``job.calm_apple_1x2``: the consumer's own name."""
        return f"{self.kind}.{self.name}"


@dataclass(frozen=True)
class LiveConsumer:
    """A schedule or job as a provider reads it: what it uses, and when it runs (schedules) or
    ran (jobs)."""

    kind: ConsumerKind
    name: str
    type: str
    usages: tuple[Usage, ...]
    created_at: str = ""
    status: str | None = None  # jobs
    enabled: bool = True  # schedules
    trigger: Trigger | None = None  # schedules
    imports: str | None = None  # an import run or schedule: the data asset it makes


@dataclass(frozen=True)
class LiveConsumers:
    """Every schedule, and the recent jobs of the window (newest first)."""

    schedules: tuple[LiveConsumer, ...] = ()
    jobs: tuple[LiveConsumer, ...] = ()

    @property
    def all(self) -> tuple[LiveConsumer, ...]:
        return (*self.schedules, *self.jobs)
