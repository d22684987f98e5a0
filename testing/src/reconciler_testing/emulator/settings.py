"""The emulator's knobs in one immutable value, shared by the server, routes and CLI.

One emulator serves one workspace (subscription, resource group, name); the rest shapes how
it behaves: page size of lists, long-running-operation style of schedules, and the latency and
faults it injects so that clients' retry and timeout handling can be tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# "drop": close the connection before processing the request; "lost": process it, then close
# the connection without answering (the client cannot tell whether it happened)
FAULT_KINDS = ("429", "503", "drop", "lost")
LroMode = Literal["sync", "async"]


@dataclass(frozen=True)
class Settings:
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    resource_group: str = "reconciler-emulator"
    workspace_name: str = "emulator"
    location: str = "eastus"
    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = True
    page_size: int = 30
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    faults: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    # "async" (as the service): schedule PUT/DELETE answer 201/202 + Azure-AsyncOperation,
    # reported running for ``lro_polls`` polls, each ``lro_retry_after`` seconds apart (the
    # service sends no Retry-After: 0 does the same, and azure-core then waits 5 s);
    # "sync": they finish in their answer (fast, but not what the service does)
    lro: LroMode = "async"
    lro_polls: int = 1
    lro_retry_after: float = 1.0

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        if self.lro not in ("sync", "async"):
            raise ValueError("lro must be 'sync' or 'async'")
        if self.lro_polls < 0 or self.lro_retry_after < 0:
            raise ValueError("lro_polls and lro_retry_after must not be negative")
