"""An in-memory workspace over the live values, as httpx's MockTransport is a transport.

`Twin` implements `reconciler.core.workspace.Workspace` with dictionaries: what apply writes
is read back as a provider reads it (reconciler's tags split off the user's, a completed import
registered with its definition and owner), so the planner, guards, review and apply run in
microseconds. It keeps only what the contract promises; the contract suite
(tests/providers/test_contract.py) holds the real providers to the same promises, and
test_twin.py checks that a plan against the twin is the plan against the embedded workspace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from reconciler.core.consumers import LiveConsumers
from reconciler.core.errors import LockLost
from reconciler.core.essences import (
    AnyEssence,
    AutoDelete,
    ImportDefinition,
    ImportEssence,
    Kind,
    address,
)
from reconciler.core.live import (
    AssetVersion,
    DataLocation,
    ImportedData,
    ImportJob,
    JobStatus,
    LiveAsset,
    LiveResource,
    import_definitions,
)
from reconciler.core.tags import split_tags
from reconciler.core.workspace import LockGuard, Progress


@dataclass
class Twin:
    resources: dict[str, LiveResource] = field(default_factory=dict)  # by address
    assets: dict[str, LiveAsset] = field(default_factory=dict)  # by name
    writes: list[str] = field(default_factory=list)  # what was done, in order
    # schedules and jobs (newest first) that read from the workspace: what a plan's consumers
    # are made of; list_consumers applies the window as a provider does
    consumers: LiveConsumers = field(default_factory=LiveConsumers)
    lock_lost_after: int | None = None  # the apply lock is lost once this many writes are done

    def check(self) -> None:
        """The apply lock's guard (`reconciler.core.workspace.LockGuard`): every write asks."""
        if self.lock_lost_after is not None and len(self.writes) >= self.lock_lost_after:
            raise LockLost(f"lost after {self.lock_lost_after} write(s)")

    def describe(self) -> str:
        return "twin:memory"

    def list_resources(self, kind: Kind) -> list[LiveResource]:
        return [r for r in self.resources.values() if r.kind is kind]

    def list_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        return [self.assets[n] for n in names if n in self.assets]

    def summarize_assets(self, names: Iterable[str]) -> list[LiveAsset]:
        return self.list_assets(names)

    def list_other_data(self, exclude: Iterable[str]) -> list[DataLocation]:
        skip = set(exclude)
        return [d for a in self.assets.values() if a.name not in skip for d in a.data()]

    def list_imported_assets(self, owner: str) -> list[str]:
        mine = (a for a in self.assets.values() if any(j.owner == owner for j in a.jobs))
        return sorted(a.name for a in mine if not a.archived)

    def list_import_definitions(self) -> dict[str, ImportDefinition]:
        made = [  # oldest first: the latest completed run wins
            ImportedData(asset.name, job.output, job.definition)
            for asset in self.assets.values()
            for job in asset.jobs
            if job.status is JobStatus.COMPLETED and job.definition is not None
        ]
        archived = {a.name for a in self.assets.values() if a.archived}
        versions = {a.name: a.versions for a in self.assets.values()}
        return import_definitions(made, versions, archived)

    def list_consumers(self, since: datetime, limit: int) -> LiveConsumers:
        stamp = since.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        newest = sorted(self.consumers.jobs, key=lambda j: (j.created_at, j.name), reverse=True)
        recent = [j for j in newest if j.created_at >= stamp][:limit]
        return LiveConsumers(self.consumers.schedules, tuple(recent))

    def stored_secret_key(self) -> bytes | None:
        return b"the twin's secret key, 32+ bytes long"

    def new_secret_key(self) -> bytes:
        return b"the twin's secret key, 32+ bytes long"

    def lock(self, holder: str, timeout: float) -> AbstractContextManager[LockGuard]:
        return nullcontext(self)

    def put(
        self,
        kind: Kind,
        name: str,
        essence: AnyEssence,
        secrets: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> None:
        self.check()
        self.writes.append(f"put {address(kind, name)}")
        self.resources[address(kind, name)] = LiveResource.read(
            kind, name, essence, split_tags(dict(tags))
        )

    def delete(self, kind: Kind, name: str) -> None:
        self.check()
        self.writes.append(f"delete {address(kind, name)}")
        del self.resources[address(kind, name)]

    def archive_asset(self, name: str) -> None:
        self.check()
        self.writes.append(f"archive {name}")
        self.assets[name] = replace(self.assets[name], archived=True)

    def restore_asset(self, name: str) -> None:
        self.check()
        self.writes.append(f"restore {name}")
        self.assets[name] = replace(self.assets[name], archived=False)

    def materialize(
        self,
        name: str,
        version: str,
        essence: ImportEssence,
        progress: Progress | None = None,
        *,
        tags: Mapping[str, str] | None = None,
    ) -> ImportJob:
        """The import completes at once; its version is registered as the embedded workspace
        registers it: the user's tags and reconciler's, the definition's fingerprint."""
        self.check()
        self.writes.append(f"materialize {name}:{version}")
        split = split_tags({**essence.tags, **dict(tags or {})})
        output = f"{essence.path}/{version}"
        made = AssetVersion(
            version, output, essence.fingerprint, essence.description, split.user,
            split.managed, "", essence.definition, split.provenance, split.owner,
            split.prevent_destroy, auto_delete=essence.auto_delete_setting,
        )  # fmt: skip
        job = ImportJob(
            f"import_{name}_{version}", name, version, essence.fingerprint, JobStatus.COMPLETED,
            rows=1, definition=essence.definition, owner=split.owner, output=output,
        )  # fmt: skip
        asset = self.assets.get(name, LiveAsset(name))
        self.assets[name] = replace(
            asset, versions=(*asset.versions, made), jobs=(*asset.jobs, job)
        )
        return job

    def update_asset_metadata(
        self,
        name: str,
        version: str,
        description: str | None,
        tags: Mapping[str, str],
        *,
        definition: ImportEssence | None = None,
        auto_delete: AutoDelete | None = None,
    ) -> None:
        self.check()
        self.writes.append(f"relabel {name}:{version}")
        split = split_tags(dict(tags))
        asset = self.assets[name]
        versions = tuple(
            replace(
                v, description=description, tags=split.user, managed=split.managed,
                owner=split.owner, provenance=split.provenance,
                prevent_destroy=split.prevent_destroy, auto_delete=auto_delete,
            ) if v.version == version else v
            for v in asset.versions
        )  # fmt: skip
        if definition is not None:
            versions = tuple(
                replace(v, fingerprint=definition.fingerprint, definition=definition.definition)
                if v.version == version
                else v
                for v in versions
            )
        self.assets[name] = replace(asset, versions=versions)

    def share_versions(self, source: str, name: str) -> None:
        self.writes.append(f"share {source} as {name}")
        old = self.assets[source]
        new = self.assets.get(name, LiveAsset(name))
        have = {v.version for v in new.versions}
        added = tuple(v for v in old.versions if v.version not in have)
        self.assets[name] = replace(new, versions=(*new.versions, *added))

    def forget(self, kind: Kind, name: str) -> None:
        self.writes.append(f"forget {kind}.{name}")
        key = address(kind, name)
        live = self.resources[key]
        self.resources[key] = replace(
            live, managed=False, owner=None, secret_hashes={}, provenance={},
            prevent_destroy=False,
        )  # fmt: skip

    def forget_asset(self, name: str) -> None:
        self.writes.append(f"forget import.{name}")
        asset = self.assets[name]
        versions = tuple(
            replace(v, managed=False, owner=None, provenance={}, prevent_destroy=False)
            for v in asset.versions
        )
        self.assets[name] = replace(asset, versions=versions)

    def data_folder(self, name: str, version: str) -> Path:
        raise NotImplementedError("the twin holds no data")
