"""Which AWS failures are transient (worth another attempt) and how long to wait before one.

The crawler's unit retries use these; botocore's own per-request retries run underneath.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import botocore.exceptions

RETRYABLE = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceException",
        "InternalError",
        "InternalFailure",
        "ConnectionError",
        "Timeout",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }
)
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})


def is_transient(exc: BaseException, code: str) -> bool:
    if isinstance(exc, botocore.exceptions.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if status >= 500 or status == 429:
            return True
    if isinstance(exc, botocore.exceptions.HTTPClientError | botocore.exceptions.ConnectionError):
        return True
    return code in RETRYABLE or code.startswith("HTTP5")


def is_transient_code(code: str) -> bool:
    return code in RETRYABLE or code.startswith("HTTP5")


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Full jitter, capped: the clients' own retries already absorbed short bursts."""
    return float(min(10.0, 0.5 * 2**attempt) * rng())
