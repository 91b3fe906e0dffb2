from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from reporter.aws.guard import CallMonitor, ReadOnlyViolation, is_read_operation
from reporter.aws.session import AwsAccess


@pytest.mark.parametrize(
    ("service", "operation", "allowed"),
    [
        ("lambda", "ListFunctions", True),
        ("lambda", "GetPolicy", True),
        ("ec2", "DescribeSubnets", True),
        ("config", "SelectResourceConfig", True),
        ("sts", "AssumeRole", True),
        ("sts", "GetCallerIdentity", True),
        ("lambda", "PutFunctionConcurrency", False),
        ("lambda", "UpdateFunctionCode", False),
        ("iam", "AttachRolePolicy", False),
        ("iam", "AssumeRole", False),
        ("s3", "DeleteObject", False),
    ],
)
def test_allow_list(service: str, operation: str, allowed: bool) -> None:
    assert is_read_operation(service, operation) is allowed


def test_forced_write_is_refused_before_it_is_sent() -> None:
    with mock_aws():
        monitor = CallMonitor()
        access = AwsAccess.from_session(boto3.Session(), endpoint_url=None, workers=2, monitor=monitor)
        client = access.client("lambda", "us-east-1")
        with pytest.raises(ReadOnlyViolation, match="PutFunctionConcurrency"):
            client.put_function_concurrency(FunctionName="x", ReservedConcurrentExecutions=1)
        client.list_functions()
        assert monitor.refused[("lambda", "PutFunctionConcurrency")] == 1
        assert monitor.calls[("lambda", "ListFunctions")] == 1
        assert monitor.total() == 1
