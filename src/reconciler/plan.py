"""The plan: a frozen value that round-trips through JSON.

Its shape follows Terraform's JSON plan where one exists (``resource_changes`` items with
``address`` and ``change.actions``), so plan tooling that reads Terraform plans can read ours.
``reconcile plan --out`` writes exactly this document and ``reconcile apply FILE`` reads it
back; the digests let apply refuse a plan whose desired or live state has moved on.
Plans hold no secret values: secret fields appear only as references and as "(sensitive)".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = "1.0"
SENSITIVE = "(sensitive)"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    MATERIALIZE = "materialize"  # run an import to register a new data asset version
    NOOP = "no-op"
    IN_PROGRESS = "in-progress"  # an import for this definition is already running

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
    Action.NOOP: ("no-op",),
    Action.IN_PROGRESS: ("no-op",),
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(Frozen):
    """One field that differs. ``before``/``after`` are `SENSITIVE` for secrets."""

    path: str
    before: Any = None
    after: Any = None
    sensitive: bool = False
    forces_replacement: bool = False


class Change(Frozen):
    actions: tuple[str, ...]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    replace_paths: tuple[str, ...] = ()


class ResourceChange(Frozen):
    address: str
    type: str
    name: str
    mode: str = "managed"
    action: Action
    change: Change
    action_reason: str | None = None
    fields: tuple[FieldChange, ...] = ()
    depends_on: tuple[str, ...] = ()
    version: str | None = Field(None, description="Data asset version an import registers.")
    secret_refs: dict[str, str] = Field(
        default_factory=dict, description="Secret field -> reference, e.g. ${env:NAME}."
    )


class IgnoredResource(Frozen):
    address: str
    reason: str


class Summary(Frozen):
    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0

    @property
    def total(self) -> int:
        return self.add + self.change + self.replace + self.destroy

    def line(self) -> str:
        if not self.total:
            return "No changes. The workspace matches the desired state."
        return (
            f"Plan: {self.add} to add, {self.change} to change, {self.replace} to replace, "
            f"{self.destroy} to destroy."
        )


class Plan(Frozen):
    format_version: str = FORMAT_VERSION
    environment: str
    workspace: str
    prune: bool = False
    resource_changes: tuple[ResourceChange, ...] = ()
    ignored: tuple[IgnoredResource, ...] = ()
    desired_digest: str
    live_digest: str

    @property
    def summary(self) -> Summary:
        counts = {"add": 0, "change": 0, "replace": 0, "destroy": 0}
        for rc in self.resource_changes:
            key = _SUMMARY_KEY.get(rc.action)
            if key:
                counts[key] += 1
        return Summary(**counts)

    @property
    def has_changes(self) -> bool:
        return self.summary.total > 0

    @property
    def steps(self) -> tuple[ResourceChange, ...]:
        """The changes apply performs, in order."""
        return tuple(rc for rc in self.resource_changes if rc.action.is_change)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.model_validate_json(text)


_SUMMARY_KEY = {
    Action.CREATE: "add",
    Action.MATERIALIZE: "add",
    Action.UPDATE: "change",
    Action.REPLACE: "replace",
    Action.DELETE: "destroy",
}
