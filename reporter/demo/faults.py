"""Deterministic fault injection for the demo server, and the server's call counters.

A call's fate depends only on (plan seed, account, region, service, operation, n), where n is
the call's rank among the calls with that same key: the same crawl order meets the same faults
whatever the thread interleaving across keys. Only the quotas depend on wall time.

Quotas (``FaultPlan.quotas``) are AWS's own, from the one data file (reporter/aws/quotas.py): a
token bucket per (account, region, service, bucket) — IAM and Organizations per account — with
the published rate and burst, and above it the answer that service gives (Lambda: HTTP 429
TooManyRequestsException; EC2: HTTP 503 RequestLimitExceeded; IAM: Throttling; …).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import NamedTuple

from reporter.aws import quotas
from reporter.demo.wire import Call, CallKey

DISCOVERY_SERVICES = frozenset({"sts", "organizations"})
DISCOVERY_OPERATIONS = frozenset({("ec2", "DescribeRegions")})

THROTTLE = "throttle"
RATE_LIMITED = "rate_limited"
ERROR_5XX = "error_5xx"
UNREADABLE_5XX = "unreadable_5xx"
TRUNCATED = "truncated"
DROP = "drop"
EXPIRED_TOKEN = "expired_token"
UNIT_FAILURE = "unit_failure"
ACCESS_DENIED = "access_denied"


@dataclass(frozen=True)
class FaultPlan:
    """Faults the demo server injects. Rates are fractions of calls in [0, 1]."""

    seed: int = 0
    latency_ms: float = 0.0
    """Every answer leaves the server this long after its request arrived, discovery included.

    The server's own work (moto, on a machine it shares with the crawler) is part of that time,
    as AWS's processing is part of the latency a client sees; an answer that took longer to
    produce leaves as soon as it is ready."""
    throttle_rate: float = 0.0
    """ThrottlingException (HTTP 400) for query/JSON services; TooManyRequestsException (429) for Lambda."""
    error_5xx_rate: float = 0.0
    """InternalFailure (HTTP 500) or ServiceUnavailable (HTTP 503); Lambda answers ServiceException."""
    drop_rate: float = 0.0
    """The connection is closed without an answer."""
    unreadable_share: float = 0.0
    """Of the 5xx answers, this share has a body that is not the service's format: plain text, an
    HTML error page or an empty body (one of the three by draw), as a load balancer, a proxy or
    AWS's edge answers. botocore's parsers.py (``_is_generic_error_response``) names the case:
    "This can also happen if you're going through a proxy"."""
    truncated_rate: float = 0.0
    """The real answer is cut short: either the connection closes before the Content-Length it
    announced has arrived (botocore reads what came without complaint: it turns urllib3's
    enforce_content_length off), or (one in two, by draw) the Content-Length is that of the cut
    body, as from a proxy that buffered a broken answer."""
    denied_accounts: frozenset[str] = frozenset()
    """AssumeRole into these accounts answers AccessDenied (on top of the demo's denied account)."""
    expire_token_once: bool = False
    """The first call made with the first session assumed into each account answers ExpiredToken.

    Once per account, not once per session: a client that reacts to ExpiredToken by assuming the
    role again must succeed, as it would against AWS.
    """
    quotas: bool = False
    """Enforce AWS's published request-rate quotas per (account, region, API bucket)."""
    storm: tuple[str, str, float] | None = None
    """(service, operation, seconds): a throttling storm on one API. For that long after the plan
    is put in place, that API's quota in every account-region is a tenth of AWS's (ten times the
    quota's refusals), as when another tool hammers the same quota; the other APIs keep theirs."""
    fail_units: frozenset[tuple[str, str, str]] = frozenset()
    """(account id, region, service) whose every call answers HTTP 500; IAM's region is "global"."""
    discovery_faults: bool = False
    """Also apply random faults and the rate limit to STS, Organizations and DescribeRegions."""

    def __post_init__(self) -> None:
        rates = (self.throttle_rate, self.error_5xx_rate, self.drop_rate, self.truncated_rate)
        if any(r < 0 or r > 1 for r in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be fractions whose sum is at most 1")
        if not 0 <= self.unreadable_share <= 1:
            raise ValueError("unreadable_share must be a fraction")
        if self.storm is not None and self.storm[2] <= 0:
            raise ValueError("a storm lasts a positive number of seconds")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")


@dataclass(frozen=True)
class FaultEvent:
    key: CallKey
    rank: int
    """1 for the first call with this key, 2 for the second…"""
    kind: str


class AnswerTimes(NamedTuple):
    """How long the server took to answer, arrival to answer, over the calls since the last reset."""

    answers: int
    seconds: float
    late: int
    """Answers that the server's own work made later than the injected latency."""
    late_seconds: float
    """By how much, in all."""


class ServerStats:
    """Thread-safe counters of the calls the server answered, per (account, region, service, operation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[CallKey] = Counter()
        self._events: list[FaultEvent] = []
        self._answered = 0
        self._answer_seconds = 0.0
        self._late = 0
        self._late_seconds = 0.0

    def record_call(self, key: CallKey) -> int:
        """Count a call; returns its rank among calls with the same key."""
        with self._lock:
            self._calls[key] += 1
            return self._calls[key]

    def record_answer(self, seconds: float, late_by: float | None) -> None:
        """Time from a request's arrival to its answer; ``late_by``: how far past the injected
        latency the server's own work took it (None when it was not late, or no latency is set)."""
        with self._lock:
            self._answered += 1
            self._answer_seconds += seconds
            if late_by is not None:
                self._late += 1
                self._late_seconds += late_by

    @property
    def answer_times(self) -> AnswerTimes:
        with self._lock:
            return AnswerTimes(self._answered, self._answer_seconds, self._late, self._late_seconds)

    def record_fault(self, key: CallKey, rank: int, kind: str) -> None:
        with self._lock:
            self._events.append(FaultEvent(key, rank, kind))

    @property
    def calls(self) -> dict[CallKey, int]:
        with self._lock:
            return dict(self._calls)

    @property
    def faults(self) -> list[FaultEvent]:
        """Injected faults in the order they were answered."""
        with self._lock:
            return list(self._events)

    def total_calls(
        self,
        *,
        account_id: str | None = None,
        region: str | None = None,
        service: str | None = None,
        operation: str | None = None,
    ) -> int:
        wanted = (account_id, region, service, operation)
        return sum(
            n
            for key, n in self.calls.items()
            if all(w is None or w == v for w, v in zip(wanted, key, strict=True))
        )

    def fault_counts(self) -> Counter[str]:
        return Counter(e.kind for e in self.faults)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._events.clear()
            self._answered, self._answer_seconds, self._late, self._late_seconds = 0, 0.0, 0, 0.0


BODY_TEXT, BODY_HTML, BODY_EMPTY = "text", "html", "empty"
"""Bodies of an unreadable 5xx answer."""
CUT_CLOSED, CUT_SHORT = "closed", "short"
"""How a truncated answer is cut: the connection closes early, or the length says the cut length."""


@dataclass(frozen=True)
class Decision:
    kind: str
    status: int
    code: str
    message: str
    body: str = ""
    """"" for the service's own format; else BODY_* (unreadable 5xx) or CUT_* (truncated)."""
    cut: float = 0.0
    """For truncated answers: the share of the real body that is sent, in (0, 1)."""


class FaultInjector:
    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._lock = threading.Lock()
        self._sessions: dict[str, str] = {}
        self._expired_accounts: set[str] = set()
        self._buckets: dict[tuple[str, str, str, str], quotas.TokenBucket] = {}
        self._started = time.monotonic()

    def note_session(self, access_key: str, account_id: str) -> None:
        """Remember credentials an AssumeRole answer handed out (for expire_token_once)."""
        with self._lock:
            self._sessions[access_key] = account_id

    def decide(self, call: Call, rank: int) -> Decision | None:
        plan, key = self.plan, call.key
        if (key.account_id, key.region, key.service) in plan.fail_units or (
            key.region == "global" and (key.account_id, call.region, key.service) in plan.fail_units
        ):
            return _server_error(call, 500, UNIT_FAILURE)
        if plan.expire_token_once and self._expire(call.access_key):
            code = "ExpiredToken" if call.protocol in ("query", "ec2") else "ExpiredTokenException"
            return Decision(EXPIRED_TOKEN, 400, code, "The security token included in the request is expired")
        discovery = key.service in DISCOVERY_SERVICES or (key.service, key.operation) in DISCOVERY_OPERATIONS
        if discovery and not plan.discovery_faults:
            return None
        if (plan.quotas or self._storming(call)) and not self._take_token(call):
            return _over_quota(call)
        draw = _uniform(plan.seed, key, rank)
        if draw < plan.drop_rate:
            return Decision(DROP, 0, "", "")
        draw -= plan.drop_rate
        if draw < plan.error_5xx_rate:
            return self._server_error(call, rank)
        draw -= plan.error_5xx_rate
        if draw < plan.throttle_rate:
            return _throttle(call, THROTTLE)
        draw -= plan.throttle_rate
        if draw < plan.truncated_rate:
            how = CUT_SHORT if _uniform(plan.seed + 2, key, rank) < 0.5 else CUT_CLOSED
            return Decision(TRUNCATED, 200, "", "", how, 0.1 + 0.8 * _uniform(plan.seed + 3, key, rank))
        return None

    def _server_error(self, call: Call, rank: int) -> Decision:
        plan, key = self.plan, call.key
        status = 503 if _uniform(plan.seed + 1, key, rank) < 0.5 else 500
        decision = _server_error(call, status, ERROR_5XX)
        if _uniform(plan.seed + 2, key, rank) >= plan.unreadable_share:
            return decision
        body = (BODY_TEXT, BODY_HTML, BODY_EMPTY)[int(_uniform(plan.seed + 3, key, rank) * 3) % 3]
        return replace(decision, kind=UNREADABLE_5XX, body=body)

    def _expire(self, access_key: str) -> bool:
        with self._lock:
            account = self._sessions.get(access_key)
            if account is None or account in self._expired_accounts:
                return False
            self._expired_accounts.add(account)
            return True

    def _storming(self, call: Call) -> bool:
        storm = self.plan.storm
        return (
            storm is not None
            and (call.service, call.key.operation) == storm[:2]
            and time.monotonic() - self._started < storm[2]
        )

    def _take_token(self, call: Call) -> bool:
        quota = quotas.quota_for(call.service, call.key.operation)
        if quota is None:
            return True
        region = quotas.quota_region(call.service, call.region)
        rate, burst, bucket_name = quota.rate, quota.burst, quota.bucket
        if self._storming(call):
            rate, burst, bucket_name = rate / 10, max(1.0, burst / 10), f"storm:{call.key.operation}"
        key = (call.key.account_id, region, call.service, bucket_name)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = quotas.TokenBucket(rate, burst)
        return bucket.try_take()


def _uniform(seed: int, key: CallKey, rank: int) -> float:
    text = "|".join((str(seed), *key, str(rank))).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") / 2**64


def _over_quota(call: Call) -> Decision:
    answer = quotas.throttle_for(call.service)
    return Decision(RATE_LIMITED, answer.status, answer.code, "Rate exceeded")


def _throttle(call: Call, kind: str) -> Decision:
    if call.service == "lambda":
        return Decision(kind, 429, "TooManyRequestsException", "Rate exceeded")
    return Decision(kind, 400, "ThrottlingException", "Rate exceeded")


def _server_error(call: Call, status: int, kind: str) -> Decision:
    if call.service == "lambda":
        return Decision(kind, status, "ServiceException", "The service encountered an internal error")
    code = "ServiceUnavailable" if status == 503 else "InternalFailure"
    return Decision(kind, status, code, "The request processing has failed because of an unknown error")
