"""Azure ML naming rules and canonical forms of names and datastore paths.

Shared by validation (desired side) and providers (live side) so both sides normalise the same
way before they are compared.
"""

from __future__ import annotations

import re

from pydantic_core import PydanticCustomError

# Azure ML rules: datastores lowercase letters, digits and underscores; connections and assets
# start with a letter or digit and use letters, digits, '-', '_' (assets also '.').
DATASTORE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
CONNECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")

SYSTEM_DATASTORES = frozenset(
    {
        "workspaceblobstore",
        "workspacefilestore",
        "workspaceartifactstore",
        "workspaceworkingdirectory",
    }
)

_SHORT_PATH = re.compile(r"^azureml://datastores/([^/]+)/paths/(.*)$")
# Long forms the service returns: azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<w>/
# datastores/<d>/paths/<p> and azureml://workspaces/<workspace id>/datastores/<d>/paths/<p>.
_LONG_PATH = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resource[gG]roups/[^/]+/)?workspaces/[^/]+/"
    r"datastores/([^/]+)/paths/(.*)$"
)
_NAME_PLACEHOLDER = "${{name}}"


def normalise_datastore_path(uri: str) -> str | None:
    """The short ``azureml://datastores/<d>/paths/<p>`` form of any datastore URI, or None.

    The trailing ``/${{name}}`` placeholder that az ml appends and trailing slashes are dropped.
    """
    match = _SHORT_PATH.match(uri) or _LONG_PATH.match(uri)
    if match is None:
        return None
    datastore, path = match.group(1), match.group(2)
    path = path.strip("/")
    if path.endswith(_NAME_PLACEHOLDER):
        path = path[: -len(_NAME_PLACEHOLDER)].rstrip("/")
    return f"azureml://datastores/{datastore}/paths/{path}"


def canonical_datastore_path(uri: str) -> str:
    """Pydantic validator form of `normalise_datastore_path`."""
    canonical = normalise_datastore_path(uri)
    if canonical is None or canonical.endswith("/paths/"):
        raise PydanticCustomError(
            "datastore_path",
            "expected azureml://datastores/<datastore>/paths/<folder>, e.g. "
            "azureml://datastores/rawdata/paths/raw_house_data",
        )
    return canonical


def connection_ref(value: str) -> str:
    """``azureml:<name>`` and ``<name>`` both name a workspace connection."""
    name = value.removeprefix("azureml:")
    if not CONNECTION_NAME.match(name):
        raise PydanticCustomError(
            "connection_ref",
            "connection '{name}' is not a valid connection name ({rule})",
            {"name": name, "rule": CONNECTION_NAME.pattern},
        )
    return name
