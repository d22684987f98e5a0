"""Why a declared resource that is not in the workspace was there before: deleted outside
reconciler.

reconciler keeps no state, so a missing connection or datastore plans a plain create, the
same as a new one. What it made with them says otherwise: a data asset version of this
project and environment imported from the connection, or stored on the datastore (the
version records its definition, and its folder names the datastore), or a schedule of this
project importing through it. Then the resource existed and was used by this project, and
the plan says so, as Terraform says a resource "has been deleted" outside of it. Reads
nothing: it looks at what the plan read already.
"""

from __future__ import annotations

from reconciler.core.essences import ImportDefinition, Kind, ScheduleEssence
from reconciler.core.live import LiveState
from reconciler.core.names import DatastoreUri


def deleted_outside(kind: Kind, name: str, live: LiveState, owner: str) -> str | None:
    """What shows that ``kind`` ``name`` existed and was used by ``owner``, or None."""
    if kind not in (Kind.CONNECTION, Kind.DATASTORE):
        return None
    verb = "imported from it" if kind is Kind.CONNECTION else "stored on it"
    for asset in sorted(live.assets, key=lambda a: a.name):
        for version in sorted(asset.versions, key=lambda v: v.created_at):
            if not (version.managed and version.owner == owner):
                continue
            uses = (
                _reads_from(version.definition, name)
                if kind is Kind.CONNECTION
                else _on_datastore(version.path, name)
            )
            if uses:
                return f"data asset {asset.name} version {version.version} of {owner} was {verb}"
    for resource in sorted(live.resources, key=lambda r: r.name):
        essence = resource.essence
        if not (resource.managed and resource.owner == owner) or not isinstance(
            essence, ScheduleEssence
        ):
            continue
        definition = essence.import_definition
        uses = (
            _reads_from(definition, name)
            if kind is Kind.CONNECTION
            else _on_datastore(definition.path, name)
        )
        if uses:
            how = "imports from it" if kind is Kind.CONNECTION else "imports to it"
            return f"schedule {resource.name} of {owner} {how}"
    return None


def _reads_from(definition: ImportDefinition | None, connection: str) -> bool:
    return definition is not None and definition.source.connection == connection


def _on_datastore(uri: str, datastore: str) -> bool:
    parsed = DatastoreUri.parse(uri)
    return parsed is not None and parsed.datastore == datastore
