"""Read-only guard and call accounting, registered on every client the tool builds (DESIGN.md §8).

The guard refuses, before anything is signed or sent, every operation that is not a read:
the tool can then be handed credentials broader than it needs and still never change an account.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

READ_PREFIXES: tuple[str, ...] = ("List", "Get", "Describe", "Select", "BatchGet")
"""Operation-name prefixes that only read."""

ALLOWED_OPERATIONS: frozenset[tuple[str, str]] = frozenset(
    {("sts", "AssumeRole"), ("sts", "GetCallerIdentity")}
)
"""Non-read operations the crawl needs: (signing name, operation)."""


class ReadOnlyViolation(RuntimeError):
    """An operation outside the read allow-list was attempted."""


def is_read_operation(service: str, operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or (service, operation) in ALLOWED_OPERATIONS


class CallMonitor:
    """Counts every attempted operation and refuses writes. Thread-safe; one per run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.refused: Counter[tuple[str, str]] = Counter()

    def register(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._before_call)

    def _before_call(self, model: Any, **_: Any) -> None:
        service = str(model.service_model.endpoint_prefix)
        operation = str(model.name)
        key = (service, operation)
        if not is_read_operation(service, operation):
            with self._lock:
                self.refused[key] += 1
            raise ReadOnlyViolation(f"refused non-read operation {service}:{operation} (read-only guard)")
        with self._lock:
            self.calls[key] += 1

    def merge(self, calls: Counter[tuple[str, str]], refused: Counter[tuple[str, str]]) -> None:
        """Add counts made elsewhere (a Dask worker's monitor for one unit)."""
        with self._lock:
            self.calls.update(calls)
            self.refused.update(refused)

    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def operations(self) -> set[tuple[str, str]]:
        with self._lock:
            return set(self.calls) | set(self.refused)
