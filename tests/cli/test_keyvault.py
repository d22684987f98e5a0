"""Secrets from Azure Key Vault: ``${keyvault:VAULT/SECRET[/VERSION]}`` read with the real
azure-keyvault-secrets client from a local Key Vault endpoint, each secret once per command;
a missing secret or vault, or denied access, is a located error that never shows a value."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.core.essences import Kind
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import RunCli
from tests.fakes.entra import sign_in_variables, signing_in
from tests.fakes.https import serve
from tests.fakes.keyvault import KeyVault

PASSWORD = "kv-snowflake-password-Zt61"
ACCOUNT_KEY = "kv-storage-account-key-Qw83"
VERSION = "a" * 32


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyVault]:
    fake = KeyVault()
    fake.put("kv-globorealty", "snowflake-password", PASSWORD)
    fake.put("kv-globorealty", "storage-key", ACCOUNT_KEY)
    fake.put("kv-globorealty", "storage-key", "kv-storage-key-version-aaaa", VERSION)
    with serve(signing_in(fake), tmp_path / "kv-tls") as server:
        for name, value in sign_in_variables(server).items():  # a local token endpoint
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("RECONCILER_KEYVAULT_URL", server.url + "/{vault}")
        yield fake


def use_keyvault(project: Path, password: str, key: str) -> Path:
    """Both secrets from Key Vault; the imports section dropped (no Snowflake here)."""
    path = project / "platform.yaml"
    text = path.read_text()
    text = text.replace("${env:SNOWFLAKE_PASSWORD}", password)
    text = text.replace("${env:STORAGE_ACCOUNT_KEY}", key)
    path.write_text(text[: text.index("imports:")])
    return project


def test_secrets_come_from_key_vault_once_each_and_are_never_shown(
    project: Path, invoke: RunCli, vault: KeyVault
) -> None:
    use_keyvault(
        project,
        "${keyvault:kv-globorealty/snowflake-password}",
        "${keyvault:kv-globorealty/snowflake-password}",  # the same secret twice: read once
    )

    result = invoke("apply", "--auto-approve", cwd=project)

    assert result.code == 0, result.output
    assert vault.reads == {("kv-globorealty", "snowflake-password"): 1}
    assert PASSWORD not in result.output
    workspace = LocalWorkspace(project / ".reconcile/local")
    assert workspace.store.secrets("connection", "snowflake_globorealty") == {
        "credentials.password": PASSWORD
    }
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0


def test_a_pinned_version_is_read(project: Path, invoke: RunCli, vault: KeyVault) -> None:
    use_keyvault(
        project,
        "${keyvault:kv-globorealty/snowflake-password}",
        f"${{keyvault:kv-globorealty/storage-key/{VERSION}}}",
    )
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    workspace = LocalWorkspace(project / ".reconcile/local")
    assert workspace.store.secrets("datastore", "rawdata") == {
        "credentials.account_key": "kv-storage-key-version-aaaa"
    }
    assert [r.name for r in workspace.list_resources(Kind.DATASTORE) if r.managed] == ["rawdata"]


def test_a_missing_secret_is_a_located_error_naming_vault_and_secret(
    project: Path, invoke: RunCli, vault: KeyVault
) -> None:
    use_keyvault(
        project,
        "${keyvault:kv-globorealty/no-such-secret}",
        "${keyvault:kv-globorealty/storage-key}",
    )
    result = invoke("plan", cwd=project)
    assert result.code == 1
    assert "platform.yaml:9:7: connections.snowflake_globorealty.credentials.password:" in (
        result.stderr
    )
    assert "Key Vault 'kv-globorealty' has no secret 'no-such-secret'" in result.stderr
    assert ACCOUNT_KEY not in result.output
    assert not (project / ".reconcile/local/workspace.db").exists()  # nothing changed


def test_denied_access_says_which_role_is_missing(
    project: Path, invoke: RunCli, vault: KeyVault
) -> None:
    vault.denied.add("kv-globorealty")
    use_keyvault(
        project,
        "${keyvault:kv-globorealty/snowflake-password}",
        "${keyvault:kv-globorealty/storage-key}",
    )
    result = invoke("plan", cwd=project)
    assert result.code == 1
    assert "access to secret 'snowflake-password' in Key Vault 'kv-globorealty' was denied" in (
        result.stderr
    )
    assert "Key Vault Secrets User" in result.stderr


def test_a_vault_that_does_not_exist_cannot_be_reached(
    project: Path, invoke: RunCli, vault: KeyVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_KEYVAULT_URL", "https://{vault}.invalid")
    use_keyvault(
        project,
        "${keyvault:kv-nowhere/snowflake-password}",
        "${keyvault:kv-nowhere/storage-key}",
    )
    result = invoke("plan", cwd=project)
    assert result.code == 1
    assert "Key Vault 'kv-nowhere' cannot be reached (does it exist?)" in result.stderr


def test_validate_reads_no_vault(project: Path, invoke: RunCli, vault: KeyVault) -> None:
    use_keyvault(
        project,
        "${keyvault:kv-globorealty/snowflake-password}",
        "${keyvault:kv-globorealty/storage-key}",
    )
    assert invoke("validate", cwd=project).code == 0
    assert invoke("plan", "--no-secrets", cwd=project).code == 0
    assert sum(vault.reads.values()) == 0


def test_a_key_vault_secret_held_by_a_plain_variable_too_is_refused_where_it_is_used(
    project: Path, invoke: RunCli, vault: KeyVault
) -> None:
    use_keyvault(
        project,
        "${keyvault:kv-globorealty/snowflake-password}",
        "${keyvault:kv-globorealty/storage-key}",
    )
    env = {"SNOWFLAKE_USER": PASSWORD}  # the vault's password, pasted into a plain variable

    assert invoke("validate", cwd=project, env=env).code == 0  # only the values can tell
    result = invoke("apply", "--auto-approve", cwd=project, env=env)

    assert result.code == 1, result.output
    assert (
        "platform.yaml:8:7: connections.snowflake_globorealty.credentials.username: this field, "
        "filled by ${SNOWFLAKE_USER}, contains the value of the secret "
        "${keyvault:kv-globorealty/snowflake-password}"
    ) in result.stderr
    assert PASSWORD not in result.output
    assert not (project / ".reconcile").exists()
