"""One vocabulary: every name Azure ML defines and every name reconciler writes into a workspace.

Property and tag keys, the datastore type and credential tables (our YAML names <-> the REST
API's), the default asset type, version ordering and the system datastores; the connection
types and their credentials are in `reconciler.core.connection_kinds`, which adds to this one.
Both providers, the config models, the emulator and the import runners import these; a second
spelling anywhere else is a bug waiting to happen. A closed set of names is a ``Literal`` type
(for pydantic and mypy) with its tuple derived by ``get_args``, so the two cannot drift. No I/O,
no third-party imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

# --- what reconciler writes beside the resources it manages ---------------------------------

MANAGED_BY_TAG = "managed-by"
MANAGED_BY_VALUE = "reconciler"
OWNER_TAG = "reconciler.owner"  # <project>/<environment> that manages the resource
PREVENT_DESTROY_TAG = "reconciler.prevent-destroy"  # "true": plans that delete it fail
RESERVED_TAG_PREFIXES = ("reconciler.", MANAGED_BY_TAG)
SECRET_TAG_PREFIX = "reconciler.secret."  # salted scrypt hash of each secret field
CREDENTIAL_TAG_PREFIX = "reconciler.credential."  # non-secret credential fields (user name)
PROVENANCE_TAG_PREFIX = "reconciler.made-by."  # commit, repository, run, who
START_TIME_TAG = "reconciler.start-time"  # schedules: the start time asked for
ASSET_TYPE_TAG = "reconciler.asset-type"  # schedules: the service rewrites dataType
FINGERPRINT_PROPERTY = "reconciler.fingerprint"
DEFINITION_PROPERTY = "reconciler.definition"
VERSION_PROPERTY = "reconciler.version"
JOB_PROPERTY = "reconciler.job"
ROWS_PROPERTY = "reconciler.rows"
# a data asset container's: the version reconciler labelled last and the versions it had then
# (`reconciler.core.tags.LatestRecord`), so that a plan reads the asset off the container list
LATEST_TAG = "reconciler.latest"
MAX_TAG_VALUE = 1000  # Azure ML's limit on a tag's value
# a data version registered over another asset's data by a move (moved:), and that other one:
# the one case where two assets share data, recorded on both
MOVED_FROM_TAG = "reconciler.moved-from"
MOVED_TO_TAG = "reconciler.moved-to"
# reconciler's tags on a data version that describe its data (not who manages it): kept when its
# metadata is rewritten, and when reconciler stops managing it (removed:)
DATA_TAGS = frozenset({FINGERPRINT_PROPERTY, MOVED_FROM_TAG, MOVED_TO_TAG})

# --- Azure ML's own names --------------------------------------------------------------------

MATERIALIZATION_ASSET_PROPERTY = "azureml.materializationAssetName"
NAME_PLACEHOLDER = "${{name}}"  # what az ml appends to an import's target path
DEFAULT_DATASTORE = "workspaceblobstore"
SYSTEM_DATASTORES = frozenset(
    {
        "workspaceblobstore",
        "workspacefilestore",
        "workspaceartifactstore",
        "workspaceworkingdirectory",
    }
)

# Azure ML's managed datastore for imported data: an import names it without a folder (the
# service places each run in a folder of its own, and azure-ai-ml refuses a sub-path) and only
# its versions take an auto_delete_setting (Microsoft's how-to-manage-imported-data-assets).
MANAGED_DATASTORE = "workspacemanageddatastore"
MANAGED_DATASTORE_URI = f"azureml://datastores/{MANAGED_DATASTORE}"
AutoDeleteCondition = Literal["created_greater_than", "last_accessed_greater_than"]
AUTO_DELETE_CONDITIONS: tuple[AutoDeleteCondition, ...] = get_args(AutoDeleteCondition)


def wire_condition(condition: str) -> str:
    """An auto-delete condition as azure-ai-ml sends it (``createdGreaterThan``: its
    ``snake_to_camel``), which the service keeps as sent."""
    head, *rest = condition.split("_")
    return head + "".join(part.title() for part in rest)


# --- data imports ----------------------------------------------------------------------------

SourceType = Literal["database", "file_system"]
SOURCE_TYPES: tuple[SourceType, ...] = get_args(SourceType)
AssetType = Literal["mltable", "uri_folder"]  # what an import makes
DataType = Literal["uri_file", "uri_folder", "mltable"]  # what a data asset version can be
DATA_TYPES: tuple[DataType, ...] = get_args(DataType)
FOLDER_DATA_TYPES: tuple[DataType, ...] = ("uri_folder", "mltable")  # URIs end with '/'


def default_asset_type(source_type: str) -> AssetType:
    """Azure ML's default: a query lands as ``mltable``, copied files as ``uri_folder``."""
    return "mltable" if source_type == "database" else "uri_folder"


# --- schedules -------------------------------------------------------------------------------

RecurrenceFrequency = Literal["minute", "hour", "day", "week", "month"]  # ours, as in YAML
RECURRENCE_FREQUENCIES: tuple[RecurrenceFrequency, ...] = get_args(RecurrenceFrequency)
# the service's spelling of the same units (REST ``frequency``)
SERVICE_RECURRENCE_FREQUENCIES = tuple(unit.capitalize() for unit in RECURRENCE_FREQUENCIES)
WeekDay = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEK_DAYS: tuple[WeekDay, ...] = get_args(WeekDay)


def snake_case(rest_name: str) -> str:
    """azure-ai-ml's spelling of a REST enum value: ``AzureOpenAI`` -> ``azure_open_ai``,
    ``PAT`` -> ``pat``, ``ADLSGen2`` -> ``adls_gen2``."""
    out: list[str] = []
    for index, char in enumerate(rest_name):
        before = rest_name[index - 1] if index else ""
        after = rest_name[index + 1] if index + 1 < len(rest_name) else ""
        upper_run_ends = before.isupper() and after.islower()
        if char.isupper() and index and (before.islower() or before.isdigit() or upper_run_ends):
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def service_spelling(names: Iterable[str], given: object) -> str | None:
    """The service's spelling of ``given`` among ``names`` (it matches case-insensitively and
    answers in its own casing: ``AzureOpenAi`` is stored as ``AzureOpenAI``), or None."""
    if not isinstance(given, str):
        return None
    return next((name for name in names if name.lower() == given.lower()), None)


# --- credentials -----------------------------------------------------------------------------


CREDENTIALS = "credentials"  # the field holding a connection's or datastore's credentials


@dataclass(frozen=True)
class CredentialKind:
    """One credential type: its REST ``authType``/``credentialsType`` and its fields. Every
    table of credentials (the config models, what a secret field is, export, both sides of the
    wire) is derived from these."""

    name: str  # ours, as in platform.yaml and essences
    rest: str  # the REST API's
    plain: tuple[tuple[str, str], ...] = ()  # (REST field, our field), not secret
    secret: tuple[tuple[str, str], ...] = ()  # (REST field, our field), write-only

    @property
    def plain_fields(self) -> tuple[str, ...]:
        return tuple(ours for _, ours in self.plain)

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(ours for _, ours in self.secret)

    @property
    def secret_paths(self) -> tuple[str, ...]:
        """Where its secrets sit in an essence (``credentials.password``): how secret values
        and references are keyed."""
        return tuple(f"{CREDENTIALS}.{field}" for field in self.secret_fields)

    def secret_values(self, secrets: Mapping[str, str]) -> dict[str, str]:
        """Field -> value, from values keyed by `secret_paths`."""
        return {f: secrets[p] for f, p in zip(self.secret_fields, self.secret_paths, strict=True)}


# --- datastores ------------------------------------------------------------------------------


DatastoreType = Literal[
    "azure_blob", "azure_data_lake_gen2", "azure_file", "azure_data_lake_gen1", "one_lake"
]
DatastoreProtocol = Literal["https", "wasbs", "abfss"]


@dataclass(frozen=True)
class DatastoreKind:
    name: str  # ours
    rest: str  # REST datastoreType (also the SDK's DatastoreType value)
    rest_container: str  # the REST field naming the container (store, OneLake workspace)
    container: str  # our field naming it
    storage_account: bool = True  # on an Azure Storage account: account_name, endpoint, protocol


DATASTORE_KINDS = {
    kind.name: kind
    for kind in (
        DatastoreKind("azure_blob", "AzureBlob", "containerName", "container_name"),
        DatastoreKind("azure_data_lake_gen2", "AzureDataLakeGen2", "filesystem", "filesystem"),
        DatastoreKind("azure_file", "AzureFile", "fileShareName", "file_share_name"),
        DatastoreKind(
            "azure_data_lake_gen1", "AzureDataLakeGen1", "storeName", "store_name", False
        ),
        DatastoreKind(
            "one_lake", "OneLake", "oneLakeWorkspaceName", "one_lake_workspace_name", False
        ),
    )
}
DATASTORE_CONTAINER_FIELDS = tuple(kind.container for kind in DATASTORE_KINDS.values())
# a OneLake datastore's artifact: our `type` -> REST artifactType
ONE_LAKE_ARTIFACT_TYPES = {"lake_house": "LakeHouse"}
# every datastoreType / credentialsType the service accepts
SERVICE_DATASTORE_TYPES = tuple(kind.rest for kind in DATASTORE_KINDS.values())
DATASTORE_CREDENTIALS = {
    kind.name: kind
    for kind in (
        CredentialKind("account_key", "AccountKey", (), (("key", "account_key"),)),
        CredentialKind("sas", "Sas", (), (("sasToken", "sas_token"),)),
        CredentialKind(
            "service_principal",
            "ServicePrincipal",
            (
                ("tenantId", "tenant_id"),
                ("clientId", "client_id"),
                ("authorityUrl", "authority_url"),
                ("resourceUrl", "resource_url"),
            ),
            (("clientSecret", "client_secret"),),
        ),
        CredentialKind(
            "certificate",
            "Certificate",
            (
                ("tenantId", "tenant_id"),
                ("clientId", "client_id"),
                ("thumbprint", "thumbprint"),
                ("authorityUrl", "authority_url"),
                ("resourceUrl", "resource_url"),
            ),
            (("certificate", "certificate"),),
        ),
        CredentialKind("none", "None"),
    )
}
SERVICE_DATASTORE_CREDENTIALS = tuple(kind.rest for kind in DATASTORE_CREDENTIALS.values())
# the credential types each datastore type takes (az ml's YAML schemas; none = omitted)
DATASTORE_TYPE_CREDENTIALS = {
    "azure_blob": ("account_key", "sas", "service_principal", "none"),
    "azure_file": ("account_key", "sas", "service_principal", "none"),
    "azure_data_lake_gen2": ("service_principal", "certificate", "account_key", "sas", "none"),
    "azure_data_lake_gen1": ("service_principal", "certificate", "none"),
    "one_lake": ("service_principal", "none"),
}
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_ENDPOINT = "core.windows.net"
DEFAULT_PROTOCOL: DatastoreProtocol = "https"

# the datastore credentials a desired state declares (none: omit credentials)
DECLARED_DATASTORE_CREDENTIALS = tuple(k for k in DATASTORE_CREDENTIALS.values() if k.secret)


def by_rest_name(table: dict[str, CredentialKind], rest: str) -> CredentialKind | None:
    return next((k for k in table.values() if k.rest.lower() == rest.lower()), None)


# --- data asset versions ---------------------------------------------------------------------


def version_key(version: str) -> tuple[int, int, str]:
    """Numbers in numeric order, after any non-numeric version."""
    return (1, int(version), "") if version.isdigit() and len(version) < 19 else (0, 0, version)


def next_version(taken: Iterable[str]) -> str:
    """The number after the highest numeric version taken (Azure ML's ``nextVersion``)."""
    numbers = [int(v) for v in taken if v.isdigit() and len(v) < 19]
    return str(max(numbers, default=0) + 1)
