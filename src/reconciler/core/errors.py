"""One root error for everything a user can be told about.

Every failure that reaches the CLI is a `ReconcileError` (or a subclass): it carries a message,
an optional hint saying how to fix it, and the exit code. Library exceptions are wrapped at the
edge with ``raise ReconcileError(...) from exc``. The CLI prints ``message`` and ``hint`` and
exits; only ``--debug`` shows a traceback. Messages must never contain a secret value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_APPLY_FAILED = 3
EXIT_PLAN_DIFFERS = 4
EXIT_POLICY_BLOCKED = 5
EXIT_FLAGS_REFUSED = 6


class ReconcileError(Exception):
    """A failure we can explain to the user."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


FieldPath = tuple[str | int, ...]


def dotted(path: FieldPath) -> str:
    """``imports.raw.source[0]`` from a field path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Position:
    file: str
    line: int
    column: int


@dataclass(frozen=True)
class Problem:
    """One problem in a desired-state file, located as precisely as we can."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str
    hint: str | None = None

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        text = f"{self.location()}: {self.path + ': ' if self.path else ''}{self.message}"
        return text if not self.hint else f"{text}\n    hint: {self.hint}"


INVALID = "invalid desired state"
UNREADABLE_SECRETS = (
    "cannot read the secrets"  # the desired state is valid; its secrets are not set
)
PLAN_REFUSED = "plan refused"  # valid, but the workspace forbids what it asks (another's data)


@dataclass
class ConfigError(ReconcileError):
    """Problems located in the desired-state files; carries every problem found, not just the
    first. ``heading`` says what kind: an invalid desired state (the default), secrets that
    cannot be read, or a plan the workspace's state refuses."""

    problems: list[Problem] = field(default_factory=list)
    heading: str = INVALID

    def __post_init__(self) -> None:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        body = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{self.heading} ({count} {noun}):\n{body}")

    def __str__(self) -> str:
        return self.message


class StalePlanError(ReconcileError):
    """A saved plan cannot be applied here (another environment or workspace, another format)."""


class PlanDiffers(ReconcileError):
    """A plan made now disagrees with the reviewed plan where it changes something: nothing
    was applied; the fresh plan needs a review (or an approval) of its own."""

    exit_code = EXIT_PLAN_DIFFERS


class PolicyBlocked(ReconcileError):
    """The policies block the plan (a hard failure, or a soft one not overridden): nothing was
    applied."""

    exit_code = EXIT_POLICY_BLOCKED


@dataclass
class PolicyError(ConfigError):
    """A policy file cannot be read, parsed or evaluated: located like a desired-state problem
    (file:line:column), and failing closed (nothing is applied)."""

    def __post_init__(self) -> None:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        body = "\n".join(f"  {p}" for p in self.problems)
        ReconcileError.__init__(self, f"the policies cannot be evaluated ({count} {noun}):\n{body}")


class FlagsRefused(ReconcileError):
    """A saved plan asks for a scope (prune, targets, replace) or an environment that the
    applying side did not (``apply --expect-flags-from-settings``): nothing was applied."""

    exit_code = EXIT_FLAGS_REFUSED


class ProviderError(ReconcileError):
    """A workspace call failed; ``transient`` says whether retrying may help."""

    def __init__(self, message: str, hint: str | None = None, *, transient: bool = False) -> None:
        super().__init__(message, hint)
        self.transient = transient


class ImportFailed(ReconcileError):
    """A data import run failed; the message says which import and why (never a secret)."""

    exit_code = EXIT_APPLY_FAILED


class LockHeld(ReconcileError):
    """Another apply holds the workspace's lock."""

    def __init__(self, holder: str, waited: float) -> None:
        waited_text = f" (waited {waited:g} s)" if waited > 0 else ""
        super().__init__(
            f"another apply holds this workspace's lock: {holder}{waited_text}; nothing was "
            "changed",
            hint="wait for it to finish, or pass --lock-timeout SECONDS to wait for it",
        )


class LockLost(ReconcileError):
    """The apply lock stopped being ours while an apply held it (a lease that expired or could
    not be renewed, a lock file deleted or replaced): nothing more is written."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the apply lock was lost: {reason}; no change was written after that",
            hint="another apply may have taken the workspace meanwhile: plan again, and apply "
            "again once it is done (re-running converges)",
        )
        self.reason = reason
