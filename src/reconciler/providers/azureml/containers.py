"""What reconciler writes on a data asset's container, so that plans read the asset off the
containers' list (`assets`): a copy of its latest version's tags and description, and a
`reconciler.core.tags.LatestRecord` of the versions the asset has."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.tags import latest_record
from reconciler.providers.azureml.reads import RestReader


def write_latest(
    ml: Any,
    rest: RestReader,
    scope: Mapping[str, str],
    name: str,
    version: str,
    description: str | None,
    tags: Mapping[str, str],
    auto_delete: Mapping[str, str] | None,
) -> None:
    """Copy ``version``'s ``description`` and ``tags`` (as just written) onto the container of
    asset ``name``, with a record of its versions and its ``auto_delete`` setting (as the
    service keeps it), when ``version`` is its latest (otherwise
    the latest's tags did not change). Only a shortcut for plans: when the service refuses it,
    plans read the asset's version list (the container's record no longer matches), and what
    was written on the version stands."""
    from azure.core.exceptions import AzureError

    operations = ml.data._container_operation
    try:
        container = operations.get(name=name, **scope)
        props = container.properties
        if props.latest_version != version:
            return
        versions = [v.version for v in rest.versions(name)]
        record = latest_record(version, str(props.next_version), versions, auto_delete)
        props.description = description
        props.tags = {**dict(tags), **record.tag()}
        operations.create_or_update(name=name, body=container, **scope)
    except AzureError:
        return
