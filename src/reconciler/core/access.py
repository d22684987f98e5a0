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


@dataclass(frozen=True)
class Grant:
    """One role assignment of a principal: where it is, what its role allows."""

    scope: str
    permissions: tuple[Permission, ...]

    def allows(self, action: str, *, data: bool = False) -> bool:
        return any(p.allows(action, data=data) for p in self.permissions)


SECRET_GET = "Microsoft.KeyVault/vaults/secrets/getSecret/action"


def vault_access(grants: tuple[Grant, ...], vault: str) -> bool | None:
    """Whether ``grants`` let their principal get the secrets of the key vault named
    ``vault``: True when an assignment at that vault (in any resource group) or at a
    subscription allows it; None when only a resource group's could (whether the vault is in
    that group is not asked); False otherwise."""
    allowing = [g.scope.rstrip("/").lower() for g in grants if g.allows(SECRET_GET, data=True)]
    at_vault = f"/providers/microsoft.keyvault/vaults/{vault.lower()}"
    above = ("/providers/microsoft.management/managementgroups/",)
    if any(s.endswith(at_vault) or s.count("/") <= 2 or s.startswith(above) for s in allowing):
        return True  # a subscription, a management group or the root: above every vault
    if any(s.count("/") == 4 and "/resourcegroups/" in s for s in allowing):
        return None
    return False


class AccessReader(Protocol):
    def effective(self, scope: str, principal: str | None = None) -> Effective:
        """What the signed-in identity (or ``principal``, from its role assignments) may do
        at ``scope``."""

    def grants(self, principal: str, scope: str) -> tuple[Grant, ...]:
        """``principal``'s role assignments at, above or below ``scope``, with their roles'
        permissions."""
