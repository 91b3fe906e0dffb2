"""The embedded demo organization: a deterministic AWS Organization in moto, served over HTTP.

Used by ``--demo``, the end-to-end tests and the benchmarks. Everything here is demo
infrastructure; the tool's own code paths talk to it exactly as they talk to AWS.
"""

from __future__ import annotations

from reporter.demo.catalog import DEMO_MONTHS, DEMO_REGIONS, LATEST_MONTH
from reporter.demo.faults import FaultEvent, FaultPlan, ServerStats
from reporter.demo.model import DemoAccount, DemoFunction, DemoTruth, Expectation, RejectedConfigRule
from reporter.demo.server import DemoServer
from reporter.demo.wire import CallKey


def demo_regions() -> tuple[str, ...]:
    """The regions of the standard demo organization: three default ones and one opt-in region."""
    return DEMO_REGIONS


def demo_month_indexes(months: int) -> tuple[int, ...]:
    """``DemoServer(month=…)`` for ``months`` monthly runs, oldest first; the last is the standard demo.

    3 → (0, 1, 2); 1 → (2,). The demo has three months of history: older runs repeat month 0,
    as if nothing changed before it (5 → (0, 0, 0, 1, 2)).
    """
    if months < 1:
        raise ValueError("at least one month")
    return tuple(max(0, LATEST_MONTH - back) for back in range(months - 1, -1, -1))


__all__ = [
    "DEMO_MONTHS",
    "LATEST_MONTH",
    "CallKey",
    "DemoAccount",
    "DemoFunction",
    "DemoServer",
    "DemoTruth",
    "Expectation",
    "FaultEvent",
    "FaultPlan",
    "RejectedConfigRule",
    "ServerStats",
    "demo_month_indexes",
    "demo_regions",
]
