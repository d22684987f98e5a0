"""What the fidelity suite currently measures, written down so that it can only get better.

`EXCEPTIONS` is every request whose emulator answer differs from the recorded one, with the
reason (the ``[Gn]`` ids are sections of GAPS.md). The suite fails when a request not listed
here mismatches (a regression) *and* when a listed one starts to match (the emulator was
fixed: delete the line and raise the recording's floor in `MATCHING`).

`MATCHING` is the number of requests per recording that match today; it may only go up.
"""

from __future__ import annotations

_CONSEQUENCE = "follows from request {}: the connection was never created ([G1])"
_CATEGORY = "[G1] connection category {} / authType {}: the emulator answers 400, the service 200"
_NO_ZOO = (
    "[G2] only workspaceblobstore exists; the service lists workspaceartifactstore, "
    "workspaceworkingdirectory and workspacefilestore too (and [G3] tags: null)"
)
_TAGS_NULL = "[G3] system datastore answered with tags {}; the service answers tags: null"
_LOCATION = "[G5] 201 without the Location header the service sends"
_SLASH = "[G4] uri_folder/mltable dataUri loses the trailing '/' the service adds"
_SLASH_LOC = f"{_SLASH}; {_LOCATION}"
_LRO_PUT = (
    "[G6] displayName replaced by the schedule name; [G7] default --lro sync: provisioningState "
    "Succeeded and no Azure-AsyncOperation / Location / x-ms-async-operation-timeout headers "
    "(the service answers Creating and polls)"
)
_LRO_POLL = "[G7] default --lro sync: the PUT answer gave no operation to poll"
_DISPLAY = "[G6] displayName replaced by the schedule name"
_STAMP = (
    "[G8] systemData not updated when a data version is updated (lastModifiedAt kept, no "
    "lastModifiedBy/lastModifiedByType)"
)
_DELETE = "follows from request 0: nothing to delete, 204 instead of 200 ([G1])"

EXCEPTIONS: dict[tuple[str, int], str] = {
    ("shared/data-import-job", 0): _LOCATION,
    ("shared/datastore-blob-crud", 6): _NO_ZOO,
    ("shared/schedule-data-import-database", 0): _LRO_PUT,
    ("shared/schedule-data-import-database", 1): _LRO_POLL,
    ("shared/schedule-data-import-database", 2): _LRO_POLL,
    ("shared/schedule-data-import-database", 3): _DISPLAY,
    ("public/data_import/create_schedule_data_import[file_system]", 0): _LRO_PUT,
    ("public/data_import/create_schedule_data_import[file_system]", 1): _LRO_POLL,
    ("public/data_import/create_schedule_data_import[file_system]", 2): _LRO_POLL,
    ("public/data_import/create_schedule_data_import[file_system]", 3): _DISPLAY,
    ("public/dataset/create_mltable", 0): _TAGS_NULL,
    ("public/dataset/create_mltable", 4): f"{_SLASH_LOC}; [G9] referencedUris dropped",
    ("public/dataset/create_mltable", 5): f"{_SLASH}; [G9] referencedUris dropped",
    ("public/dataset/create_uri_file", 0): _TAGS_NULL,
    ("public/dataset/create_uri_file", 4): _LOCATION,
    ("public/dataset/create_uri_folder", 0): _TAGS_NULL,
    ("public/dataset/create_uri_folder", 5): _SLASH_LOC,
    ("public/dataset/create_uri_folder", 6): _SLASH,
    ("public/dataset/data_archive_restore_version", 0): _TAGS_NULL,
    ("public/dataset/data_archive_restore_version", 4): _LOCATION,
    ("public/dataset/data_archive_restore_version", 5): _TAGS_NULL,
    ("public/dataset/data_archive_restore_version", 9): _LOCATION,
    ("public/dataset/data_archive_restore_version", 12): _STAMP,
    ("public/dataset/data_archive_restore_version", 14): _STAMP,
    ("public/dataset/data_archive_restore_version", 15): _STAMP,
    ("public/dataset/data_archive_restore_version", 16): _STAMP,
    ("public/dataset/data_auto_delete_setting", 0): _TAGS_NULL,
    ("public/dataset/data_auto_delete_setting", 4): f"{_SLASH_LOC}; [G9] autoDeleteSetting dropped",
    ("public/dataset/data_auto_delete_setting", 5): f"{_SLASH}; [G9] autoDeleteSetting dropped",
    ("public/dataset/data_get_latest_label", 0): _TAGS_NULL,
    ("public/dataset/data_get_latest_label", 5): _LOCATION,
    ("public/dataset/data_get_latest_label", 7): _TAGS_NULL,
    ("public/dataset/data_get_latest_label", 12): _LOCATION,
    ("public/dataset/data_get_latest_label", 14): _TAGS_NULL,
    ("public/dataset/data_get_latest_label", 19): _LOCATION,
    ("public/dataset/data_get_latest_label", 21): _TAGS_NULL,
    ("public/dataset/data_get_latest_label", 26): _LOCATION,
    ("public/dataset/data_unsupported_datastore", 0): "[G2] workspacefilestore does not exist: 404",
    ("public/datastore/blob_store_credential_less", 2): _NO_ZOO,
    ("public/datastore/credential_less_adls_gen2_store", 2): _NO_ZOO,
    ("public/datastore/file_store", 3): _NO_ZOO,
    ("public/workspace/connection_crud_cog_search_conn", 0): _CATEGORY.format(
        "CognitiveSearch", "UsernamePassword"
    ),
    ("public/workspace/connection_crud_cog_search_conn", 1): _DELETE,
    ("public/workspace/connection_crud_cog_service_conn", 0): _CATEGORY.format(
        "CognitiveService", "UsernamePassword"
    ),
    ("public/workspace/connection_crud_cog_service_conn", 1): _DELETE,
    ("public/workspace/connection_crud_cr_msi", 0): _CATEGORY.format(
        "ContainerRegistry", "ManagedIdentity"
    ),
    ("public/workspace/connection_crud_cr_msi", 1): _CATEGORY.format(
        "ContainerRegistry", "ManagedIdentity"
    ),
    ("public/workspace/connection_crud_cr_msi", 2): _CONSEQUENCE.format("0"),
    ("public/workspace/connection_crud_cr_msi", 3): _DELETE,
    ("public/workspace/connection_crud_git_pat", 0): _CATEGORY.format("Git", "PAT"),
    ("public/workspace/connection_crud_git_pat", 1): _CATEGORY.format("Git", "PAT"),
    ("public/workspace/connection_crud_git_pat", 2): _CONSEQUENCE.format("0"),
    ("public/workspace/connection_crud_git_pat", 3): _DELETE,
    ("public/workspace/connection_crud_git_user_pwd", 0): _CATEGORY.format(
        "Git", "UsernamePassword"
    ),
    ("public/workspace/connection_crud_open_ai_conn", 0): _CATEGORY.format(
        "AzureOpenAi (answered as AzureOpenAI)", "UsernamePassword"
    ),
    ("public/workspace/connection_crud_open_ai_conn", 1): _DELETE,
    ("public/workspace/connection_crud_python_feed", 0): _CATEGORY.format("PythonFeed", "PAT"),
    ("public/workspace/connection_crud_python_feed", 1): _CATEGORY.format("PythonFeed", "PAT"),
    ("public/workspace/connection_crud_python_feed", 2): _CONSEQUENCE.format("0"),
    ("public/workspace/connection_crud_python_feed", 3): _DELETE,
}

MATCHING: dict[str, int] = {
    "shared/connection-snowflake-crud": 6,
    "shared/data-import-job": 0,
    "shared/data-list": 3,
    "shared/datastore-blob-crud": 8,
    "shared/schedule-data-import-database": 0,
    "public/data_import/create_schedule_data_import[file_system]": 0,
    "public/dataset/create_mltable": 1,
    "public/dataset/create_uri_file": 2,
    "public/dataset/create_uri_folder": 1,
    "public/dataset/data_archive_restore_version": 5,
    "public/dataset/data_auto_delete_setting": 1,
    "public/dataset/data_get_latest_label": 8,
    "public/dataset/data_unsupported_datastore": 1,
    "public/datastore/blob_store_credential_less": 4,
    "public/datastore/credential_less_adls_gen2_store": 4,
    "public/datastore/file_store": 8,
    "public/workspace/connection_crud_cog_search_conn": 2,
    "public/workspace/connection_crud_cog_service_conn": 2,
    "public/workspace/connection_crud_cr_msi": 2,
    "public/workspace/connection_crud_git_pat": 2,
    "public/workspace/connection_crud_git_user_pwd": 0,
    "public/workspace/connection_crud_open_ai_conn": 2,
    "public/workspace/connection_crud_python_feed": 2,
    "public/workspace/connection_crud_s3_access_key": 1,
}


def exceptions_for(key: str) -> dict[int, str]:
    return {index: reason for (k, index), reason in EXCEPTIONS.items() if k == key}
