"""AWS's published request-rate quotas, from the one data file both sides read.

``reporter/data/api_quotas.json`` names, per service, the token buckets AWS keeps per (account,
region) — which operations draw on each, its rate and burst — the answer AWS gives above the
quota, and page sizes; every figure with its source. The crawler's limiter (pacing.py) paces
itself by it, and the demo simulator (demo/faults.py) refuses by it: the two never disagree
because there is only one list.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

QUOTAS_FILE = Path(__file__).resolve().parent.parent / "data" / "api_quotas.json"
GLOBAL_SERVICES = frozenset({"iam", "organizations"})
"""Their quotas are per account, whatever region the client names."""


@dataclass(frozen=True)
class Quota:
    service: str
    bucket: str
    """The bucket's name; with ``per_operation`` every operation has a bucket of its own."""
    rate: float
    burst: float
    documented: bool


@dataclass(frozen=True)
class Throttle:
    status: int
    code: str


@dataclass(frozen=True)
class PageSize:
    parameter: str | None
    default: int | None
    max: int


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(QUOTAS_FILE.read_text())["services"]
    return loaded


def quota_for(service: str, operation: str) -> Quota | None:
    """The bucket ``operation`` draws on, or None when no quota is known for the service."""
    spec = _data().get(service)
    if spec is None:
        return None
    fallback = None
    for bucket in spec["buckets"]:
        if operation in bucket["operations"]:
            return _quota(service, bucket, operation)
        if "*" in bucket["operations"]:
            fallback = bucket
    return _quota(service, fallback, operation) if fallback is not None else None


def _quota(service: str, bucket: dict[str, Any], operation: str) -> Quota:
    name = operation if bucket.get("per_operation") else str(bucket["name"])
    return Quota(service, name, float(bucket["rate"]), float(bucket["burst"]), bool(bucket["documented"]))


def throttle_for(service: str) -> Throttle:
    """The answer AWS gives a call above ``service``'s quota."""
    spec = _data().get(service, {}).get("throttle") or {"status": 400, "code": "ThrottlingException"}
    return Throttle(int(spec["status"]), str(spec["code"]))


def page_size(service: str, operation: str) -> PageSize | None:
    spec = (_data().get(service) or {}).get("pages", {}).get(operation)
    if spec is None:
        return None
    return PageSize(spec["parameter"], spec["default"], int(spec["max"]))


def quota_region(service: str, region: str) -> str:
    """The region a call's quota is kept in: "global" for IAM and Organizations."""
    return "global" if service in GLOBAL_SERVICES else region


_EPSILON = 1e-6


class TokenBucket:
    """A token bucket: ``burst`` tokens at most, ``rate`` added per second; thread-safe.

    ``try_take`` is the server's side (refuse when empty); ``reserve`` is the client's side
    (take a token now or later: returns how long to wait before sending).
    """

    def __init__(self, rate: float, burst: float, *, clock: Any = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a positive rate and a burst of at least one token")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def try_take(self) -> bool:
        with self._lock:
            self._refill(self._clock())
            if self._tokens < 1.0 - _EPSILON:  # a token due now is not refused for float rounding
                return False
            self._tokens -= 1.0
            return True

    def reserve(self) -> float:
        """Take a token, possibly one not yet added: the seconds until it exists (0: send now)."""
        with self._lock:
            self._refill(self._clock())
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self._refill(self._clock())
            self.rate = rate
