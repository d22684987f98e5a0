"""One vocabulary: every name Azure ML defines and every name reconciler writes into a workspace.

Property and tag keys, the type and credential tables (our YAML names <-> the REST API's), the
default asset type, which credential fields are secrets, version ordering and the system
datastores. Both providers, the config models, the emulator and the import runners import
these; a second spelling anywhere else is a bug waiting to happen. A closed set of names is a
``Literal`` type (for pydantic and mypy) with its tuple derived by ``get_args``, so the two
cannot drift. No I/O, no third-party imports.
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
# The time zones Azure ML schedules accept: Windows names (azure.ai.ml.constants.TimeZone; a
# test keeps this list equal to the SDK's).
AZURE_TIME_ZONES = (
    "Dateline Standard Time",
    "UTC-11",
    "Aleutian Standard Time",
    "Hawaiian Standard Time",
    "Marquesas Standard Time",
    "Alaskan Standard Time",
    "UTC-09",
    "Pacific Standard Time (Mexico)",
    "UTC-08",
    "Pacific Standard Time",
    "US Mountain Standard Time",
    "Mountain Standard Time (Mexico)",
    "Mountain Standard Time",
    "Central America Standard Time",
    "Central Standard Time",
    "Easter Island Standard Time",
    "Central Standard Time (Mexico)",
    "Canada Central Standard Time",
    "SA Pacific Standard Time",
    "Eastern Standard Time (Mexico)",
    "Eastern Standard Time",
    "Haiti Standard Time",
    "Cuba Standard Time",
    "US Eastern Standard Time",
    "Paraguay Standard Time",
    "Atlantic Standard Time",
    "Venezuela Standard Time",
    "Central Brazilian Standard Time",
    "SA Western Standard Time",
    "Pacific SA Standard Time",
    "Turks And Caicos Standard Time",
    "Newfoundland Standard Time",
    "Tocantins Standard Time",
    "E. South America Standard Time",
    "SA Eastern Standard Time",
    "Argentina Standard Time",
    "Greenland Standard Time",
    "Montevideo Standard Time",
    "Saint Pierre Standard Time",
    "Bahia Standard Time",
    "UTC-02",
    "Mid-Atlantic Standard Time",
    "Azores Standard Time",
    "Cape Verde Standard Time",
    "UTC",
    "Morocco Standard Time",
    "GMT Standard Time",
    "Greenwich Standard Time",
    "W. Europe Standard Time",
    "Central Europe Standard Time",
    "Romance Standard Time",
    "Central European Standard Time",
    "W. Central Africa Standard Time",
    "Namibia Standard Time",
    "Jordan Standard Time",
    "GTB Standard Time",
    "Middle East Standard Time",
    "Egypt Standard Time",
    "E. Europe Standard Time",
    "Syria Standard Time",
    "West Bank Standard Time",
    "South Africa Standard Time",
    "FLE Standard Time",
    "Turkey Standard Time",
    "Israel Standard Time",
    "Kaliningrad Standard Time",
    "Libya Standard Time",
    "Arabic Standard Time",
    "Arab Standard Time",
    "Belarus Standard Time",
    "Russian Standard Time",
    "E. Africa Standard Time",
    "Iran Standard Time",
    "Arabian Standard Time",
    "Astrakhan Standard Time",
    "Azerbaijan Standard Time",
    "Russia Time Zone 3",
    "Mauritius Standard Time",
    "Georgian Standard Time",
    "Caucasus Standard Time",
    "Afghanistan Standard Time",
    "West Asia Standard Time",
    "Ekaterinburg Standard Time",
    "Pakistan Standard Time",
    "India Standard Time",
    "Sri Lanka Standard Time",
    "Nepal Standard Time",
    "Central Asia Standard Time",
    "Bangladesh Standard Time",
    "N. Central Asia Standard Time",
    "Myanmar Standard Time",
    "SE Asia Standard Time",
    "Altai Standard Time",
    "W. Mongolia Standard Time",
    "North Asia Standard Time",
    "Tomsk Standard Time",
    "China Standard Time",
    "North Asia East Standard Time",
    "Singapore Standard Time",
    "W. Australia Standard Time",
    "Taipei Standard Time",
    "Ulaanbaatar Standard Time",
    "North Korea Standard Time",
    "Aus Central W. Standard Time",
    "Transbaikal Standard Time",
    "Tokyo Standard Time",
    "Korea Standard Time",
    "Yakutsk Standard Time",
    "Cen. Australia Standard Time",
    "AUS Central Standard Time",
    "E. Australia Standard Time",
    "AUS Eastern Standard Time",
    "West Pacific Standard Time",
    "Tasmania Standard Time",
    "Vladivostok Standard Time",
    "Lord Howe Standard Time",
    "Bougainville Standard Time",
    "Russia Time Zone 10",
    "Magadan Standard Time",
    "Norfolk Standard Time",
    "Sakhalin Standard Time",
    "Central Pacific Standard Time",
    "Russia Time Zone 11",
    "New Zealand Standard Time",
    "UTC+12",
    "Fiji Standard Time",
    "Kamchatka Standard Time",
    "Chatham Islands Standard Time",
    "Tonga Standard Time",
    "Samoa Standard Time",
    "Line Islands Standard Time",
)


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


# --- connections -----------------------------------------------------------------------------


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


@dataclass(frozen=True)
class ConnectionKind:
    """One connection type reconciler models: its REST category, credential and sources."""

    name: str  # ours
    rest: str  # the REST API's category
    credential: str  # the `CredentialKind` it signs in with
    source: SourceType  # what an import reads through it


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ConnectionType = Literal["snowflake", "azure_sql_db", "s3"]
CONNECTION_KINDS: dict[str, ConnectionKind] = {
    kind.name: kind
    for kind in (
        ConnectionKind("snowflake", "Snowflake", "username_password", "database"),
        ConnectionKind("azure_sql_db", "AzureSqlDb", "username_password", "database"),
        ConnectionKind("s3", "S3", "access_key", "file_system"),
    )
}
# our connection type -> REST category (the ones reconciler models)
CONNECTION_CATEGORIES = {kind.name: kind.rest for kind in CONNECTION_KINDS.values()}
# Every category and authType the service accepts (its ConnectionCategory and
# ConnectionAuthType enums, as azure-ai-ml 1.35's REST client lists them). Connections of the
# others are stored and answered verbatim by the emulator; reconciler leaves them alone.
SERVICE_CONNECTION_CATEGORIES = _names(
    """PythonFeed ContainerRegistry Git S3 Snowflake AzureKeyVault AzureSqlDb
    AzureSynapseAnalytics AzureMySqlDb AzurePostgresDb ADLSGen2 AzureContainerAppEnvironment
    Redis ApiKey AzureOpenAI AIServices CognitiveSearch CognitiveService CustomKeys AzureBlob
    AzureStorageAccount AzureOneLake CosmosDb CosmosDbMongoDbApi AzureDataExplorer AzureMariaDb
    AzureDatabricksDeltaLake AzureSqlMi AzureTableStorage AmazonRdsForOracle
    AmazonRdsForSqlServer AmazonRedshift Db2 Drill GoogleBigQuery Greenplum Hbase Hive Impala
    Informix MariaDb MicrosoftAccess MySql Netezza Oracle Phoenix PostgreSql Presto SapOpenHub
    SapBw SapHana SapTable Spark SqlServer Sybase Teradata Vertica Pinecone Databricks
    Cassandra Couchbase MongoDbV2 MongoDbAtlas AmazonS3Compatible FileServer FtpServer
    GoogleCloudStorage Hdfs OracleCloudStorage Sftp GenericHttp ODataRest Odbc GenericRest
    RemoteTool AmazonMws Concur Dynamics DynamicsAx DynamicsCrm GoogleAdWords Hubspot Jira
    Magento Marketo Office365 Eloqua Responsys OracleServiceCloud PayPal QuickBooks Salesforce
    SalesforceServiceCloud SalesforceMarketingCloud SapCloudForCustomer SapEcc ServiceNow
    SharePointOnlineList Shopify Square WebTable Xero Zoho GenericContainerRegistry
    Elasticsearch AppInsights AppConfig OpenAI Serp BingLLMSearch Serverless
    ManagedOnlineEndpoint ApiManagement ModelGateway GroundingWithBingSearch
    GroundingWithCustomSearch Sharepoint MicrosoftFabric PowerPlatformEnvironment RemoteA2A"""
)
SERVICE_CONNECTION_AUTH_TYPES = _names(
    """PAT ManagedIdentity UsernamePassword None SAS AccountKey ServicePrincipal AccessKey ApiKey
    CustomKeys OAuth2 AAD DelegatedSAS ProjectManagedIdentity AccountManagedIdentity
    UserEntraToken AgentUserImpersonation AgenticIdentityToken AgenticUser"""
)


def connection_types(source: SourceType) -> tuple[str, ...]:
    """The connection types an import of ``source`` reads through."""
    return tuple(kind.name for kind in CONNECTION_KINDS.values() if kind.source == source)


CONNECTION_CREDENTIALS = {
    kind.name: kind
    for kind in (
        CredentialKind(
            "username_password",
            "UsernamePassword",
            (("username", "username"),),
            (("password", "password"),),
        ),
        CredentialKind(
            "access_key",
            "AccessKey",
            (("accessKeyId", "access_key_id"),),
            (("secretAccessKey", "secret_access_key"),),
        ),
        CredentialKind("api_key", "ApiKey", (), (("key", "key"),)),
        CredentialKind("none", "None"),
    )
}

# --- datastores ------------------------------------------------------------------------------


DatastoreType = Literal["azure_blob", "azure_data_lake_gen2", "azure_file"]
DatastoreProtocol = Literal["https", "wasbs", "abfss"]


@dataclass(frozen=True)
class DatastoreKind:
    name: str  # ours
    rest: str  # REST datastoreType (also the SDK's DatastoreType value)
    rest_container: str  # the REST field naming the container
    container: str  # our field naming it


DATASTORE_KINDS = {
    kind.name: kind
    for kind in (
        DatastoreKind("azure_blob", "AzureBlob", "containerName", "container_name"),
        DatastoreKind("azure_data_lake_gen2", "AzureDataLakeGen2", "filesystem", "filesystem"),
        DatastoreKind("azure_file", "AzureFile", "fileShareName", "file_share_name"),
    )
}
DATASTORE_CONTAINER_FIELDS = tuple(kind.container for kind in DATASTORE_KINDS.values())
# every datastoreType / credentialsType the service accepts (others than ours: stored verbatim)
SERVICE_DATASTORE_TYPES = (
    "AzureBlob",
    "AzureDataLakeGen1",
    "AzureDataLakeGen2",
    "AzureFile",
    "OneLake",
)
SERVICE_DATASTORE_CREDENTIALS = ("AccountKey", "Certificate", "None", "Sas", "ServicePrincipal")
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
            ),
            (("clientSecret", "client_secret"),),
        ),
        CredentialKind("none", "None"),
    )
}
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_ENDPOINT = "core.windows.net"
DEFAULT_PROTOCOL: DatastoreProtocol = "https"

SECRET_FIELDS = frozenset(
    field
    for table in (CONNECTION_CREDENTIALS, DATASTORE_CREDENTIALS)
    for kind in table.values()
    for field in kind.secret_fields
)
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
