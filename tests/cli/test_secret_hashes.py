"""No offline-guessable secret material (issue 21, item 6): what is stored beside a secret is
an HMAC keyed with a key only the applier holds, so whoever reads the workspace's tags (Reader
on Azure ML) can test no guess; plans with the key compare, plans without it compare at apply;
legacy scrypt hashes are still verified and are rewritten, as a planned update, by the next
apply."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from reconciler.core.essences import ConnectionEssence, Credentials, Kind
from reconciler.core.secrets import SecretHasher
from reconciler.core.vocabulary import SECRET_TAG_PREFIX
from reconciler.providers.local.provider import LocalWorkspace
from tests.conftest import DEMO_PASSWORD, RunCli

TAG = SECRET_TAG_PREFIX + "credentials.password"
KEY = "k" * 40  # an applier's key, from its secret store
GUESSES = ["password", "Password123!", "globorealty", DEMO_PASSWORD, "letmein"]


def connection_only(project: Path, key_setting: str = "") -> Path:
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(key_setting + text[: text.index("datastores:")])
    return project


def stored_tag(project: Path) -> str:
    workspace = LocalWorkspace(project / ".reconcile/local", read_only=True)
    (connection,) = workspace.list_resources(Kind.CONNECTION)
    return connection.secret_hashes["credentials.password"]


def test_what_a_reader_sees_tests_no_guess(project: Path, invoke: RunCli) -> None:
    connection_only(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0

    stored = stored_tag(project)

    assert stored.startswith("hmac-sha256$") and DEMO_PASSWORD not in stored
    reader = SecretHasher()  # Reader holds the tags, not the key
    assert {reader.matches(guess, stored) for guess in GUESSES} == {None}
    another = SecretHasher(b"a key someone guessed, 32+ bytes long!")
    assert not any(another.matches(guess, stored) for guess in GUESSES)
    key_file = project / ".reconcile/local/secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600  # the embedded workspace's own key
    assert SecretHasher(bytes.fromhex(key_file.read_text())).matches(DEMO_PASSWORD, stored)


def test_with_the_key_a_plan_compares_without_it_compares_at_apply(
    project: Path, invoke: RunCli
) -> None:
    connection_only(project, "settings:\n  secret_key: ${env:RECONCILER_HMAC_KEY}\n")
    env = {"RECONCILER_HMAC_KEY": KEY}
    assert invoke("apply", "--auto-approve", cwd=project, env=env).code == 0
    assert not (project / ".reconcile/local/secret.key").exists()  # the declared key is used

    assert invoke("plan", "--detailed-exitcode", cwd=project, env=env).code == 0
    blind = invoke("plan", "--no-secrets", cwd=project)
    assert blind.code == 0 and "(sensitive, compared at apply)" in blind.stdout
    rotated = env | {"SNOWFLAKE_PASSWORD": "a-rotated-password-77"}
    changed = invoke("plan", cwd=project, env=rotated)
    assert "credentials.password: (sensitive) (changed)" in changed.stdout
    other_key = invoke("plan", cwd=project, env={"RECONCILER_HMAC_KEY": "o" * 40})
    assert "credentials.password: (sensitive) (changed)" in other_key.stdout  # rewritten


def test_a_short_key_is_refused_and_its_variable_stays_out_of_plain_fields(
    project: Path, invoke: RunCli
) -> None:
    connection_only(project, "settings:\n  secret_key: ${env:RECONCILER_HMAC_KEY}\n")
    short = invoke("plan", cwd=project, env={"RECONCILER_HMAC_KEY": "tooshort-123"})
    assert short.code == 1
    assert "platform.yaml:2:3: settings.secret_key: the secret key ${env:RECONCILER_HMAC_KEY}" in (
        short.stderr
    )
    assert "has 12 characters; a key needs at least 32" in short.stderr
    assert "openssl rand -hex 32" in short.stderr and "tooshort-123" not in short.output
    text = (project / "platform.yaml").read_text()
    (project / "platform.yaml").write_text(
        text.replace("username: ${SNOWFLAKE_USER}", "username: ${RECONCILER_HMAC_KEY}")
    )
    leaked = invoke("validate", cwd=project)
    assert leaked.code == 1
    assert "variable RECONCILER_HMAC_KEY is a secret" in leaked.stderr


def _legacy(value: str) -> str:
    """What reconciler stored before keyed hashes: salted scrypt, N=2^13."""
    salt = os.urandom(16)
    raw = hashlib.scrypt(value.encode(), salt=salt, n=2**13, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${raw.hex()}"


def test_a_legacy_scrypt_hash_is_verified_and_rewritten_keyed_by_a_planned_update(
    project: Path, invoke: RunCli
) -> None:
    connection_only(project)
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    workspace = LocalWorkspace(project / ".reconcile/local")
    (live,) = workspace.list_resources(Kind.CONNECTION)
    tags = {
        "managed-by": "reconciler",
        "reconciler.owner": "default/local",
        TAG: _legacy(DEMO_PASSWORD),
    }
    essence = ConnectionEssence(
        type="snowflake",
        target=live.spec["target"],
        credentials=Credentials(type="username_password", username="globorealty"),
    )
    workspace.put(
        Kind.CONNECTION, live.name, essence, {"credentials.password": DEMO_PASSWORD}, tags
    )
    workspace.close()

    for args in (("plan",), ("plan", "--no-secrets")):
        planned = invoke(*args, cwd=project)
        assert planned.code == 0, planned.output
        assert f'{TAG}: "scrypt hash (testable offline by any reader)" -> "keyed hash"' in (
            planned.stdout.replace("→", "->")
        ), planned.stdout
        assert "credentials.password: (sensitive) (changed)" not in planned.stdout  # verified
    assert invoke("apply", "--auto-approve", cwd=project).code == 0
    assert stored_tag(project).startswith("hmac-sha256$")
    assert invoke("plan", "--detailed-exitcode", cwd=project).code == 0


def test_the_first_apply_without_the_lock_makes_the_key_and_its_folder(
    project: Path, invoke: RunCli
) -> None:
    connection_only(project)  # a fresh project: no workspace folder yet, and no lock to make it

    result = invoke("apply", "--auto-approve", "--no-lock", cwd=project)

    assert result.code == 0, result.output
    assert (project / ".reconcile/local/secret.key").stat().st_mode & 0o777 == 0o600
    assert stored_tag(project).startswith("hmac-sha256$")
