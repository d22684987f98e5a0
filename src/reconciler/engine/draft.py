"""A resource's change while it is being decided, and the one place it becomes a `ResourceChange`.

The planner works out the action, the field changes and the reason; the guards return decisions
(`reconciler.engine.guards.Verdict`) that the draft applies; then `Draft.build` makes the frozen
value once. A plan's facts are each set in one place, so none can disagree with another (the
JSON ``change.actions`` is derived from the action when the plan is written).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.desired import DesiredResource
from reconciler.core.errors import Problem
from reconciler.core.plan import Action, Change, FieldChange, Reason, ResourceChange
from reconciler.engine.guards import Verdict


@dataclass
class Draft:
    """What a declared resource's change will be; ``fields`` keep the order they are given."""

    resource: DesiredResource
    action: Action
    before: dict[str, Any] | None = None
    fields: list[FieldChange] = field(default_factory=list)
    reason: Reason | None = None
    detail: str | None = None
    version: str | None = None
    replace_paths: tuple[str, ...] = ()
    secret_refs: dict[str, str] = field(default_factory=dict)
    dependents: tuple[str, ...] = ()
    last_changed_by: Mapping[str, str] = field(default_factory=dict)
    prevent_destroy: bool = False
    previous_address: str | None = None  # moved from there

    def decide(self, verdict: Verdict) -> Problem | None:
        """Apply a guard's decision; its refusal, if any, for the caller to report."""
        if verdict.action is not None:
            self.action = verdict.action
        if verdict.reason is not None:
            self.reason = verdict.reason
        if verdict.detail is not None:
            self.detail = verdict.detail
        return verdict.problem

    def add_field(self, change: FieldChange) -> None:
        """One more field change, the fields then sorted by path."""
        self.fields = sorted((*self.fields, change), key=lambda f: f.path)

    def build(self) -> ResourceChange:
        resource = self.resource
        return ResourceChange(
            address=resource.address,
            previous_address=self.previous_address,
            type=resource.kind,
            name=resource.name,
            action=self.action,
            change=Change(
                before=self.before, after=resource.spec, replace_paths=self.replace_paths
            ),
            action_reason=self.reason,
            reason_detail=self.detail,
            fields=tuple(self.fields),
            depends_on=resource.depends_on,
            version=self.version,
            secret_refs=self.secret_refs,
            dependents=self.dependents,
            last_changed_by=dict(self.last_changed_by),
            prevent_destroy=self.prevent_destroy,
        )
