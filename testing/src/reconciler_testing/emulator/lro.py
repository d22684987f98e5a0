"""Long-running operations the way Azure ML reports them (schedules only).

In ``async`` mode (the default, as the service does) a schedule PUT answers 201 and a DELETE
202, each with an ``Azure-AsyncOperation`` URL (``.../locations/{loc}/mfeOperationsStatus/{id}``)
that reports a running status (``Creating`` for a PUT, as recorded) for the first ``polls``
polls and then ``Succeeded``. The state change itself is applied at once; only the reporting
is drawn out, which is all a client can observe.

How long a client waits between polls is the one deliberate difference: the service sends no
``Retry-After``, so azure-core waits its default 5 s; the emulator sends ``retry_after``
seconds (``Retry-After``, or ``retry-after-ms`` below one second, which azure-core also
honours). ``retry_after=0`` sends none, exactly as the service.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from reconciler.providers.local.store import now
from reconciler_testing.emulator.mapping import PROVIDER, Scope
from reconciler_testing.emulator.protocol import JSON

OPERATIONS_TIMEOUT = "PT30M"


@dataclass
class _Operation:
    remaining: int
    running: str
    started: str
    ended: str | None = None


class Operations:
    def __init__(self, scope: Scope, polls: int, retry_after: float) -> None:
        self._scope = scope
        self._polls = polls
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._operations: dict[str, _Operation] = {}

    def start(self, running: str = "InProgress") -> str:
        """A new operation that reports ``running`` until it has been polled ``polls`` times."""
        op_id = f"s:{uuid.uuid4()}:{uuid.uuid4().hex}"
        with self._lock:
            self._operations[op_id] = _Operation(self._polls, running, now())
        return op_id

    def wait_headers(self) -> dict[str, str]:
        """How long a client should wait before its next poll (none at 0, as the service)."""
        if self.retry_after <= 0:
            return {}
        if self.retry_after < 1:
            return {"retry-after-ms": str(round(self.retry_after * 1000))}
        return {"Retry-After": str(round(self.retry_after))}

    def headers(self, base_url: str, op_id: str, api_version: str, location: str) -> dict[str, str]:
        """What an async answer carries: where to poll, and (for DELETE) the result URL."""
        prefix = f"{base_url}/subscriptions/{self._scope.subscription_id}/providers/{PROVIDER}"
        prefix += f"/locations/{self._scope.location}"
        query = f"?api-version={api_version}"
        return {
            "Azure-AsyncOperation": f"{prefix}/mfeOperationsStatus/{op_id}{query}",
            "Location": location or f"{prefix}/mfeOperationResults/{op_id}{query}",
            "x-ms-async-operation-timeout": OPERATIONS_TIMEOUT,
            **self.wait_headers(),
        }

    def poll(self, op_id: str) -> tuple[JSON, bool] | None:
        """(status body, finished) for one poll, or None for an unknown operation."""
        with self._lock:
            operation = self._operations.get(op_id)
            if operation is None:
                return None
            if operation.remaining > 0:
                operation.remaining -= 1
                status = operation.running
            else:
                operation.ended = operation.ended or now()
                status = "Succeeded"
        body: JSON = {
            "id": f"/subscriptions/{self._scope.subscription_id}/providers/{PROVIDER}/locations/"
            f"{self._scope.location}/mfeOperationResults/{op_id}",
            "name": op_id,
            "status": status,
            "startTime": operation.started,
        }
        if operation.ended:
            body["endTime"] = operation.ended
        return body, status == "Succeeded"
