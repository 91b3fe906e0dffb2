"""Which AWS failures are transient (worth another attempt), how long to wait, how often to try.

:func:`is_transient` is the one rule. botocore's per-request retries ask it (answers.py replaces
botocore's retry checker on every client the tool builds), and so do the steps above them that
retry on their own: discovery, assuming a role, a unit of the crawl.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import TypeVar

import botocore.exceptions
import botocore.parsers

T = TypeVar("T")

RETRYABLE = frozenset(
    {
        # throttling (the codes botocore's standard mode knows, plus the services' own spellings)
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "EC2ThrottledException",
        "SlowDown",
        "BandwidthLimitExceeded",
        "ProvisionedThroughputExceededException",
        # the service had a problem, not the request
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "IDPCommunicationError",
        # no complete answer reached us (collectors.base.error_code spells these)
        "ConnectionError",
        "Timeout",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }
)
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
INCOMPLETE = "IncompleteResponse"
"""The code answers.py gives a successful answer whose body is empty, cut short or not the service's."""
_STATUS_ONLY = re.compile(r"^(HTTP)?\d{3}$")
"""A code that is just the HTTP status: botocore's spelling (``"503"``) when the body named no code."""


def is_transient(exc: BaseException | None, code: str = "", status: int | None = None) -> bool:
    """The rule: is another attempt of this call worth making?

    Transient: throttling codes, HTTP 429 and 5xx; connection errors and timeouts; an answer whose
    body could not be read (empty, cut short, not in the service's format: an HTML page from a
    load balancer), whatever its status, since no clear AWS error code reached us. Not transient:
    an answer with a clear AWS error code that is neither throttling nor the service's own failure
    (AccessDenied, ValidationException, ResourceNotFoundException…), and expired credentials
    (refreshing is their remedy, not waiting). AWS's classification of transient errors:
    https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html

    ``exc`` is the failure if there is one; ``code`` and ``status`` complete or replace what it
    says (a coverage Issue keeps only a code such as ``HTTP503`` or ``ThrottlingException``).
    """
    if isinstance(exc, botocore.exceptions.ClientError):
        code = code or str(exc.response.get("Error", {}).get("Code") or "")
        status = status or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    elif isinstance(exc, botocore.exceptions.HTTPClientError | botocore.exceptions.ConnectionError):
        return True
    elif isinstance(exc, botocore.parsers.ResponseParserError):
        return True  # botocore says the status nowhere; answers.py keeps it off our clients
    elif exc is not None and not code:
        return False  # not an answer from AWS at all (a bug, a refusal of our own)
    if code in EXPIRED:
        return False
    if status is not None and (status >= 500 or status == 429):
        return True
    # an error answer that named no code: its body never reached us intact
    return code in RETRYABLE or code == INCOMPLETE or not code or bool(_STATUS_ONLY.match(code))


def is_transient_code(code: str) -> bool:
    """The rule for a failure known only by its code (a coverage row's)."""
    return bool(code) and is_transient(None, code)


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Full jitter, capped: the clients' own retries already absorbed short bursts."""
    return float(min(10.0, 0.5 * 2**attempt) * rng())


class Attempts:
    """Bounded attempts of one step (assuming a role, a discovery read), with jittered waits.

    ``made`` says how many attempts the last :meth:`run` made, for the coverage row.
    """

    def __init__(self, limit: int, *, sleep: Callable[[float], object] = time.sleep) -> None:
        self.limit = max(1, limit)
        self.made = 0
        self._sleep = sleep

    def run(self, call: Callable[[], T]) -> T:
        self.made = 0
        while True:
            self.made += 1
            try:
                return call()
            except Exception as exc:
                if self.made >= self.limit or not is_transient(exc):
                    raise
            self._sleep(backoff(self.made))


def retried(call: Callable[[], T], attempts: int = 3) -> T:
    """``call()``, attempted again (up to ``attempts`` in all) while it fails transiently."""
    return Attempts(attempts).run(call)
