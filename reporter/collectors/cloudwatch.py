"""CloudWatch (regional): metric alarms watching a Lambda function.

Call plan: ``DescribeAlarms`` (paginated; metric alarms only, composite alarms watch no metric).
An alarm counts for a function when it watches an ``AWS/Lambda`` metric with a ``FunctionName``
dimension, either directly or through one of the metrics of a metric-math alarm; one row per
(alarm, function, metric).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.collectors.common import items

LAMBDA_NAMESPACE = "AWS/Lambda"


def collect(ctx: UnitContext) -> CollectResult:
    client = ctx.client("cloudwatch")
    result = CollectResult()
    for alarm in items(client, "describe_alarms", "MetricAlarms"):
        seen: set[tuple[str, str]] = set()
        for function_name, metric_name in _watched(alarm):
            if (function_name, metric_name) in seen:
                continue
            seen.add((function_name, metric_name))
            result.add(
                "alarms",
                {
                    "account_id": ctx.account_id,
                    "region": ctx.region,
                    "alarm_name": alarm["AlarmName"],
                    "function_name": function_name,
                    "metric_name": metric_name,
                    "namespace": LAMBDA_NAMESPACE,
                },
            )
    return result


def _watched(alarm: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(function name, metric name) of every Lambda metric the alarm watches."""
    metrics: list[dict[str, Any]] = [alarm]
    metrics.extend((q.get("MetricStat") or {}).get("Metric") or {} for q in alarm.get("Metrics") or [])
    for metric in metrics:
        if metric.get("Namespace") != LAMBDA_NAMESPACE or not metric.get("MetricName"):
            continue
        for dimension in metric.get("Dimensions") or []:
            if dimension.get("Name") == "FunctionName" and dimension.get("Value"):
                yield str(dimension["Value"]), str(metric["MetricName"])


COLLECTOR = Collector(
    name="cloudwatch",
    scope="regional",
    tables=("alarms",),
    actions=("cloudwatch:DescribeAlarms",),
    size_rank=4,  # one paginated call
    collect=collect,
)
