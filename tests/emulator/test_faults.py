"""The real SDK against a flaky, slow emulator: its own retries must carry it through."""

from __future__ import annotations

from typing import Any

from tests.emulator.test_datastores import datastores


def test_sdk_retries_survive_injected_faults(make_emulator: Any, make_client: Any) -> None:
    from azure.ai.ml.entities import UsernamePasswordConfiguration, WorkspaceConnection

    emulator = make_emulator(fault_rate=0.2, seed=1)
    ml = make_client(emulator)
    credentials = UsernamePasswordConfiguration(username="u", password="p")

    # GET/PUT/DELETE only: azure-core does not retry a POST that got a 429 or lost its answer
    for store in datastores()[:3]:
        ml.datastores.create_or_update(store)
    for name in ("sf_a1", "sf_b1"):
        connection = WorkspaceConnection(
            name=name, type="snowflake", target="jdbc:snowflake://a", credentials=credentials
        )
        ml.connections.create_or_update(connection)
    assert len(list(ml.datastores.list())) == 3 + 4  # and the four system datastores
    assert sorted(c.name for c in ml.connections.list()) == ["sf_a1", "sf_b1"]
    ml.connections.delete("sf_a1")
    assert ml.datastores.get("blob_sas").account_name == "acct"

    faults = emulator.stats()["faults"]
    assert faults["total"] >= 2  # the seed makes this sequence meet faults, deterministically


def test_latency_knob_slows_every_sdk_call(make_emulator: Any, make_client: Any) -> None:
    """The emulator's own record of how long it held each answer, not a wall clock (which
    flakes when the machine is busy): each request the SDK made was answered no sooner than
    the knob's 200 ms after it arrived."""
    fast = make_emulator()
    list(make_client(fast).datastores.list())
    assert fast.stats()["delays"] == []

    slow = make_emulator(latency_ms=200)
    for _ in range(3):
        assert len(list(make_client(slow).datastores.list())) == 4  # the system datastores
    stats = slow.stats()
    assert stats["requests"] >= 3
    assert len(stats["delays"]) == stats["requests"]
    assert all(delay >= 199.9 for delay in stats["delays"])
