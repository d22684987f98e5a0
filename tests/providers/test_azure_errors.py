"""Every exception azure-ai-ml can raise maps to an actionable error; transient ones retry."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from azure.ai.ml import exceptions as ml_exceptions
from azure.core import exceptions as core
from azure.core.pipeline.transport import HttpResponse
from azure.core.rest import HttpRequest
from azure.identity import CredentialUnavailableError

from reconciler.core.errors import ProviderError
from reconciler.core.essences import Kind
from reconciler.providers.azureml.errors import Target, call, is_mapped, translate
from reconciler.providers.azureml.provider import AzureWorkspace
from reconciler_testing.emulator import FakeCredential
from tests.providers.conftest import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE

TARGET = Target("sub-1", "rg-1", "ws-1")


def exception_types() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for module in (core, ml_exceptions):
        for _, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, Exception) and member.__module__.startswith("azure"):
                found.append(member)
    return found


def test_every_azure_exception_type_is_mapped() -> None:
    unmapped = [t.__name__ for t in exception_types() if not is_mapped(t)]
    assert unmapped == []


class _Response(HttpResponse):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        request: Any = HttpRequest("GET", "https://example.invalid/")
        super().__init__(request, None)
        self.status_code = status
        self.headers = headers or {}
        self.reason = "reason"

    def body(self) -> bytes:
        return b'{"error": {"code": "UserError", "message": "Workspace ws-1 not found"}}'


def http_error(status: int, headers: dict[str, str] | None = None) -> core.HttpResponseError:
    return core.HttpResponseError(response=_Response(status, headers))


@pytest.mark.parametrize(
    ("exc", "message", "hint"),
    [
        (CredentialUnavailableError("no az login"), "not logged in to Azure", "az login"),
        (core.ClientAuthenticationError("expired"), "not logged in to Azure", "OIDC token"),
        (
            core.ClientAuthenticationError("AADSTS700016: Application not found. Trace ID: 1"),
            "Azure rejected the sign-in (AADSTS700016: Application not found.)",
            "federated credential",
        ),
        (http_error(403), "access denied to workspace 'ws-1'", "AzureML Data Scientist"),
        (http_error(404), "workspace 'ws-1' in resource group 'rg-1'", "workspace_name"),
        (core.ResourceExistsError("conflict"), "changed concurrently", "plan again"),
    ],
)
def test_errors_say_what_to_do(exc: BaseException, message: str, hint: str) -> None:
    error = translate(exc, "list datastores", TARGET)
    assert isinstance(error, ProviderError)
    assert message in error.message
    assert error.hint is not None and hint in error.hint


def test_throttling_is_retried_honouring_retry_after_then_succeeds() -> None:
    waits: list[float] = []
    outcomes: list[BaseException | str] = [
        http_error(429, {"Retry-After": "7"}),
        http_error(503),
        core.ServiceRequestError("connection dropped"),
        "ok",
    ]

    def flaky() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    assert call("list datastores", TARGET, flaky, sleep=waits.append) == "ok"
    assert waits[0] == 7.0
    assert len(waits) == 3 and all(w <= 30 for w in waits)


def test_a_persistent_transient_failure_is_reported_after_the_retry_budget() -> None:
    def always() -> None:
        raise http_error(503)

    with pytest.raises(ProviderError) as caught:
        call("list datastores", TARGET, always, sleep=lambda _: None, attempts=3)
    assert "Azure ML did not answer" in caught.value.message
    assert "gave up after 3 attempts" in caught.value.message


def test_a_wrong_workspace_name_quotes_the_services_whole_answer(emulator: Any) -> None:
    """The emulator (as ARM) says which workspace it serves; the message ended mid-name."""
    workspace = AzureWorkspace(
        SUBSCRIPTION, RESOURCE_GROUP, "mlw-globorealty-tset", credential=FakeCredential()
    )

    with pytest.raises(ProviderError) as caught:
        workspace.list_resources(Kind.DATASTORE)

    message = caught.value.message
    assert message.startswith(
        "cannot list datastores: workspace 'mlw-globorealty-tset' in resource group "
        f"'{RESOURCE_GROUP}' (subscription {SUBSCRIPTION}) was not found"
    )
    assert message.endswith(
        f"this emulator serves workspace '{WORKSPACE}' in resource group "
        f"'{RESOURCE_GROUP}', subscription '{SUBSCRIPTION}'.)"
    )
    assert caught.value.hint is not None and "workspace_name" in caught.value.hint


def test_a_long_answer_is_cut_between_words() -> None:
    words = " ".join(f"word{i:04d}" for i in range(200))  # 1,800 characters

    error = translate(core.HttpResponseError(message=words), "list datastores", TARGET)

    quoted = error.message.split("(", 1)[1].rstrip(")")
    assert quoted.endswith(" …") and len(quoted) <= 600
    assert re.fullmatch(r"(word\d{4} )+…", quoted)
