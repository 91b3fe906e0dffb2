"""Client-side pacing: one token bucket per (account, region, service, API bucket).

AWS throttles each API on its own bucket (Lambda: GetFunction 100/s, GetPolicy 15/s, the other
control-plane reads 15/s together; EC2: one bucket per API), so pacing a whole client, as
botocore's adaptive mode does once throttled, lets the slowest API hold back the others. Here
every request waits for a token of its own API's bucket, which starts at the published rate and
burst (quotas.py, the file the simulator also reads) and adapts: a throttled answer means
something else shares the quota (another tool, a console user), so the bucket's rate is cut
(multiplicative decrease); answers that pass raise it back towards the published rate (additive
increase). A request waiting for its token holds no in-flight slot: the limiter runs in
``before-send`` ahead of the gate (schedule.Gate).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from reporter.aws import quotas

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottledException",
        "SlowDown",
    }
)
DECREASE = 0.7
"""Rate kept after a throttled answer."""
INCREASE = 0.05
"""Share of the published rate given back per answer that was not throttled."""
FLOOR = 0.05
"""The rate never drops below this share of the published rate."""


class _Paced:
    def __init__(self, quota: quotas.Quota) -> None:
        self.quota = quota
        self.bucket = quotas.TokenBucket(quota.rate, quota.burst)

    def throttled(self) -> None:
        self.bucket.set_rate(max(self.quota.rate * FLOOR, self.bucket.rate * DECREASE))

    def passed(self) -> None:
        if self.bucket.rate < self.quota.rate:
            self.bucket.set_rate(min(self.quota.rate, self.bucket.rate + self.quota.rate * INCREASE))


class Limiter:
    """The run's buckets; :meth:`attach` paces a client for one account and region."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str, str], _Paced] = {}
        self.throttles: Counter[tuple[str, str]] = Counter()
        """Throttled answers per (service, bucket), for the benchmark and the log."""
        self.waited = 0.0

    def bucket(self, account_id: str, region: str, service: str, operation: str) -> _Paced | None:
        quota = quotas.quota_for(service, operation)
        if quota is None:
            return None
        key = (account_id, quotas.quota_region(service, region), service, quota.bucket)
        with self._lock:
            paced = self._buckets.get(key)
            if paced is None:
                paced = self._buckets[key] = _Paced(quota)
            return paced

    def attach(
        self, client: Any, account_id: str, region: str, cancelled: threading.Event | None = None
    ) -> None:
        service = client.meta.service_model.service_name
        service = {"monitoring": "cloudwatch"}.get(service, service)
        waiter = cancelled or threading.Event()

        def before_send(event_name: str = "", **_: Any) -> None:
            paced = self.bucket(account_id, region, service, event_name.rsplit(".", 1)[-1])
            if paced is None:
                return
            wait = paced.bucket.reserve()
            if wait > 0:
                with self._lock:
                    self.waited += wait
                # an abandoned unit stops waiting: its next request is refused by the gate anyway
                waiter.wait(wait)

        def received(event_name: str = "", parsed_response: Any = None, **_: Any) -> None:
            paced = self.bucket(account_id, region, service, event_name.rsplit(".", 1)[-1])
            if paced is None:
                return
            code = ((parsed_response or {}).get("Error") or {}).get("Code")
            if code in THROTTLE_CODES:
                paced.throttled()
                with self._lock:
                    self.throttles[(service, paced.quota.bucket)] += 1
            elif parsed_response is not None:
                paced.passed()

        client.meta.events.register("before-send", before_send)
        client.meta.events.register("response-received", received)
