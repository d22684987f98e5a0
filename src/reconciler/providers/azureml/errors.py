"""Every exception azure-ai-ml and azure-core can raise, mapped to an actionable error.

`call()` runs one SDK call: throttling, transient 5xx and dropped connections are retried with
backoff that honours ``Retry-After``; anything else, or a retry budget spent, becomes a
`ProviderError` whose message says what to do. `MAPPED` is checked by a test against every
exception type the SDK defines, so a new one cannot slip through unmapped.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from reconciler.core.errors import ProviderError

T = TypeVar("T")
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_ATTEMPTS = 6
MAX_DELAY = 30.0


class Target:
    """What the provider talks to, for messages."""

    def __init__(self, subscription_id: str, resource_group: str, workspace: str) -> None:
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.workspace = workspace

    def describe(self) -> str:
        return (
            f"workspace {self.workspace!r} in resource group {self.resource_group!r} "
            f"(subscription {self.subscription_id})"
        )


def call(
    what: str,
    target: Target,
    func: Callable[[], T],
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = MAX_ATTEMPTS,
) -> T:
    """Run ``func``; ``what`` says what it does (``list datastores``) for messages."""
    unanswered = 0
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except Exception as exc:  # every exception is mapped below
            error = translate(exc, what, target)
            if _no_answer(exc):  # azure-core already retried the connection: once more here
                unanswered += 1
            if not error.transient or attempt >= attempts or unanswered > NO_ANSWER_RETRIES:
                if error.transient:
                    error.message += f" (gave up after {attempt} attempts)"
                raise error from exc
            sleep(_delay(exc, attempt))
    raise AssertionError("unreachable")


NO_ANSWER_RETRIES = 1  # requests that got no answer at all: azure-core retried them already


def _no_answer(exc: BaseException) -> bool:
    from azure.core import exceptions as core

    return isinstance(exc, core.ServiceRequestError | core.ServiceResponseError)


def _delay(exc: BaseException, attempt: int) -> float:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    retry_after = headers.get("Retry-After") or headers.get("retry-after")
    if retry_after:
        try:
            return min(MAX_DELAY, max(0.0, float(retry_after)))
        except ValueError:
            pass
    return min(MAX_DELAY, 0.5 * float(2 ** (attempt - 1))) * (0.5 + random.random() / 2)


def translate(exc: BaseException, what: str, target: Target) -> ProviderError:
    """The user-facing error for ``exc``. Never includes request bodies (they may hold secrets)."""
    from azure.core import exceptions as core

    status = getattr(exc, "status_code", None) or getattr(
        getattr(exc, "response", None), "status_code", None
    )
    reason = _reason(exc)
    if isinstance(exc, ProviderError):
        return exc
    if (
        _is_credential_error(exc)
        or isinstance(exc, core.ClientAuthenticationError)
        or status == 401
    ):
        rejected = _entra_error(exc)
        if rejected is not None:  # a sign-in was tried, and Entra ID said no
            return ProviderError(
                f"cannot {what}: Azure rejected the sign-in ({rejected})",
                hint="check the identity the environment signs in with: AZURE_TENANT_ID, "
                "AZURE_CLIENT_ID and its secret or certificate; in GitHub Actions, the app's "
                "federated credential for this repository and environment (see README: GitOps "
                "set-up)",
            )
        return ProviderError(
            f"cannot {what}: not logged in to Azure ({reason})",
            hint="run `az login` (and `az account set --subscription ...`) on a laptop; in GitHub "
            "Actions the job signs in with its OIDC token (`permissions: id-token: write`, "
            "AZURE_CLIENT_ID and AZURE_TENANT_ID; see README: GitOps set-up)",
        )
    if status == 403:
        return ProviderError(
            f"cannot {what}: access denied to {target.describe()} ({reason})",
            hint="grant the identity the 'AzureML Data Scientist' role (or a custom role with "
            "connections, datastores, data, jobs and schedules write) on the workspace, and "
            "Reader on the resource group",
        )
    if status == 404 and "workspace" in reason.lower():
        return ProviderError(
            f"cannot {what}: {target.describe()} was not found ({reason})",
            hint="check subscription_id, resource_group and workspace_name in the environment file",
        )
    if isinstance(exc, core.ServiceRequestError | core.ServiceResponseError) or (
        status in RETRY_STATUS
    ):
        return ProviderError(f"cannot {what}: Azure ML did not answer ({reason})", transient=True)
    if isinstance(exc, core.ResourceNotFoundError) or status == 404:
        return ProviderError(f"cannot {what}: not found ({reason})")
    if isinstance(exc, core.ResourceExistsError | core.ResourceModifiedError) or status in (
        409,
        412,
    ):
        return ProviderError(
            f"cannot {what}: it was changed concurrently ({reason})",
            hint="run reconcile plan again",
        )
    if isinstance(exc, core.HttpResponseError):
        return ProviderError(f"cannot {what}: Azure ML refused it ({reason})")
    if isinstance(exc, core.AzureError):
        return ProviderError(f"cannot {what}: {reason}")
    if isinstance(exc, core.DeserializationError | core.SerializationError):
        return ProviderError(
            f"cannot {what}: Azure ML sent something azure-ai-ml could not read ({reason})",
            hint="check for a newer reconciler; rerun with --debug and report it",
        )
    ml_error = _ml_error(exc)
    if ml_error is not None:
        return ProviderError(f"cannot {what}: {ml_error}")
    raise exc  # a bug in reconciler, not a workspace error: let --debug show it


REASON_LIMIT = 600  # characters of the service's message quoted in an error


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    first = str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__
    return clip(first, REASON_LIMIT)


_ENTRA_ERROR = re.compile(r"AADSTS\d+:[^.\n]*\.?")


def _entra_error(exc: BaseException) -> str | None:
    """Entra ID's own error (``AADSTS7000215: Invalid client secret provided.``) when the
    credential's message carries one: the sign-in reached Entra ID and was refused."""
    found = _ENTRA_ERROR.search(getattr(exc, "message", None) or str(exc))
    return clip(found.group(0), REASON_LIMIT) if found else None


def clip(text: str, limit: int) -> str:
    """``text``, or as many whole words of it as fit in ``limit`` and `` …``: never a word
    (a name, an id) cut in the middle, which would read as another name."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    words = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return words.rstrip(",;:") + " …"


def _is_credential_error(exc: BaseException) -> bool:
    try:
        from azure.identity import CredentialUnavailableError
    except ImportError:  # pragma: no cover - azure-identity is a dependency of the extra
        return False
    return isinstance(exc, CredentialUnavailableError)


def _ml_error(exc: BaseException) -> str | None:
    if "azure.ai.ml" not in sys.modules:  # nothing of azure-ai-ml ran: not one of its errors
        return None
    from azure.ai.ml.exceptions import MlException

    if isinstance(exc, MlException):
        return getattr(exc, "no_personal_data_message", None) or _reason(exc)
    return None


def mapped_types() -> list[type[BaseException]]:
    """The exception families `translate` handles (for the completeness test)."""
    from azure.ai.ml.exceptions import MlException
    from azure.core import exceptions as core
    from azure.identity import CredentialUnavailableError

    return [
        core.AzureError,
        core.DeserializationError,
        core.SerializationError,
        MlException,
        CredentialUnavailableError,
        ProviderError,
    ]


def is_mapped(kind: type[BaseException]) -> bool:
    return any(issubclass(kind, base) for base in mapped_types())
