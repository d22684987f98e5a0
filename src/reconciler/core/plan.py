"""The plan: a frozen value that round-trips through JSON, and its file format.

Its shape follows Terraform's JSON plan where one exists (``resource_changes`` items with
``address`` and ``change.actions``), so plan tooling that reads Terraform plans can read ours.
As in Terraform's ``plans.Change``, a change holds one `Action`; the ``change.actions`` array is
derived from it when the plan is written, and a file whose array disagrees with its action is
refused (it was edited). ``reconcile plan --out`` writes exactly this document and
``reconcile apply FILE`` reads it back (`Plan.read`, beside `FORMAT_VERSION`) and applies it
only where a fresh plan agrees with it (see `reconciler.engine.review`). Plans hold no secret
values and nothing derived from one: secret fields appear only as references and as
"(sensitive)". The outcome of applying a plan (`ApplyResult`) lives here too.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from reconciler.core.consumers import Consumer, ConsumerWindow
from reconciler.core.errors import ReconcileError, StalePlanError
from reconciler.core.essences import Kind
from reconciler.core.policy import PolicyReport

FORMAT_VERSION = "2.0"
SENSITIVE = "(sensitive)"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    ARCHIVE = "archive"  # a data asset no longer imported: hidden, every version kept
    MATERIALIZE = "materialize"  # run an import to register a new data asset version
    NOOP = "no-op"
    IN_PROGRESS = "in-progress"  # an import for this definition is already running
    MOVE = "move"  # an import renamed (moved:): its versions registered anew over their data
    FORGET = "forget"  # removed: {destroy: false}: reconciler's tags dropped, resource kept

    @property
    def terraform_actions(self) -> tuple[str, ...]:
        return _TERRAFORM_ACTIONS[self]

    @property
    def is_change(self) -> bool:
        return self not in (Action.NOOP, Action.IN_PROGRESS)


_TERRAFORM_ACTIONS = {
    Action.CREATE: ("create",),
    Action.MATERIALIZE: ("create",),
    Action.UPDATE: ("update",),
    Action.REPLACE: ("delete", "create"),
    Action.DELETE: ("delete",),
    Action.ARCHIVE: ("update",),
    Action.NOOP: ("no-op",),
    Action.IN_PROGRESS: ("no-op",),
    Action.MOVE: ("no-op",),  # as Terraform's move-only change, with previous_address
    Action.FORGET: ("forget",),
}


ARCHIVED_FIELD = "archived"  # an import's field when its archived data asset is restored
PREVENT_DESTROY_FIELD = "lifecycle.prevent_destroy"  # when the declared protection differs


class Reason(StrEnum):
    """Why a resource gets its action (Terraform's ActionReason); prose lives in the renderers."""

    ADOPT = "adopt_unmanaged"
    TAKE_OVER = "adopt_by_request"  # lifecycle.adopt: overwrite what reconciler did not make
    REPLACE_CANNOT_UPDATE = "replace_because_cannot_update"
    REPLACE_REQUESTED = "replace_by_request"
    DELETE_NOT_DECLARED = "delete_because_no_resource_config"
    ARCHIVE_NOT_DECLARED = "archive_because_no_import_config"
    FIRST_VERSION = "no_version_yet"
    DEFINITION_CHANGED = "definition_changed"
    RETRY_FAILED = "retry_after_failure"
    RESTORE_ARCHIVED = "restore_archived"
    IMPORT_RUNNING = "import_running"
    MOVED_DEPENDENCY = "update_because_moved_dependency"  # re-pointed to a moved resource
    DELETE_MOVED = "delete_because_moved"  # the old name of a moved connection or datastore
    DELETE_REMOVED = "delete_because_removed"  # removed: {destroy: true}
    FORGET_REMOVED = "forget_because_removed"  # removed: {destroy: false}
    DELETED_OUTSIDE = "create_because_deleted_outside"  # it was there, used by this project


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(Frozen):
    """One field that differs. ``before``/``after`` are `SENSITIVE` for secrets."""

    path: str
    before: Any = None
    after: Any = None
    sensitive: bool = False
    unknown: bool = False  # a secret not compared (plan made without secrets): known at apply
    forces_replacement: bool = False


class Change(Frozen):
    """Before and after (``change.actions`` is derived from the resource change's action)."""

    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    replace_paths: tuple[str, ...] = ()


class ResourceChange(Frozen):
    address: str
    previous_address: str | None = Field(
        None, description="moved: the address it had (Terraform's previous_address)."
    )
    type: Kind
    name: str
    mode: str = "managed"
    action: Action
    change: Change
    action_reason: Reason | None = None
    reason_detail: str | None = Field(
        None, description="Specifics of the reason: a job id, an error, a version."
    )
    fields: tuple[FieldChange, ...] = ()
    depends_on: tuple[str, ...] = ()
    version: str | None = Field(None, description="Data asset version an import registers.")
    secret_refs: dict[str, str] = Field(
        default_factory=dict, description="Secret field -> reference, e.g. ${env:NAME}."
    )
    dependents: tuple[str, ...] = Field(
        (), description="What a delete or replace affects: imports writing here, versions."
    )
    last_changed_by: dict[str, str] = Field(
        default_factory=dict, description="Provenance of the live resource's last write."
    )
    prevent_destroy: bool = Field(
        False,
        description="lifecycle.prevent_destroy as apply records it: as declared when written, "
        "else as recorded on the resource.",
    )
    consumers: tuple[Consumer, ...] = Field(
        (),
        description="Schedules and recent jobs that read what this change touches (a data "
        "asset's new version, archive or move; a datastore or connection deleted or replaced).",
    )

    @property
    def is_change(self) -> bool:
        return self.action.is_change

    @property
    def has_consumers(self) -> bool:
        """Whether others' work may read what this change touches: a data asset's new version,
        archive or move; a datastore or connection deleted or replaced."""
        if self.type is Kind.IMPORT:
            return self.action in (Action.MATERIALIZE, Action.ARCHIVE, Action.MOVE)
        return self.type in (Kind.DATASTORE, Kind.CONNECTION) and self.action in (
            Action.DELETE,
            Action.REPLACE,
        )

    @model_serializer(mode="wrap")
    def _with_actions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Terraform's ``change.actions``, derived from the one action when written."""
        data: dict[str, Any] = handler(self)
        data["change"] = {"actions": list(self.action.terraform_actions), **data["change"]}
        if data.get("previous_address") is None:  # as Terraform: only on what moved
            data.pop("previous_address", None)
        return data

    @model_validator(mode="before")
    @classmethod
    def _actions_agree(cls, data: Any) -> Any:
        """Read ``change.actions`` back only to check it: the action is the fact."""
        if not isinstance(data, dict) or not isinstance(data.get("change"), dict):
            return data
        change = dict(data["change"])
        written = change.pop("actions", None)
        try:
            derived = list(Action(str(data.get("action"))).terraform_actions)
        except ValueError:
            return data  # an unknown action: refused by the field's own validation
        if written is not None and written != derived:
            raise PydanticCustomError(
                "actions_disagree",
                "{address}: change.actions {written} disagrees with action {action} (which "
                "means {derived}); the file was edited after reconcile plan wrote it",
                {
                    "address": str(data.get("address")),
                    "written": json.dumps(written),
                    "action": json.dumps(data.get("action")),
                    "derived": json.dumps(derived),
                },
            )
        return {**data, "change": change}


class IgnoredResource(Frozen):
    address: str
    reason: str


class Orphan(Frozen):
    """A resource this project and environment manage that is no longer declared: drift. With
    --prune it would be deleted (data assets: archived, never deleted)."""

    address: str
    with_prune: Action


class Summary(Frozen):
    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0
    move: int = 0  # changes with a previous address (moved:), whatever else they do
    forget: int = 0  # removed from management, left in place

    @property
    def total(self) -> int:
        return self.add + self.change + self.replace + self.destroy + self.move + self.forget

    def line(self) -> str:
        if not self.total:
            return "No changes. The workspace matches the desired state."
        extra = "".join(
            f", {count} to {word}"
            for count, word in ((self.move, "move"), (self.forget, "forget"))
            if count
        )
        return (
            f"Plan: {self.add} to add, {self.change} to change, {self.replace} to replace, "
            f"{self.destroy} to destroy{extra}."
        )


class Plan(Frozen):
    format_version: str = FORMAT_VERSION
    environment: str
    workspace: str
    project: str = Field(
        "", description="The project that made it: applied only by the same project."
    )
    prune: bool = False
    secrets_compared: bool = Field(
        True, description="False when planned without secrets: secret fields compared at apply."
    )
    targets: tuple[str, ...] = Field(
        (), description="Planned only for these addresses and what they depend on (-target)."
    )
    replace: tuple[str, ...] = Field(
        (), description="Addresses asked to be replaced (imports: a new version)."
    )
    resource_changes: tuple[ResourceChange, ...] = ()
    ignored: tuple[IgnoredResource, ...] = ()
    orphans: tuple[Orphan, ...] = ()
    consumer_window: ConsumerWindow | None = Field(
        None,
        description="Where consumers were looked for (schedules; recent jobs); None when they "
        "were not (--no-consumers, or nothing in the plan has consumers).",
    )
    policy: PolicyReport | None = Field(
        None,
        description="What the policies said (written only when policies were evaluated; apply "
        "evaluates them again and never trusts this).",
    )

    @model_serializer(mode="wrap")
    def _policy_when_evaluated(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("policy") is None:
            data.pop("policy", None)
        return data

    @model_validator(mode="after")
    def _unknown_only_where_unread(self) -> Plan:
        """Only a secret of a plan made without secrets can be "compared at apply": apply
        lets an unknown field change unreviewed, so anywhere else it is an edit."""
        for change in self.resource_changes:
            for item in change.fields:
                if item.unknown and (self.secrets_compared or not item.sensitive):
                    where = "a plan made with secrets" if self.secrets_compared else "a plain field"
                    raise PydanticCustomError(
                        "unknown_field",
                        "{address}: {path} is marked unknown in {where}; the file was edited "
                        "after reconcile plan wrote it",
                        {"address": change.address, "path": item.path, "where": where},
                    )
        return self

    @cached_property
    def by_address(self) -> dict[str, ResourceChange]:
        """Each resource change by its address (built once: renderers look changes up)."""
        return {c.address: c for c in self.resource_changes}

    @property
    def summary(self) -> Summary:
        counts = {"add": 0, "change": 0, "replace": 0, "destroy": 0, "move": 0, "forget": 0}
        for rc in self.resource_changes:
            key = _SUMMARY_KEY.get(rc.action)
            if key:
                counts[key] += 1
            if rc.previous_address is not None:
                counts["move"] += 1
        return Summary(**counts)

    @property
    def has_changes(self) -> bool:
        return self.summary.total > 0

    @property
    def summary_line(self) -> str:
        if not self.summary.total and self.orphans:
            return (
                f"No changes to make, but {len(self.orphans)} managed resource(s) are no longer "
                "declared (drift): plan with --prune to remove them."
            )
        return self.summary.line()

    @property
    def converged(self) -> bool:
        """Nothing to change, no orphan left, no import still running: what
        ``--detailed-exitcode`` reports as 0."""
        running = any(c.action is Action.IN_PROGRESS for c in self.resource_changes)
        return not self.has_changes and not self.orphans and not running

    @property
    def steps(self) -> tuple[ResourceChange, ...]:
        """The changes apply performs, in order."""
        return tuple(rc for rc in self.resource_changes if rc.action.is_change)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.model_validate_json(text)

    @classmethod
    def read(cls, path: Path) -> Plan:
        """A plan file written by ``reconcile plan --out``; a `ReconcileError` says why a file
        is not one (another format version, an edited ``change.actions``, not a plan)."""
        try:
            text = _bounded_text(path)
            version = _format_version(text)
            if version is not None and version != FORMAT_VERSION:
                raise StalePlanError(
                    f"{path} has plan format {version}; this reconciler reads {FORMAT_VERSION}",
                    hint="plan again with this version of reconciler",
                )
            return cls.from_json(text)
        except ValidationError as exc:
            edited = [e for e in exc.errors() if e["type"] in ("actions_disagree", "unknown_field")]
            if edited:
                raise ReconcileError(
                    f"{path}: {edited[0]['msg']}", hint="plan again: reconcile plan --out FILE"
                ) from None
            raise _not_a_plan(path) from exc
        except (ValueError, OSError, RecursionError) as exc:
            raise _not_a_plan(path) from exc


MAX_PLAN_BYTES = 64 * 2**20
"""A plan file: 15,000 resources with every field changed take about 30 MiB."""


def _bounded_text(path: Path) -> str:
    """The file's text, read only from a regular file of at most `MAX_PLAN_BYTES` (not a FIFO,
    which would block, nor /dev/zero, which never ends)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ReconcileError(
                f"{path} is not a regular file; a plan is the file reconcile plan --out wrote",
                hint="create one with: reconcile plan --out FILE",
            )
        data = handle.read(MAX_PLAN_BYTES + 1)
    if len(data) > MAX_PLAN_BYTES:
        raise ReconcileError(
            f"{path} is larger than {MAX_PLAN_BYTES // 2**20} MiB: not a plan reconcile wrote",
            hint="create one with: reconcile plan --out FILE",
        )
    return data.decode("utf-8")


def _not_a_plan(path: Path) -> ReconcileError:
    return ReconcileError(
        f"{path} is not a reconciler plan file (or one from an incompatible version)",
        hint="create one with: reconcile plan --out FILE",
    )


def _format_version(text: str) -> str | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    version = data.get("format_version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None


_SUMMARY_KEY = {
    Action.CREATE: "add",
    Action.MATERIALIZE: "add",
    Action.UPDATE: "change",
    Action.REPLACE: "replace",
    Action.DELETE: "destroy",
    Action.ARCHIVE: "change",
    Action.FORGET: "forget",
}


# --- the outcome of applying a plan ------------------------------------------------------------

Status = Literal["applied", "failed", "skipped"]


@dataclass(frozen=True)
class StepResult:
    address: str
    action: Action
    status: Status
    message: str = ""


@dataclass
class ApplyResult:
    results: list[StepResult] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)  # addresses never reached (interrupted)
    lock_lost: str | None = None  # why the apply stopped writing: its lock was no longer held

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return (
            self.lock_lost is None
            and not self.not_started
            and all(r.status == "applied" for r in self.results)
        )

    @property
    def changed_anything(self) -> bool:
        return any(r.status == "applied" for r in self.results)
