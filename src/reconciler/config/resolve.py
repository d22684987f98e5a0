"""Secret references -> values: environment variables and Azure Key Vault, each read once.

Every missing or unreadable secret of the whole desired state is reported at once, located at
the field that references it, naming the variable or the vault and secret, never a value. A
value shorter than `MIN_SECRET_LENGTH` is refused: output is redacted by masking secret values,
and masking a short one would reveal it by where the mask falls ("***store" for "data").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reconciler.config.model.secretrefs import ENV_REF
from reconciler.core.desired import DesiredResource, Locator
from reconciler.core.errors import Problem
from reconciler.core.essences import Kind, address
from reconciler.core.secrets import (
    KEY_ADDRESS,
    MIN_KEY_LENGTH,
    KeyVaultError,
    KeyVaultReader,
    SecretKey,
    SecretRef,
    SecretValues,
)

MIN_SECRET_LENGTH = 8


def resolve_secrets(
    resources: Iterable[DesiredResource],
    locator: Locator,
    variables: Mapping[str, str],
    keyvault: Callable[[], KeyVaultReader] | None = None,
    secret_key: SecretRef | None = None,
) -> tuple[SecretValues, list[Problem]]:
    """The values that could be read, and a located problem for each one that could not;
    ``secret_key`` (``settings.secret_key``) is resolved too, under `KEY_ADDRESS`."""
    values: dict[SecretKey, str] = {}
    problems: list[Problem] = []
    cache: dict[tuple[str, str, str | None], str | KeyVaultError] = {}
    reader: KeyVaultReader | None = None
    wanted = [
        ((resource.address, path), (*resource.config_path, *path.split(".")), ref)
        for resource in resources
        for path, ref in resource.secrets.items()
    ]
    if secret_key is not None:
        wanted.append((KEY_ADDRESS, KEY_ADDRESS, secret_key))
    for key_of, where, ref in wanted:
        used_by = key_of[0]
        if ref.source == "env":
            value = variables.get(ref.name)
            if not value:
                problems.append(_missing_variable(locator, where, ref, used_by))
                continue
        else:
            if reader is None:
                if keyvault is None:
                    problems.append(
                        locator.problem(where, f"{ref} cannot be read here: no Key Vault access")
                    )
                    continue
                reader = keyvault()
            key = (str(ref.vault), ref.name, ref.version)
            if key not in cache:
                try:
                    cache[key] = reader.read(str(ref.vault), ref.name, ref.version)
                except KeyVaultError as exc:
                    cache[key] = exc
            found = cache[key]
            if isinstance(found, KeyVaultError):
                problems.append(
                    locator.problem(where, f"{found.message} (used by {used_by})", found.hint)
                )
                continue
            value = found
        if key_of == KEY_ADDRESS and len(value) < MIN_KEY_LENGTH:
            problems.append(
                locator.problem(
                    where,
                    f"the secret key {ref} has {len(value)} characters; a key needs at "
                    f"least {MIN_KEY_LENGTH}, or the stored hashes could be tested by "
                    "guessing the key",
                    "make one with `openssl rand -hex 32` and keep it in the applier's "
                    "secret store",
                )
            )
            continue
        if len(value) < MIN_SECRET_LENGTH:
            problems.append(
                locator.problem(
                    where,
                    f"the secret {ref} is shorter than {MIN_SECRET_LENGTH} characters; "
                    "reconciler masks secrets in all output, and masking one this short "
                    "would give it away",
                    "use a longer secret (rotate it at its source)",
                )
            )
            continue
        values[key_of] = value
    return SecretValues(True, values), problems


def _missing_variable(
    locator: Locator, where: tuple[str, ...], ref: SecretRef, address: str
) -> Problem:
    return locator.problem(
        where,
        f"secret variable {ref.name} is not set (used by {address})",
        f"export {ref.name}=... (in CI: from a secret store), or add it to the "
        "environment's env_file for local use",
    )


def unset_env_secrets(
    data: Mapping[str, Any], locator: Locator, variables: Mapping[str, str]
) -> list[Problem]:
    """The ``${env:NAME}`` secret references whose variable is unset, read off the merged
    desired state as written: reported beside the problems that stopped validation, so that
    one round names every variable to set, plain and secret."""
    problems: list[Problem] = []
    for section, kind in (("connections", Kind.CONNECTION), ("datastores", Kind.DATASTORE)):
        items = data.get(section)
        for name, item in items.items() if isinstance(items, dict) else ():
            credentials = item.get("credentials") if isinstance(item, dict) else None
            for field, text in credentials.items() if isinstance(credentials, dict) else ():
                found = ENV_REF.fullmatch(text) if isinstance(text, str) else None
                if found and not variables.get(found.group(1)):
                    where = (section, str(name), "credentials", str(field))
                    ref = SecretRef(source="env", name=found.group(1))
                    problems.append(_missing_variable(locator, where, ref, address(kind, name)))
    return problems
