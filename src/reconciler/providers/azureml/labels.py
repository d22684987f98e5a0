"""A data version's metadata, written as its REST body: description, tags, auto-delete.

The service registers an import's version bare; reconciler labels it afterwards, and changes
its metadata in place later. The SDK's ``data.create_or_update`` would first read the MLTable
file from storage (84 s to fail with no route to the account) to validate a path that is not
changing, so the version's REST body is read and written back through the SDK's own
operation instead, with the fields ``data.create_or_update`` would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.essences import AutoDelete
from reconciler.core.live import auto_delete_wire
from reconciler.core.vocabulary import DATA_TAGS
from reconciler.providers.azureml.reads import AUTO_DELETE_FIELD


def write_metadata(
    client: Any,
    scope: Mapping[str, str],
    name: str,
    version: str,
    description: str | None,
    tags: Mapping[str, str],
    keep: Mapping[str, str] | None,
    auto_delete: AutoDelete | None,
) -> dict[str, str]:
    """Write ``name:version``'s metadata (``scope``: its resource group and workspace). The
    tags that describe its data (`DATA_TAGS`) are kept, those in ``keep`` replacing theirs. The
    auto-delete setting goes where, and as, ``data.create_or_update`` puts it (a wire key the
    SDK's model does not type, its condition ``createdGreaterThan``); None removes it. Returns
    the tags written."""
    operations = client.data._operation
    body = operations.get(name=name, version=version, **scope)
    kept = {k: v for k, v in (body.properties.tags or {}).items() if k in DATA_TAGS}
    body.properties.description = description
    body.properties.tags = {**dict(tags), **kept, **dict(keep or {})}
    body.properties.pop(AUTO_DELETE_FIELD, None)
    if auto_delete is not None:
        body.properties[AUTO_DELETE_FIELD] = auto_delete_wire(auto_delete)
    operations.create_or_update(name=name, version=version, body=body, **scope)
    return dict(body.properties.tags)
