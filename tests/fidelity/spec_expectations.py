"""Where the emulator's answers differ from the REST specification, each with its reason.

Keys are findings as `spec_check.key` prints them, list indexes replaced by ``*``. A finding
that is not listed fails the suite; a listed one that no longer occurs fails it too, so the
list only ever holds live differences. Reasons cite GAPS.md (``S1`` ...).
"""

from __future__ import annotations

_S1 = (
    "[S1] the spec requires credentials.secrets (with only secretsType) in datastore answers; "
    "the real service answers credentials without secrets (recordings: shared/datastore-blob-crud, "
    "public/datastore/*): the recording wins"
)
VIOLATIONS: dict[str, str] = {
    "Datastores_CreateOrUpdate 200 $.properties.credentials: 'secrets' is a required property": _S1,
    "Datastores_CreateOrUpdate 201 $.properties.credentials: 'secrets' is a required property": _S1,
    "Datastores_Get 200 $.properties.credentials: 'secrets' is a required property": _S1,
    "Datastores_List 200 $.value[*].properties.credentials: 'secrets' is a required property": _S1,
}
# spec example (path under tests/fidelity/spec/) -> why the emulator's answer differs
_EX = (
    "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/"
    "preview/2024-10-01-preview/examples/Datastore/"
)
EXAMPLES: dict[str, str] = {
    _EX + "list.json": _S1,
    _EX + "get.json": _S1,
    _EX + "AzureBlobWAccountKey/createOrUpdate.json": _S1,
    _EX + "AzureDataLakeGen1WServicePrincipal/createOrUpdate.json": _S1,
    _EX + "AzureDataLakeGen2WServicePrincipal/createOrUpdate.json": _S1,
    _EX + "AzureFileWAccountKey/createOrUpdate.json": _S1,
}
