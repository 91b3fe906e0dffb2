"""CloudWatch Logs (regional): the ``/aws/lambda/*`` log groups, their retention and size.

Call plan: ``DescribeLogGroups`` with ``logGroupNamePrefix="/aws/lambda/"`` (paginated). Functions
that log to a custom group (``LoggingConfig.LogGroup``) are not covered: the rules look for the
default group name.
"""

from __future__ import annotations

from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.collectors.common import items

LAMBDA_PREFIX = "/aws/lambda/"


def collect(ctx: UnitContext) -> CollectResult:
    client = ctx.client("logs")
    result = CollectResult()
    for group in items(client, "describe_log_groups", "logGroups", logGroupNamePrefix=LAMBDA_PREFIX):
        name = group["logGroupName"]
        result.add(
            "log_groups",
            {
                "account_id": ctx.account_id,
                "region": ctx.region,
                "log_group": name,
                "function_name": name.removeprefix(LAMBDA_PREFIX),
                "retention_days": group.get("retentionInDays"),  # absent = never expires
                "stored_bytes": group.get("storedBytes"),
            },
        )
    return result


COLLECTOR = Collector(
    name="logs",
    scope="regional",
    tables=("log_groups",),
    actions=("logs:DescribeLogGroups",),
    size_rank=4,  # one paginated call
    collect=collect,
)
