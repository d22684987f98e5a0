"""What each import in a workspace is now: the definition ``reconcile export`` declares for it.

The definition an import's latest version was made with, as a plan reads it (its recorded
definition, or that of the run that made it, `with_job_definitions`), is what a plan compares a
declaration with; export declares that. A move (``moved:``) or a connection or datastore
rename changes it without an import run: a moved import's versions name no run of theirs, so
the run that made their data stands in (`WorkspaceReader.list_import_definitions`), and a
re-pointed version on Azure ML keeps only the fingerprint of its new definition (a tag), so the
definition is the run's read through the connection and datastore whose names give that
fingerprint (`refactor.through`, the planner's re-pointing, undone). Pure: live values in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.core.essences import ImportDefinition, Kind
from reconciler.core.live import AssetVersion, LiveAsset, LiveResource
from reconciler.engine.refactor import through


@dataclass(frozen=True)
class CurrentImport:
    definition: ImportDefinition
    latest: AssetVersion | None  # its description, tags and auto-delete setting


def current_imports(
    made: Mapping[str, ImportDefinition],
    assets: Iterable[LiveAsset],
    resources: Iterable[LiveResource],
) -> dict[str, CurrentImport]:
    """Each import in ``made`` (asset -> the definition of the run that made its data), as its
    data asset's latest version says it is now."""
    listed = list(resources)
    connections = sorted(r.name for r in listed if r.kind is Kind.CONNECTION)
    datastores = sorted(r.name for r in listed if r.kind is Kind.DATASTORE)
    latest = {a.name: a.latest_version() for a in assets}
    found = {}
    for name, ran in sorted(made.items()):
        version = latest.get(name)
        definition = _definition(version, ran, connections, datastores)
        found[name] = CurrentImport(definition, version)
    return found


def _definition(
    version: AssetVersion | None,
    ran: ImportDefinition,
    connections: list[str],
    datastores: list[str],
) -> ImportDefinition:
    """The definition ``version`` records (else the run's), or, when its fingerprint says it was
    re-pointed since, that definition through the connection and datastore it names now."""
    if version is None:
        return ran
    known = version.definition or ran
    wanted = version.fingerprint
    if wanted is None or known.fingerprint == wanted:
        return known
    for connection in dict.fromkeys([known.source.connection, *connections]):
        for datastore in (None, *datastores):
            candidate = through(known, connection, datastore)
            if candidate.fingerprint == wanted:
                return candidate
    return known  # changed in a way no rename explains: the definition as recorded
