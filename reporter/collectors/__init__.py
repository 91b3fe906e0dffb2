"""The collector registry: every service reader, as data (DESIGN.md §2).

The crawler iterates :data:`COLLECTORS`; ``--print-policy`` and the audit-role template are built
from their declared actions (:func:`declared_actions`).
"""

from __future__ import annotations

from reporter.collectors import cloudwatch, config, config_compliance, ec2, iam, lambda_, logs
from reporter.collectors.base import Collector

COLLECTORS: tuple[Collector, ...] = (
    lambda_.COLLECTOR,
    iam.COLLECTOR,
    config.COLLECTOR,
    config_compliance.COLLECTOR,
    ec2.COLLECTOR,
    logs.COLLECTOR,
    cloudwatch.COLLECTOR,
)


def by_name(name: str) -> Collector:
    """The collector called ``name``; KeyError naming the known ones otherwise."""
    for collector in COLLECTORS:
        if collector.name == name:
            return collector
    raise KeyError(f"unknown collector {name!r}; known: {', '.join(c.name for c in COLLECTORS)}")


def declared_actions() -> tuple[str, ...]:
    """Every IAM action any collector needs, sorted and unique."""
    return tuple(sorted({action for collector in COLLECTORS for action in collector.actions}))
