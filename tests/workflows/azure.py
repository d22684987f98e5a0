"""Who a job is in Azure, and what that identity may read and write: the simulated Entra ID and
Azure RBAC that the simulated GitHub's OIDC tokens are exchanged with.

- GitHub gives a job with ``id-token: write`` an OIDC token (never a fork's pull request). Its
  ``sub`` is ``repo:OWNER/REPO:<context>``, the context being ``environment:NAME`` when the
  job names an environment, else ``pull_request`` for a pull request's event, else
  ``ref:refs/heads/BRANCH`` (or a tag); a repository may customise which claims make up
  ``sub`` (``include_claim_keys``, e.g. ``job_workflow_ref`` to require a reusable workflow).
- An Entra ID app accepts the token when one of its federated credentials names exactly that
  subject (issuer and audience: GitHub's and ``api://AzureADTokenExchange``). The client id is
  no secret: a job can ask for any app, so what a job can do is the union of every app that
  accepts its token.
- Role assignments give an app ``read`` or ``write`` on a scope; a scope covers every resource
  id under it (a resource group covers its workspaces).

The workspaces are the embedded ones the jobs reach through the checkout's ``.workspaces``
link. `workspace_view` enforces the roles on a job's checkout: a workspace its identity can
write is linked, one it can only read is a copy (a write there never reaches the workspace,
and `refused_writes` names it afterwards: Azure's AuthorizationFailed), one it cannot read
is absent.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "api://AzureADTokenExchange"
# what each role lets its holder do to the resources under its scope
ROLES = {
    "Reader": "read",
    "reconciler planner": "read",  # a custom read role on the workspaces only
    "reconciler reader": "read",  # the same, as `reconcile setup azure` names it
    "Key Vault Secrets User": "read",
    "AzureML Data Scientist": "write",
    "reconciler applier": "write",
    "Storage Blob Data Contributor": "write",
}
RANK = {None: 0, "read": 1, "write": 2}
# a workspace's SQLite database is compared by content (a read may touch its side files)
SQLITE = ("*.db", "*.db-wal", "*.db-shm", "*.db-journal")


@dataclass
class App:
    client_id: str
    name: str
    subjects: set[str] = field(default_factory=set)  # federated credentials


@dataclass
class Assignment:
    client_id: str
    role: str
    scope: str


@dataclass
class View:
    """A workspace the job may only read, copied into its checkout."""

    resource: str
    copy: Path
    digest: str


@dataclass
class Azure:
    apps: dict[str, App] = field(default_factory=dict)
    assignments: list[Assignment] = field(default_factory=list)
    workspaces: dict[str, Path] = field(default_factory=dict)  # resource id -> folder

    def app(self, client_id: str, name: str) -> App:
        return self.apps.setdefault(client_id, App(client_id, name))

    def federate(self, client_id: str, subject: str) -> None:
        self.apps[client_id].subjects.add(subject)

    def assign(self, client_id: str, role: str, scope: str) -> None:
        assert role in ROLES, role
        self.assignments.append(Assignment(client_id, role, scope))

    def workspace(self, resource: str, folder: Path) -> None:
        self.workspaces[resource] = folder

    def signed_in(self, claims: dict[str, str]) -> list[App]:
        """Every app that accepts a token with these claims."""
        if not claims or claims.get("iss") != ISSUER:
            return []
        return [a for a in self.apps.values() if claims.get("sub") in a.subjects]

    def level(self, claims: dict[str, str], resource: str) -> str | None:
        """The most a job with this token can do to ``resource``: write, read or nothing."""
        ids = {a.client_id for a in self.signed_in(claims)}
        best: str | None = None
        for grant in self.assignments:
            granted = ROLES[grant.role]
            applies = grant.client_id in ids and covers(grant.scope, resource)
            if applies and RANK[granted] > RANK[best]:
                best = granted
        return best

    def writable(self, claims: dict[str, str]) -> set[str]:
        return {r for r in self.workspaces if self.level(claims, r) == "write"}


def covers(scope: str, resource: str) -> bool:
    scope, resource = scope.rstrip("/").lower(), resource.rstrip("/").lower()
    return resource == scope or resource.startswith(scope + "/")


def subject(claims: dict[str, str], keys: list[str] | None) -> str:
    """The ``sub`` claim: GitHub's default form, or the repository's customised one."""
    if claims.get("environment"):
        context = f"environment:{claims['environment'].replace(':', '%3A')}"
    elif claims.get("event_name") == "pull_request":
        context = "pull_request"
    else:
        context = f"ref:{claims['ref']}"
    parts = {"repo": f"repo:{claims['repository']}", "context": context}
    chosen = keys or ["repo", "context"]
    return ":".join(parts.get(k) or f"{k}:{claims.get(k, '')}" for k in chosen)


def digest(folder: Path) -> str:
    """What the workspace holds: its files, and its databases' rows (not their WAL files)."""
    h = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(file.relative_to(folder))
        if file.suffix == ".db":
            with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as db:
                h.update(name.encode() + b"\0" + "\n".join(db.iterdump()).encode())
        elif not any(file.match(p) for p in SQLITE) and not file.name.endswith(".lock"):
            h.update(name.encode() + b"\0" + file.read_bytes())
    return h.hexdigest()


def snapshot(folder: Path, copy: Path) -> None:
    """A consistent copy while other jobs may be writing: databases through SQLite's backup."""
    shutil.copytree(folder, copy, symlinks=True, ignore=shutil.ignore_patterns(*SQLITE))
    for database in folder.rglob("*.db"):
        target = copy / database.relative_to(folder)
        with (
            sqlite3.connect(f"file:{database}?mode=ro", uri=True) as source,
            sqlite3.connect(target) as into,
        ):
            source.backup(into)


def workspace_view(azure: Azure, claims: dict[str, str], link: Path) -> list[View]:
    """Replace the checkout's ``.workspaces`` link by what this identity may reach."""
    if not link.is_symlink():
        return []
    target = link.resolve()
    link.unlink()
    link.mkdir()
    views: list[View] = []
    for resource, folder in sorted(azure.workspaces.items()):
        if folder.parent.resolve() != target:
            continue
        level = azure.level(claims, resource)
        if level == "write":
            folder.mkdir(parents=True, exist_ok=True)
            (link / folder.name).symlink_to(folder)
        elif level == "read" and folder.is_dir():
            copy = link / folder.name
            snapshot(folder, copy)
            views.append(View(resource, copy, digest(copy)))
    return views


def refused_writes(views: list[View]) -> list[str]:
    """The workspaces a job changed through a copy: Azure refused those writes."""
    return [v.resource for v in views if v.copy.is_dir() and digest(v.copy) != v.digest]
