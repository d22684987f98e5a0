"""What the policies said about a plan: a frozen value the plan carries and every renderer shows.

Policies are Rego files in conftest's conventions (`reconciler.policy` evaluates them); each
result is one message of a ``deny``/``violation``/``warn`` rule (or ``deny_<name>`` ...) of one
package, at the package's enforcement level. As in Terraform Cloud's policy sets, ``advisory``
is shown, ``soft`` blocks apply unless overridden (``apply --policy-override REASON``), and
``hard`` blocks. The decision is derived from the results (one fact, stored once); it is written
into the plan's JSON and read back only to be checked, never trusted: apply evaluates the
policies itself on the plan it applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

if TYPE_CHECKING:
    from reconciler.core.desired import DesiredState
    from reconciler.core.plan import Plan


class Level(StrEnum):
    """How a policy's failures count (Terraform Cloud's enforcement levels)."""

    ADVISORY = "advisory"  # shown, never blocks
    SOFT = "soft"  # blocks apply unless a policy owner overrides it
    HARD = "hard"  # blocks


class Decision(StrEnum):
    PASSED = "passed"  # nothing blocks (advisory results may be shown)
    OVERRIDDEN = "overridden"  # soft failures, overridden with a reason
    SOFT_FAILED = "soft-failed"  # soft failures: apply needs --policy-override REASON
    HARD_FAILED = "hard-failed"  # cannot be applied


class PolicyResult(BaseModel):
    """One message of one rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    package: str = Field(description="The Rego package, e.g. reconciler.no_delete_in_prod.")
    rule: str = Field(description="deny, violation, warn, or one of them with a _suffix.")
    level: Level
    message: str
    details: dict[str, Any] = Field(
        default_factory=dict, description="The other keys of an object message ({msg, ...})."
    )

    @property
    def fails(self) -> bool:
        return self.level is not Level.ADVISORY


class PolicyReport(BaseModel):
    """Every result of one evaluation, and the override that let soft failures through."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: tuple[str, ...] = Field(description="The policy folders evaluated.")
    packages: int = Field(0, description="How many policy packages were evaluated.")
    results: tuple[PolicyResult, ...] = ()
    override: str | None = Field(
        None, description="Why soft failures were overridden (apply --policy-override)."
    )

    def of_level(self, level: Level) -> tuple[PolicyResult, ...]:
        return tuple(r for r in self.results if r.level is level)

    @property
    def decision(self) -> Decision:
        if self.of_level(Level.HARD):
            return Decision.HARD_FAILED
        if self.of_level(Level.SOFT):
            return Decision.OVERRIDDEN if self.override else Decision.SOFT_FAILED
        return Decision.PASSED

    @property
    def blocked(self) -> bool:
        return self.decision in (Decision.HARD_FAILED, Decision.SOFT_FAILED)

    def overridden(self, reason: str | None) -> PolicyReport:
        """This report with ``reason`` recorded, when it has soft failures to override (and
        nothing hard: a hard failure is never overridden)."""
        if not reason or self.decision is not Decision.SOFT_FAILED:
            return self
        return self.model_copy(update={"override": reason})

    @model_serializer(mode="wrap")
    def _with_decision(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The decision, derived when written (for readers of the JSON: conftest, CI)."""
        data: dict[str, Any] = handler(self)
        return {"decision": self.decision.value, **data}

    @model_validator(mode="before")
    @classmethod
    def _decision_is_derived(cls, data: Any) -> Any:
        if isinstance(data, dict) and "decision" in data:
            return {k: v for k, v in data.items() if k != "decision"}
        return data


class PolicyCheck(Protocol):
    """Evaluates a team's policies on a plan (`reconciler.policy.PolicySet`)."""

    def evaluate(
        self, plan: Plan, desired: DesiredState, provenance: Mapping[str, str]
    ) -> PolicyReport: ...
