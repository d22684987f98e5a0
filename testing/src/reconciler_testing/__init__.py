"""Test doubles for reconciler, shipped apart from the product (``reconciler-testing``).

- `reconciler_testing.emulator`: the Azure ML management API over HTTPS on the embedded
  workspace's store, with an Entra ID token endpoint (``reconciler-emulator``);
- `reconciler_testing.localsnow`: a local Snowflake (fakesnow's server over DuckDB);
- `reconciler_testing.locals3`: a local S3 (moto's server);
- `reconciler_testing.localproc`: how those servers run detached and are stopped.

They import reconciler; reconciler never imports them (an import-linter contract).
"""
