"""Secrets from Azure Key Vault (``${keyvault:VAULT/SECRET[/VERSION]}``) with azure-keyvault-secrets
and the same credential as the workspace. Each secret is read once per command (the caller
caches). Failures name the vault and the secret, never a value, and say what to do.
"""

from __future__ import annotations

import os
from typing import Any

from reconciler.core.secrets import KeyVaultError

# Tests point this at a local Key Vault endpoint: "https://127.0.0.1:PORT" (one host for all
# vaults; the vault name then travels as the first path segment's host-less stand-in).
URL_VARIABLE = "RECONCILER_KEYVAULT_URL"


class AzureKeyVault:
    """`reconciler.config.resolve.KeyVaultReader` on azure-keyvault-secrets' `SecretClient`."""

    def __init__(self, credential: Any, url_template: str | None = None) -> None:
        self._credential = credential
        self._template = url_template or os.environ.get(URL_VARIABLE) or ""
        self._clients: dict[str, Any] = {}

    def _url(self, vault: str) -> str:
        if self._template:
            return self._template.replace("{vault}", vault)
        return f"https://{vault}.vault.azure.net"

    def _client(self, vault: str) -> Any:
        if vault not in self._clients:
            from azure.keyvault.secrets import SecretClient

            self._clients[vault] = SecretClient(
                self._url(vault),
                self._credential,
                verify_challenge_resource=not self._template,
                retry_total=2,
            )
        return self._clients[vault]

    def read(self, vault: str, name: str, version: str | None) -> str:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
        )

        what = f"secret {name!r}" + (f" (version {version})" if version else "")
        try:
            secret = self._client(vault).get_secret(name, version)
        except ResourceNotFoundError:
            raise KeyVaultError(
                f"Key Vault {vault!r} has no {what}",
                hint="check the secret's name (and version) in the vault",
            ) from None
        except ClientAuthenticationError:
            raise KeyVaultError(
                f"could not sign in to read {what} from Key Vault {vault!r}",
                hint="az login (or OIDC in CI) with an identity that may read the vault",
            ) from None
        except HttpResponseError as exc:
            if exc.status_code == 403:
                raise KeyVaultError(
                    f"access to {what} in Key Vault {vault!r} was denied",
                    hint="grant the identity the 'Key Vault Secrets User' role on the vault "
                    "(or a get-secret access policy)",
                ) from None
            raise KeyVaultError(
                f"Key Vault {vault!r} answered {exc.status_code} reading {what}"
            ) from None
        except ServiceRequestError:
            raise KeyVaultError(
                f"Key Vault {vault!r} cannot be reached (does it exist?)",
                hint=f"check the vault name; it is reached at {self._url(vault)}",
            ) from None
        value = secret.value
        if not isinstance(value, str):
            raise KeyVaultError(f"{what} in Key Vault {vault!r} has no value")
        return value
