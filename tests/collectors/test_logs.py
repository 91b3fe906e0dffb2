from __future__ import annotations

import boto3
import pytest

from reporter.collectors import logs
from tests.collectors.helpers import (
    REGION,
    RecordingClients,
    assert_calls_declared,
    assert_records_match_schemas,
    stubbed,
)


@pytest.fixture
def world(moto: None) -> None:
    client = boto3.client("logs", region_name=REGION)
    client.create_log_group(logGroupName="/aws/lambda/kept")
    client.put_retention_policy(logGroupName="/aws/lambda/kept", retentionInDays=14)
    client.create_log_group(logGroupName="/aws/lambda/forever")
    client.create_log_group(logGroupName="/aws/apigateway/other")


def test_lambda_log_groups_with_and_without_retention(world: None) -> None:
    clients = RecordingClients()
    result = logs.collect(clients.context())

    assert_records_match_schemas(result)
    groups = {g["function_name"]: g for g in result.records["log_groups"]}
    assert set(groups) == {"kept", "forever"}
    assert groups["kept"]["log_group"] == "/aws/lambda/kept" and groups["kept"]["retention_days"] == 14
    assert groups["forever"]["retention_days"] is None
    assert groups["kept"]["stored_bytes"] == 0
    assert_calls_declared(clients.calls, logs.COLLECTOR)


def test_pages_are_followed() -> None:
    ctx, stub = stubbed("logs")
    prefix = {"logGroupNamePrefix": "/aws/lambda/"}
    stub.add_response(
        "describe_log_groups", {"logGroups": [{"logGroupName": "/aws/lambda/a"}], "nextToken": "n"}, prefix
    )
    stub.add_response(
        "describe_log_groups",
        {"logGroups": [{"logGroupName": "/aws/lambda/b", "retentionInDays": 30, "storedBytes": 5}]},
        {**prefix, "nextToken": "n"},
    )
    result = logs.collect(ctx)
    stub.assert_no_pending_responses()
    assert [
        (g["function_name"], g["retention_days"], g["stored_bytes"]) for g in result.records["log_groups"]
    ] == [
        ("a", None, None),
        ("b", 30, 5),
    ]
