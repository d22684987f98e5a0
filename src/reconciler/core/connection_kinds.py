"""The connection vocabulary: every connection type az ml's YAML accepts (its REST category,
the YAML field holding its target, the credential types the service takes for it, the metadata
keys the service defines for it), the credential kinds of connections, and which fields of
platform.yaml hold secrets.

Part of the one vocabulary (`reconciler.core.vocabulary` holds the rest; this module only adds
to it): both providers, the config models, export and the emulator derive their tables from
these. No I/O, no third-party imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from reconciler.core.vocabulary import (
    CREDENTIALS,
    DATASTORE_CREDENTIALS,
    CredentialKind,
    SourceType,
)


@dataclass(frozen=True)
class ConnectionKind:
    """One connection type (az ml YAML ``type``): its REST category, the YAML field holding its
    target, the credential types the service takes for it (`CONNECTION_CREDENTIALS`), the
    metadata keys the service defines for it, and what an import reads through it."""

    name: str  # ours: az ml's YAML type
    rest: str  # the REST category, as the service stores it (it matches case-insensitively)
    target_key: str = "target"  # the YAML field written into REST ``target``
    credentials: tuple[str, ...] = ("none",)  # the `CredentialKind`s it takes
    default_credential: str | None = None  # when ``credentials`` is omitted (None: required)
    metadata: tuple[tuple[str, str], ...] = ()  # (REST metadata key, our field) it carries
    fixed: tuple[tuple[str, str], ...] = ()  # (REST metadata key, value) azure-ai-ml always sends
    api_key: bool = False  # takes its key as ``api_key:`` beside the target, as az ml's YAML does
    target_required: bool = True
    source: SourceType | None = None  # what an import reads through it

    @property
    def service_metadata(self) -> tuple[str, ...]:
        """The REST metadata keys the service defines for it (not the user's)."""
        return tuple(key for key, _ in (*self.metadata, *self.fixed))

    def matches(self, category: object, metadata: Mapping[str, object] | None) -> bool:
        """Whether a connection of REST ``category`` with ``metadata`` is of this type: the
        category matches case-insensitively (azure-ai-ml sends ``AzureOpenAi``) and, for the
        categories several types share (``CognitiveService``), its fixed metadata (``Kind``)."""
        if not isinstance(category, str) or category.lower() != self.rest.lower():
            return False
        given = metadata or {}
        return all(given.get(key) == value for key, value in self.fixed if key == KIND_METADATA)


KIND_METADATA = "Kind"  # the metadata key telling CognitiveService connections apart
# az ml's YAML connection types, by the shape of their YAML (`reconciler.config.model`)
TargetConnectionType = Literal[
    "git",
    "python_feed",
    "container_registry",
    "custom",
    "snowflake",
    "azure_sql_db",
    "s3",
    "azure_synapse_analytics",
    "azure_my_sql_db",
    "azure_postgres_db",
    "azure_data_lake_gen2",
]
CognitiveConnectionType = Literal[
    "azure_ai_search", "azure_content_safety", "azure_speech_services", "azure_speech"
]
KeyOnlyConnectionType = Literal["open_ai", "serp"]
ServerlessConnectionType = Literal["serverless", "serverless_model"]
OneLakeConnectionType = Literal["azure_one_lake", "one_lake"]
# names Microsoft's documentation uses for a type, and the type azure-ai-ml knows them by
CONNECTION_TYPE_ALIASES = {
    "azure_speech": "azure_speech_services",  # the and Learn's page name
    "serverless_model": "serverless",  # Learn's serverless page
    "one_lake": "azure_one_lake",  # Learn's OneLake connection page
}
CREDENTIAL_TYPE_ALIASES = {"sql_auth": "username_password"}  # Learn's Azure SQL how-to

_API_OR_ENTRA = ("aad", "api_key")
_FEED = ("none", "pat", "username_password")
CONNECTION_KINDS: dict[str, ConnectionKind] = {
    kind.name: kind
    for kind in (
        ConnectionKind("git", "Git", credentials=_FEED, default_credential="none"),
        ConnectionKind("python_feed", "PythonFeed", credentials=_FEED, default_credential="none"),
        ConnectionKind(
            "container_registry",
            "ContainerRegistry",
            credentials=("none", "managed_identity", "username_password"),
            default_credential="none",
        ),
        ConnectionKind(
            "azure_open_ai",
            "AzureOpenAI",
            "azure_endpoint",
            _API_OR_ENTRA,
            "aad",
            metadata=(("ApiVersion", "api_version"), ("ResourceId", "open_ai_resource_id")),
            fixed=(("ApiType", "Azure"),),
            api_key=True,
        ),
        ConnectionKind(
            "azure_ai_services",
            "AIServices",
            "endpoint",
            _API_OR_ENTRA,
            "aad",
            metadata=(("ResourceId", "ai_services_resource_id"),),
            api_key=True,
        ),
        ConnectionKind(
            "azure_ai_search", "CognitiveSearch", "endpoint", _API_OR_ENTRA, "aad", api_key=True
        ),
        ConnectionKind(
            "azure_content_safety",
            "CognitiveService",
            "endpoint",
            _API_OR_ENTRA,
            "aad",
            fixed=((KIND_METADATA, "Content Safety"),),
            api_key=True,
        ),
        ConnectionKind(
            "azure_speech_services",
            "CognitiveService",
            "endpoint",
            _API_OR_ENTRA,
            "aad",
            fixed=((KIND_METADATA, "speech"),),
            api_key=True,
        ),
        ConnectionKind("api_key", "ApiKey", "api_base", ("api_key",), api_key=True),
        ConnectionKind(
            "open_ai", "OpenAI", credentials=("api_key",), api_key=True, target_required=False
        ),
        ConnectionKind(
            "serp", "Serp", credentials=("api_key",), api_key=True, target_required=False
        ),
        ConnectionKind("serverless", "Serverless", "endpoint", ("api_key",), api_key=True),
        ConnectionKind(
            "custom", "CustomKeys", credentials=("none", "api_key"), default_credential="none"
        ),
        ConnectionKind(
            "azure_blob",
            "AzureBlob",
            "url",
            ("aad", "account_key", "sas"),
            "aad",
            metadata=(("AccountName", "account_name"), ("ContainerName", "container_name")),
        ),
        ConnectionKind(
            "azure_data_lake_gen2",
            "ADLSGen2",
            credentials=("aad", "service_principal", "managed_identity"),
            default_credential="aad",
        ),
        ConnectionKind(
            "azure_one_lake",
            "AzureOneLake",
            credentials=("aad", "service_principal"),
            default_credential="aad",
        ),
        ConnectionKind(
            "snowflake",
            "Snowflake",
            credentials=("username_password", "service_principal"),
            source="database",
        ),
        ConnectionKind(
            "azure_sql_db", "AzureSqlDb", credentials=("username_password",), source="database"
        ),
        ConnectionKind("s3", "S3", credentials=("access_key",), source="file_system"),
        ConnectionKind(
            "azure_synapse_analytics", "AzureSynapseAnalytics", credentials=("username_password",)
        ),
        ConnectionKind("azure_my_sql_db", "AzureMySqlDb", credentials=("username_password",)),
        ConnectionKind("azure_postgres_db", "AzurePostgresDb", credentials=("username_password",)),
    )
}
# the connection fields the service keeps in metadata, over every type
CONNECTION_METADATA_FIELDS = tuple(
    dict.fromkeys(ours for kind in CONNECTION_KINDS.values() for _, ours in kind.metadata)
)
ONE_LAKE_TARGET = "https://{endpoint}/{workspace}/{artifact}"  # azure-ai-ml's, for a GUID
ONE_LAKE_LAKEHOUSE = ".Lakehouse"  # appended to an artifact name that is not a GUID


def connection_kind(
    category: object, metadata: Mapping[str, object] | None
) -> ConnectionKind | None:
    """The connection type of a REST category (and metadata), or None if reconciler does not
    model it."""
    return next((k for k in CONNECTION_KINDS.values() if k.matches(category, metadata)), None)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


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


_SERVICE_PRINCIPAL = (("clientId", "client_id"), ("tenantId", "tenant_id"))
CONNECTION_CREDENTIALS = {
    kind.name: kind
    for kind in (
        CredentialKind("pat", "PAT", (), (("pat", "pat"),)),
        CredentialKind(
            "username_password",
            "UsernamePassword",
            (("username", "username"),),
            (("password", "password"),),
        ),
        CredentialKind(
            "managed_identity",
            "ManagedIdentity",
            (("clientId", "client_id"), ("resourceId", "resource_id")),
        ),
        CredentialKind(
            "service_principal",
            "ServicePrincipal",
            _SERVICE_PRINCIPAL,
            (("clientSecret", "client_secret"),),
        ),
        CredentialKind(
            "access_key",
            "AccessKey",
            (("accessKeyId", "access_key_id"),),
            (("secretAccessKey", "secret_access_key"),),
        ),
        CredentialKind("api_key", "ApiKey", (), (("key", "key"),)),
        # 2024-04-01-preview (what azure-ai-ml 1.35 sends) carries an account key as a shared
        # access signature's `sas` (AccountKeyAuthTypeWorkspaceConnectionProperties); later
        # api-versions have WorkspaceConnectionAccountKey's `key`
        CredentialKind("account_key", "AccountKey", (), (("sas", "account_key"),)),
        CredentialKind("sas", "SAS", (), (("sas", "sas_token"),)),
        CredentialKind("aad", "AAD"),
        CredentialKind("none", "None"),
    )
}
API_KEY = "api_key"  # az ml's YAML field for an API key beside the target


SECRET_FIELDS = frozenset(
    {
        API_KEY,
        *(
            field
            for table in (CONNECTION_CREDENTIALS, DATASTORE_CREDENTIALS)
            for kind in table.values()
            for field in kind.secret_fields
        ),
    }
)


def secret_field(path: Sequence[object]) -> bool:
    """Whether the field at ``path`` (as written in platform.yaml) holds a secret: a secret
    field of ``credentials``, or a connection's ``api_key``."""
    if not path or path[-1] not in SECRET_FIELDS:
        return False
    return path[-1] == API_KEY or (len(path) > 1 and path[-2] == CREDENTIALS)
