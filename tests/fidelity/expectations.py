"""What the fidelity suite currently measures, written down so that it can only get better.

`EXCEPTIONS` is every request whose emulator answer differs from the recorded one, with the
reason (the ``[Gn]`` ids are sections of GAPS.md). The suite fails when a request not listed
here mismatches (a regression) *and* when a listed one starts to match (the emulator was
fixed: delete the line and raise the recording's floor in `MATCHING`).

`MATCHING` is the number of requests per recording that match today; it may only go up.
"""

from __future__ import annotations

_ORDER = (
    "[G2] the system datastores' creation order differs between real workspaces: this one made "
    "workspacefilestore first; the emulator makes them in the order the three other recorded "
    "workspaces show (workspaceblobstore, workspacefilestore, workspaceworkingdirectory, "
    "workspaceartifactstore), so the list's order differs"
)

EXCEPTIONS: dict[tuple[str, int], str] = {
    ("public/datastore/file_store", 3): _ORDER,
    ("public/command_job/command_job_serverless", 5): (
        "[J1] a command job the service took: it picked a serverless compute (computeId), tags "
        "its allocation state and names its process files; the emulator runs no compute, so "
        "the job stays Queued (as recorded) without them"
    ),
}

MATCHING: dict[str, int] = {
    "shared/connection-snowflake-crud": 6,
    "public/command_job/command_job_serverless": 3,
    "public/schedule/command_job_schedule": 8,
    "shared/data-import-job": 1,
    "shared/data-list": 3,
    "shared/datastore-blob-crud": 9,
    "shared/schedule-data-import-database": 4,
    "public/data_import/create_schedule_data_import[file_system]": 4,
    "public/dataset/create_mltable": 4,
    "public/dataset/create_uri_file": 4,
    "public/dataset/create_uri_folder": 4,
    "public/dataset/data_archive_restore_version": 13,
    "public/dataset/data_auto_delete_setting": 4,
    "public/dataset/data_get_latest_label": 16,
    "public/dataset/data_unsupported_datastore": 2,
    "public/datastore/blob_store_credential_less": 5,
    "public/datastore/credential_less_adls_gen2_store": 5,
    "public/datastore/file_store": 8,
    "public/workspace/connection_crud_cog_search_conn": 4,
    "public/workspace/connection_crud_cog_service_conn": 4,
    "public/workspace/connection_crud_cr_msi": 6,
    "public/workspace/connection_crud_git_pat": 6,
    "public/workspace/connection_crud_git_user_pwd": 1,
    "public/workspace/connection_crud_open_ai_conn": 4,
    "public/workspace/connection_crud_python_feed": 6,
    "public/workspace/connection_crud_s3_access_key": 1,
}


def exceptions_for(key: str) -> dict[int, str]:
    return {index: reason for (k, index), reason in EXCEPTIONS.items() if k == key}
