"""The wire protocol seen by any HTTP client: scope checks, errors, paging, admin, knobs."""

from __future__ import annotations

import http.client
import time
import urllib.error
from typing import Any

import pytest

from reconciler_testing.emulator import Emulator
from tests.emulator.conftest import RG, SUB, WS, call

DATASTORES = "/datastores?api-version=2024-10-01-preview"


def blob(name: str) -> dict[str, Any]:
    return {
        "properties": {
            "datastoreType": "AzureBlob",
            "accountName": "acct",
            "containerName": name,
            "credentials": {"credentialsType": "None"},
        }
    }


def test_other_workspaces_are_not_found(emulator: Emulator) -> None:
    path = (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
        "Microsoft.MachineLearningServices/workspaces/elsewhere/connections"
    )
    reply = call(emulator, "GET", path, absolute=True)

    assert reply.status == 404
    assert reply.headers["x-ms-response-type"] == "error"
    assert reply.body["error"]["code"] == "ResourceNotFound"
    assert "workspace 'elsewhere'" in reply.body["error"]["message"]
    assert WS in reply.body["error"]["message"]
    # names match case-insensitively, as in ARM
    upper = path.replace("elsewhere", WS.upper()).replace("resourceGroups", "resourcegroups")
    assert call(emulator, "GET", upper, absolute=True).status == 200


def test_sdk_for_another_workspace_gets_resource_not_found(emulator: Emulator) -> None:
    import azure.ai.ml as azure_ml
    from azure.core.exceptions import ResourceNotFoundError

    from reconciler_testing.emulator import FakeCredential

    with pytest.MonkeyPatch.context() as env:
        for name, value in emulator.env().items():
            env.setenv(name, value)
        env.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")
        ml = azure_ml.MLClient(FakeCredential(), SUB, RG, "elsewhere", enable_telemetry=False)
        with pytest.raises(ResourceNotFoundError, match="workspace 'elsewhere'"):
            ml.connections.get("anything")


def test_workspace_answers_with_its_id(emulator: Emulator) -> None:
    reply = call(emulator, "GET", "?api-version=2024-10-01-preview")

    assert reply.status == 200
    assert reply.body["name"] == WS
    assert reply.body["properties"]["workspaceId"] == emulator.scope.workspace_id


def test_pages_carry_absolute_next_links_with_the_filters(make_emulator: Any) -> None:
    emulator = make_emulator(page_size=2)
    for name in ("a", "b", "c", "d"):
        assert call(emulator, "PUT", f"/datastores/{name}?api-version=x", blob(name)).status == 201

    first = call(emulator, "GET", DATASTORES + "&orderByAsc=true")
    link = first.body["nextLink"]
    second = call(emulator, "GET", link, absolute=True)
    third = call(emulator, "GET", second.body["nextLink"], absolute=True)

    assert link.startswith(emulator.workspace_url + "/datastores?")
    assert "orderByAsc=true" in link
    pages = [first, second, third]
    while "nextLink" in pages[-1].body:
        pages.append(call(emulator, "GET", pages[-1].body["nextLink"], absolute=True))
    names = [[d["name"] for d in page.body["value"]] for page in pages]
    assert names == [  # oldest first: the system datastores in the order a workspace makes them
        ["workspaceblobstore", "workspacefilestore"],
        ["workspaceworkingdirectory", "workspaceartifactstore"],
        ["a", "b"],
        ["c", "d"],
    ]


def test_unknown_routes_and_methods(emulator: Emulator) -> None:
    assert call(emulator, "GET", "/computes?api-version=x").status == 404
    assert call(emulator, "PATCH", "/datastores/a?api-version=x", {}).status == 405
    assert call(emulator, "GET", "/nothing/at/all", absolute=True).status == 404


def test_bad_bodies_are_user_errors(emulator: Emulator) -> None:
    reply = call(emulator, "PUT", "/datastores/a?api-version=x", {"properties": {}})

    assert reply.status == 400
    assert reply.body["error"]["code"] == "UserError"


def test_plain_http_mode(make_emulator: Any) -> None:
    emulator = make_emulator(tls=False)

    assert emulator.base_url.startswith("http://")
    assert emulator.env() == {"AZUREML_DEV_URL_MFE": emulator.base_url}
    assert call(emulator, "GET", DATASTORES).status == 200


def test_env_points_at_the_emulator(emulator: Emulator) -> None:
    env = emulator.env()

    assert env["AZUREML_DEV_URL_MFE"] == emulator.base_url
    assert not env["AZUREML_DEV_URL_MFE"].endswith("/")
    bundle = emulator.ca_bundle
    assert bundle is not None and env["REQUESTS_CA_BUNDLE"] == str(bundle)
    assert emulator.cert_path is not None
    assert emulator.cert_path.read_text() in bundle.read_text()


def test_latency_is_added_to_api_requests_only(make_emulator: Any) -> None:
    emulator = make_emulator(latency_ms=150)

    started = time.monotonic()
    call(emulator, "GET", DATASTORES)
    api = time.monotonic() - started
    started = time.monotonic()
    call(emulator, "GET", "/_emulator/health", absolute=True)
    admin = time.monotonic() - started

    assert api >= 0.15
    assert admin < 0.15


def statuses(emulator: Emulator, count: int) -> list[int | str]:
    seen: list[int | str] = []
    for _ in range(count):
        try:
            seen.append(call(emulator, "GET", DATASTORES).status)
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError):
            seen.append("drop")
    return seen


def test_faults_are_deterministic_per_seed(make_emulator: Any) -> None:
    first = statuses(make_emulator(fault_rate=0.5, seed=7), 30)
    second = statuses(make_emulator(fault_rate=0.5, seed=7), 30)

    assert first == second
    assert {429, 503, "drop"} <= set(first)
    assert 200 in first


def test_429_says_when_to_retry_and_admin_routes_are_not_faulted(make_emulator: Any) -> None:
    emulator = make_emulator(fault_rate=1.0, faults=("429",))

    reply = call(emulator, "GET", DATASTORES)
    health = call(emulator, "GET", "/_emulator/health", absolute=True)
    stats = call(emulator, "GET", "/_emulator/stats", absolute=True)

    assert (reply.status, reply.headers["retry-after"]) == (429, "1")
    assert health.status == 200
    assert stats.body["faults"] == {"429": 1, "total": 1}
    emulator.set_faults(0.0)
    assert call(emulator, "GET", DATASTORES).status == 200


def test_stats_count_routes_and_reset(emulator: Emulator) -> None:
    call(emulator, "PUT", "/datastores/a?api-version=x", blob("a"))
    call(emulator, "GET", "/datastores/a?api-version=x")
    call(emulator, "GET", "/datastores/zz?api-version=x")

    stats = emulator.stats()
    assert stats["requests"] == 3
    assert stats["routes"] == {"GET /datastores/{name}": 2, "PUT /datastores/{name}": 1}
    assert stats["statuses"] == {200: 1, 201: 1, 404: 1}
    emulator.reset_stats()
    assert emulator.stats()["requests"] == 0


def test_a_lost_answer_was_processed(make_emulator: Any) -> None:
    """``lost``: the request is carried out, then the connection closes without an answer."""
    emulator = make_emulator()
    emulator.set_faults(1.0, ("lost",), routes=("PUT /datastores/{name}",), limit=1)

    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
        call(emulator, "PUT", "/datastores/a?api-version=x", blob("a"))
    again = call(emulator, "PUT", "/datastores/a?api-version=x", blob("a"))

    assert again.status == 200  # an update: the lost create had happened
    assert call(emulator, "GET", "/datastores/a?api-version=x").status == 200
    assert emulator.stats()["faults"] == {"lost": 1, "total": 1}


def test_faults_can_be_limited_to_routes_and_a_count(make_emulator: Any) -> None:
    emulator = make_emulator()
    emulator.set_faults(1.0, ("503",), routes=("GET /datastores",), limit=2)

    assert call(emulator, "GET", "/datastores/workspaceblobstore?api-version=x").status == 200
    assert [call(emulator, "GET", DATASTORES).status for _ in range(3)] == [503, 503, 200]


def test_round_trips_count_requests_made_one_after_another(make_emulator: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emulator = make_emulator(latency_ms=50)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: call(emulator, "GET", DATASTORES), range(4)))
    call(emulator, "GET", DATASTORES)

    stats = emulator.stats()
    assert (stats["requests"], stats["round_trips"]) == (5, 2)
