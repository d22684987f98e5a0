"""Where the emulator's answers differ from the REST specification, each with its reason.

Keys are findings as `spec_check.key` prints them, list indexes replaced by ``*``. A finding
that is not listed fails the suite; a listed one that no longer occurs fails it too, so the
list only ever holds live differences. Reasons cite GAPS.md (``S1`` ...). The contract suite's
answers are checked by the ``emulator`` fixture of tests/providers against the same list
(`CONTRACT_VIOLATIONS` adds what only that traffic shows).
"""

from __future__ import annotations

_S1 = (
    "[S1] the spec requires credentials.secrets (with only secretsType) in datastore answers; "
    "the real service answers credentials without secrets (recordings: shared/datastore-blob-crud, "
    "public/datastore/*): the recording wins"
)
_S2 = (
    "[S2] connection answers carry credentials: null, which the spec's (non-nullable) credential "
    "objects do not allow; every recorded connection answer has it (public/workspace/*): the "
    "recording wins"
)
_S3 = (
    "[S3] connection answers carry expiryTime: null (spec: a non-nullable date-time); the service "
    "answers null even when sent a time (public/workspace/connection_crud_s3_access_key [0]): "
    "the recording wins"
)
_S4 = (
    "[S4] 2024-04-01-preview types connection metadata as an array of strings; the service "
    "answers an object (every recorded connection; the spec's own listSecrets example has {}): "
    "the recording wins"
)
_S5 = (
    "[S5] connection errors come in account-rp's shape with target: null and additionalInfo: "
    "null (spec ErrorDetail: neither nullable), as recorded (public/workspace/connection_crud_* "
    "after DELETE): the recording wins"
)
_S6 = (
    "[S6] autoDeleteSetting.condition is answered as sent, createdGreaterThan (spec enum: "
    "CreatedGreaterThan), as the service answered it (public/dataset/data_auto_delete_setting): "
    "the recording wins"
)
_S7 = (
    "[S7] categories newer than 2024-04-01-preview's ConnectionCategory enum (an extensible, "
    "modelAsString enum), such as AIServices (which azure-ai-ml 1.35 sends for "
    "azure_ai_services) or Pinecone: the emulator takes every category azure-ai-ml 1.35's REST "
    "client lists, as the service does"
)
_CONN = "WorkspaceConnections_"
VIOLATIONS: dict[str, str] = {
    "Datastores_CreateOrUpdate 200 $.properties.credentials: 'secrets' is a required property": _S1,
    "Datastores_CreateOrUpdate 201 $.properties.credentials: 'secrets' is a required property": _S1,
    "Datastores_Get 200 $.properties.credentials: 'secrets' is a required property": _S1,
    "Datastores_List 200 $.value[*].properties.credentials: 'secrets' is a required property": _S1,
    f"{_CONN}Create 200 $.properties.credentials: None is not of type 'object'": _S2,
    f"{_CONN}Get 200 $.properties.credentials: None is not of type 'object'": _S2,
    f"{_CONN}Create 200 $.properties.expiryTime: None is not of type 'string'": _S3,
    f"{_CONN}Get 200 $.properties.expiryTime: None is not of type 'string'": _S3,
    f"{_CONN}Create 200 $.properties.metadata: {{}} is not of type 'array'": _S4,
    f"{_CONN}Create 200 $.properties.metadata: {{'ApiVersion': 'dummy'}} is not of type 'array'": (
        _S4
    ),
    f"{_CONN}Create 200 $.properties.metadata: {{'ApiType': 'dummy', 'ApiVersion': 'dummy'}} "
    "is not of type 'array'": _S4,
    f"{_CONN}Create 200 $.properties.metadata: {{'ApiVersion': 'dummy', 'Kind': 'dummy'}} "
    "is not of type 'array'": _S4,
    f"{_CONN}Get 200 $.properties.metadata: {{}} is not of type 'array'": _S4,
    f"{_CONN}Get 404 $.error.additionalInfo: None is not of type 'array'": _S5,
    f"{_CONN}Get 404 $.error.target: None is not of type 'string'": _S5,
    "DataVersions_CreateOrUpdate 201 $.properties.autoDeleteSetting: {'condition': "
    "'createdGreaterThan', 'value': '30d'} is not of type 'null'": _S6,
    "DataVersions_Get 200 $.properties.autoDeleteSetting: {'condition': 'createdGreaterThan', "
    "'value': '30d'} is not of type 'null'": _S6,
}
# Findings of the provider contract suite's traffic (tests/providers), by the same rules: the
# connection answers carry the metadata reconciler writes, so S4 is matched by its start.
CONTRACT_PREFIXES: dict[str, str] = {
    f"{_CONN}Create 200 $.properties.metadata: ": _S4,
    f"{_CONN}Get 200 $.properties.metadata: ": _S4,
    f"{_CONN}List 200 $.value[*].properties.metadata: ": _S4,
    f"{_CONN}List 200 $.value[*].properties.credentials: None": _S2,
    f"{_CONN}List 200 $.value[*].properties.expiryTime: None": _S3,
    f"{_CONN}Create 200 $.properties.category: ": _S7,
    f"{_CONN}Get 200 $.properties.category: ": _S7,
    f"{_CONN}List 200 $.value[*].properties.category: ": _S7,
    "DataVersions_CreateOrUpdate 200 $.properties.autoDeleteSetting: ": _S6,
    "DataVersions_CreateOrUpdate 201 $.properties.autoDeleteSetting: ": _S6,
    "DataVersions_Get 200 $.properties.autoDeleteSetting: ": _S6,
    "DataVersions_List 200 $.value[*].properties.autoDeleteSetting: ": _S6,
}
# spec example (path under tests/fidelity/spec/) -> why the emulator's answer differs
_DS = (
    "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/"
    "preview/2024-10-01-preview/examples/Datastore/"
)
_WC = (
    "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/"
    "preview/2024-04-01-preview/examples/WorkspaceConnection/"
)
_DATA = (
    "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/"
    "preview/2023-04-01-preview/examples/Workspace/"
)
_S8 = (
    "[S8] the emulator keeps data containers only as the versions in them: a container PUT "
    "for a data asset with no version is refused, and a container's own description, tags and "
    "properties are not kept (azure-ai-ml only PUTs a container to archive or restore it); the "
    "example's dataType UriFile is not in the spec's own enum either"
)
_G8 = (
    "[S9] systemData.lastModifiedBy* are answered from the first update on, as recorded "
    "(public/dataset/data_archive_restore_version); the example shows them on a create"
)
EXAMPLES: dict[str, str] = {
    _DS + "list.json": _S1,
    _DS + "get.json": _S1,
    _DS + "AzureBlobWAccountKey/createOrUpdate.json": _S1,
    _DS + "AzureDataLakeGen1WServicePrincipal/createOrUpdate.json": _S1,
    _DS + "AzureDataLakeGen2WServicePrincipal/createOrUpdate.json": _S1,
    _DS + "AzureFileWAccountKey/createOrUpdate.json": _S1,
    _WC + "create.json": _S3,
    _WC + "get.json": _S3,
    _WC + "listSecrets.json": _S3,
    _DATA + "DataContainer/createOrUpdate.json": _S8,
    _DATA + "DataContainer/get.json": _S8,
    _DATA + "DataVersionBase/createOrUpdate.json": _G8,
}
# spec examples whose answers the spec's own schema refuses (the check is right: they are)
EXAMPLE_SCHEMA: dict[str, str] = {
    _WC + "listSecrets.json": "$.properties.metadata: {} is not of type 'array'",
    _DATA + "DataContainer/get.json": "$.properties.dataType: 'UriFile' is not one of",
    _DATA + "DataContainer/createOrUpdate.json": "$.properties.dataType: 'UriFile' is not one of",
}
