"""build_plan(config, reader) -> Plan. Reads only; the same input gives the same plan.

Desired and live resources are reduced to essences and diffed field by field; secrets are
compared through their stored salted hashes; imports are planned by fingerprint (a new
version is materialised only when the definition changed, never twice for the same one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.config import LoadedConfig
from reconciler.diff import diff_specs, secret_change
from reconciler.errors import ConfigError, Problem
from reconciler.graph import order
from reconciler.plan import Action, Change, FieldChange, IgnoredResource, Plan, ResourceChange
from reconciler.providers.base import WorkspaceReader
from reconciler.resources import (
    DEFINITION_FIELDS,
    DesiredResource,
    LiveAsset,
    LiveResource,
    desired_resources,
)
from reconciler.secrets import SecretHasher, SecretKey, resolve_secrets, stable_salt

_RESOURCE_KINDS = ("connection", "datastore", "schedule")


@dataclass(frozen=True)
class LiveState:
    resources: tuple[LiveResource, ...]
    assets: tuple[LiveAsset, ...]


def read_live(reader: WorkspaceReader, import_names: Iterable[str]) -> LiveState:
    resources = tuple(r for kind in _RESOURCE_KINDS for r in reader.list_resources(kind))  # type: ignore[arg-type]
    return LiveState(resources, tuple(reader.list_assets(sorted(import_names))))


def build_plan(
    config: LoadedConfig,
    reader: WorkspaceReader,
    *,
    prune: bool = False,
    hasher: SecretHasher | None = None,
) -> Plan:
    hasher = hasher or SecretHasher()
    desired = desired_resources(config.platform)
    secrets = resolve_secrets(desired, config)
    live = read_live(reader, config.platform.imports)
    workspace = reader.describe()
    prune = prune or config.platform.settings.prune

    changes, problems = _plan_changes(config, desired, live, secrets, hasher, prune)
    if problems:
        raise ConfigError(problems=problems)
    ignored = _ignored(desired, live, prune)
    return Plan(
        environment=config.environment,
        workspace=workspace,
        prune=prune,
        resource_changes=order(changes),
        ignored=ignored,
        desired_digest=_desired_digest(desired, live, secrets, hasher, workspace, prune),
        live_digest=_live_digest(live),
    )


def _plan_changes(
    config: LoadedConfig,
    desired: list[DesiredResource],
    live: LiveState,
    secrets: Mapping[SecretKey, str],
    hasher: SecretHasher,
    prune: bool,
) -> tuple[list[ResourceChange], list[Problem]]:
    by_address = {r.address: r for r in live.resources}
    assets = {a.name: a for a in live.assets}
    changes: list[ResourceChange] = []
    problems: list[Problem] = []
    for resource in desired:
        if resource.kind == "import":
            change = _plan_import(resource, assets.get(resource.name))
            if isinstance(change, str):
                problems.append(config.problem((*resource.config_path, "version"), change))
                continue
        else:
            change = _plan_resource(resource, by_address.get(resource.address), secrets, hasher)
        changes.append(change)
    if prune:
        wanted = {r.address for r in desired}
        for existing in live.resources:
            if existing.managed and not existing.system and existing.address not in wanted:
                changes.append(_delete(existing))
    return changes, problems


def _plan_resource(
    desired: DesiredResource,
    live: LiveResource | None,
    secrets: Mapping[SecretKey, str],
    hasher: SecretHasher,
) -> ResourceChange:
    refs = {path: str(ref) for path, ref in desired.secrets.items()}
    if live is None:
        fields = [FieldChange(path=k, after=v) for k, v in flatten(desired.spec)]
        fields += [secret_change(path) for path in desired.secrets]
        fields.sort(key=lambda f: f.path)
        return _change(desired, Action.CREATE, None, tuple(fields), refs)
    fields = diff_specs(desired.kind, live.spec, desired.spec)
    for path in sorted(desired.secrets):
        stored = live.secret_hashes.get(path)
        value = secrets[(desired.address, path)]
        if stored is None or not hasher.matches(value, stored):
            fields.append(secret_change(path))
    fields.sort(key=lambda f: f.path)
    replace = tuple(f.path for f in fields if f.forces_replacement)
    if replace:
        action, reason = Action.REPLACE, "replace_because_cannot_update"
    elif not live.managed:
        action, reason = Action.UPDATE, "adopt_unmanaged"
    elif fields:
        action, reason = Action.UPDATE, None
    else:
        action, reason = Action.NOOP, None
    return _change(desired, action, live.spec, tuple(fields), refs, reason, replace)


def _change(
    desired: DesiredResource,
    action: Action,
    before: dict[str, Any] | None,
    fields: tuple[FieldChange, ...],
    refs: dict[str, str],
    reason: str | None = None,
    replace_paths: tuple[str, ...] = (),
    version: str | None = None,
) -> ResourceChange:
    return ResourceChange(
        address=desired.address,
        type=desired.kind,
        name=desired.name,
        action=action,
        change=Change(
            actions=action.terraform_actions,
            before=before,
            after=desired.spec,
            replace_paths=replace_paths,
        ),
        action_reason=reason,
        fields=fields,
        depends_on=desired.depends_on,
        version=version,
        secret_refs=refs,
    )


def _plan_import(desired: DesiredResource, asset: LiveAsset | None) -> ResourceChange | str:
    """The import's change, or a message when the plan cannot be made."""
    spec = desired.spec
    fingerprint = spec["fingerprint"]
    versions = asset.versions if asset else ()
    jobs = asset.jobs if asset else ()
    pinned = spec.get("version")
    current = (
        next((v for v in versions if v.version == pinned), None)
        if pinned
        else (asset.latest_version() if asset else None)
    )
    definition = {k: spec[k] for k in DEFINITION_FIELDS}
    if current is not None and current.fingerprint == fingerprint:
        metadata = {"description": current.description, "tags": current.tags}
        wanted = {"description": spec.get("description"), "tags": spec.get("tags", {})}
        fields = tuple(diff_specs("import", metadata, wanted))
        action = Action.UPDATE if fields else Action.NOOP
        return _change(desired, action, metadata, fields, {}, version=current.version)
    if pinned and current is not None:
        return (
            f"data asset {desired.name} version {pinned} already exists with a different "
            "definition, and versions are immutable; bump the version (or remove it to number "
            "versions automatically)"
        )
    running = next((j for j in jobs if j.active and j.fingerprint == fingerprint), None)
    if running is not None:
        return _change(
            desired,
            Action.IN_PROGRESS,
            None,
            (),
            {},
            f"import job {running.id} is running",
            version=running.version,
        )
    version = pinned or (asset.next_version() if asset else "1")
    last = next((j for j in reversed(jobs) if j.fingerprint == fingerprint), None)
    before = current.definition if current else None
    if last is not None and last.status in ("Failed", "Canceled"):
        reason = f"retry: the last import of this definition failed: {last.error}"
    elif current is None:
        reason = "no version yet"
    else:
        reason = f"definition changed since version {current.version}"
    fields = (
        tuple(diff_specs("import", before or {}, definition))
        if before
        else tuple(FieldChange(path=k, after=v) for k, v in flatten(definition))
    )
    return _change(desired, Action.MATERIALIZE, before, fields, {}, reason, version=version)


def flatten(spec: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Leaf fields as (dotted path, value), sorted; empty mappings stay as one field."""
    out: list[tuple[str, Any]] = []
    for key in sorted(spec):
        value = spec[key]
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out += flatten(value, path + ".")
        elif value is not None and value != {}:
            out.append((path, value))
    return out


def _delete(live: LiveResource) -> ResourceChange:
    return ResourceChange(
        address=live.address,
        type=live.kind,
        name=live.name,
        action=Action.DELETE,
        change=Change(actions=Action.DELETE.terraform_actions, before=live.spec, after=None),
        action_reason="delete_because_no_resource_config",
    )


def _ignored(
    desired: list[DesiredResource], live: LiveState, prune: bool
) -> tuple[IgnoredResource, ...]:
    wanted = {r.address for r in desired}
    out = []
    for resource in sorted(live.resources, key=lambda r: (r.kind, r.name)):
        if resource.address in wanted:
            continue
        if resource.system:
            out.append(IgnoredResource(address=resource.address, reason="system resource"))
        elif not resource.managed:
            out.append(
                IgnoredResource(address=resource.address, reason="not managed by reconciler")
            )
        elif not prune:
            out.append(
                IgnoredResource(
                    address=resource.address,
                    reason="managed but no longer declared; plan with --prune to delete it",
                )
            )
    return tuple(out)


def _desired_digest(
    desired: list[DesiredResource],
    live: LiveState,
    secrets: Mapping[SecretKey, str],
    hasher: SecretHasher,
    workspace: str,
    prune: bool,
) -> str:
    """A digest of the desired state that changes when any secret value changes.

    A secret that matches its stored hash is represented by that hash (already computed while
    planning, so free); any other is hashed with a salt fixed per workspace.
    """
    salt = stable_salt(workspace)
    stored = {r.address: r.secret_hashes for r in live.resources}

    def mark(address: str, path: str) -> str:
        value = secrets[(address, path)]
        known = stored.get(address, {}).get(path)
        if known is not None and hasher.matches(value, known):
            return known
        return hasher.hash(value, salt)

    items = [
        {
            "address": r.address,
            "spec": r.spec,
            "secrets": {p: mark(r.address, p) for p in sorted(r.secrets)},
        }
        for r in desired
    ]
    return _digest({"prune": prune, "resources": items})


def _live_digest(live: LiveState) -> str:
    resources = [
        {"a": r.address, "s": r.spec, "m": r.managed, "h": r.secret_hashes} for r in live.resources
    ]
    assets = [
        {
            "n": a.name,
            "v": [(v.version, v.fingerprint, v.description, v.tags) for v in a.versions],
            "j": [(j.id, j.status) for j in a.jobs],
        }
        for a in live.assets
    ]
    return _digest({"resources": resources, "assets": assets})


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
