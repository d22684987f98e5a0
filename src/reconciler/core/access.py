"""What an identity may do in Azure, as Azure RBAC says it: permissions (actions, not-actions,
data actions, not-data-actions, with wildcards) and the reader that asks for them. Values and
a protocol only; the Azure provider reads them (``Microsoft.Authorization``)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Protocol


def _matches(action: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


@dataclass(frozen=True)
class Permission:
    """One role's (or one ``permissions`` answer's) grant."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()

    def allows(self, action: str, *, data: bool = False) -> bool:
        if data:
            return _matches(action, self.data_actions) and not _matches(
                action, self.not_data_actions
            )
        return _matches(action, self.actions) and not _matches(action, self.not_actions)


@dataclass(frozen=True)
class Effective:
    """Every grant that applies at one scope: an action is allowed when one of them allows it."""

    permissions: tuple[Permission, ...] = ()

    def allows(self, action: str, *, data: bool = False) -> bool:
        return any(p.allows(action, data=data) for p in self.permissions)


@dataclass(frozen=True)
class Scopes:
    """The resource ids an environment's plan and apply touch."""

    workspace: str
    lock_container: str | None = None
    others: tuple[str, ...] = ()  # the other environments' workspaces


class AccessReader(Protocol):
    def effective(self, scope: str, principal: str | None = None) -> Effective:
        """What the signed-in identity (or ``principal``, from its role assignments) may do
        at ``scope``."""
