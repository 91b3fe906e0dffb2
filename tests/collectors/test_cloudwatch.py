from __future__ import annotations

from typing import Any

import boto3
import pytest

from reporter.collectors import cloudwatch
from tests.collectors.helpers import (
    REGION,
    RecordingClients,
    assert_calls_declared,
    assert_records_match_schemas,
    stubbed,
)

ALARM: dict[str, Any] = {
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 1,
    "ComparisonOperator": "GreaterThanThreshold",
}


def stat(namespace: str, metric: str, dimensions: list[dict[str, str]], query_id: str) -> Any:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            "Period": 60,
            "Stat": "Sum",
        },
        "ReturnData": False,
    }


@pytest.fixture
def world(moto: None) -> None:
    client = boto3.client("cloudwatch", region_name=REGION)
    orders: Any = [{"Name": "FunctionName", "Value": "orders"}]
    client.put_metric_alarm(
        AlarmName="orders-errors", Namespace="AWS/Lambda", MetricName="Errors", Dimensions=orders, **ALARM
    )
    client.put_metric_alarm(
        AlarmName="account-concurrency",
        Namespace="AWS/Lambda",
        MetricName="ConcurrentExecutions",
        Dimensions=[],
        **ALARM,
    )
    client.put_metric_alarm(
        AlarmName="queue-depth",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "orders"}],
        **ALARM,
    )
    client.put_metric_alarm(
        AlarmName="billing-error-rate",
        Metrics=[
            stat("AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": "billing"}], "e"),
            stat("AWS/Lambda", "Invocations", [{"Name": "FunctionName", "Value": "billing"}], "i"),
            stat(
                "AWS/Lambda",
                "Errors",
                [{"Name": "FunctionName", "Value": "billing"}, {"Name": "Resource", "Value": "billing:live"}],
                "e2",
            ),
            {"Id": "rate", "Expression": "e / i", "ReturnData": True},
        ],
        EvaluationPeriods=1,
        Threshold=0.05,
        ComparisonOperator="GreaterThanThreshold",
    )


def test_lambda_alarms_direct_and_metric_math(world: None) -> None:
    clients = RecordingClients()
    result = cloudwatch.collect(clients.context())

    assert_records_match_schemas(result)
    rows = sorted(
        (a["alarm_name"], a["function_name"], a["metric_name"], a["namespace"])
        for a in result.records["alarms"]
    )
    assert rows == [
        ("billing-error-rate", "billing", "Errors", "AWS/Lambda"),  # once, though two queries watch it
        ("billing-error-rate", "billing", "Invocations", "AWS/Lambda"),
        ("orders-errors", "orders", "Errors", "AWS/Lambda"),
    ]
    assert_calls_declared(clients.calls, cloudwatch.COLLECTOR)


def test_pages_are_followed() -> None:
    ctx, stub = stubbed("cloudwatch")
    dims = [{"Name": "FunctionName", "Value": "f"}]
    first = {"AlarmName": "a", "Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": dims}
    second = {"AlarmName": "b", "Namespace": "AWS/Lambda", "MetricName": "Throttles", "Dimensions": dims}
    stub.add_response("describe_alarms", {"MetricAlarms": [first], "NextToken": "n"}, {})
    stub.add_response("describe_alarms", {"MetricAlarms": [second]}, {"NextToken": "n"})
    result = cloudwatch.collect(ctx)
    stub.assert_no_pending_responses()
    assert [a["alarm_name"] for a in result.records["alarms"]] == ["a", "b"]
