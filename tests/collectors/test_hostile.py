"""Hostile but valid answers from the API, fed to each collector through botocore's Stubber.

Very long and non-ASCII names, an empty page followed by a page with the items, and every
optional field missing: nothing may crash and nothing may be dropped. Stubber validates each
answer against the service model, so these are answers AWS is allowed to give.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

from reporter.collectors import cloudwatch, config, config_compliance, ec2, iam, lambda_, logs
from tests.collectors.helpers import DEFAULT_ACCOUNT, REGION, assert_records_match_schemas, stubbed

# long, with combining marks, CJK, an emoji, right-to-left text, a quote and a NUL-free control char
HOSTILE = 'ﬁ-é̂-函数-🚀-שלום-"q"-\t-' + "x" * 900
NAMES = [f"{HOSTILE}-{i}" for i in range(3)]
ARN = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:function:"
ALL = {"FunctionVersion": "ALL"}


def test_lambda_empty_first_page_long_unicode_names_and_bare_answers() -> None:
    ctx, stub = stubbed("lambda")
    # an empty page that still says there is more, then the functions with nothing but their names
    stub.add_response("list_functions", {"Functions": [], "NextMarker": "m1"}, ALL)
    listed = [{"FunctionName": n, "FunctionArn": ARN + n} for n in NAMES]
    stub.add_response("list_functions", {"Functions": listed}, {**ALL, "Marker": "m1"})
    for name in NAMES:
        stub.add_response("get_function", {"Configuration": {"FunctionName": name}}, {"FunctionName": name})
        statement = {"Sid": HOSTILE, "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "lambda:*"}
        stub.add_response(
            "get_policy", {"Policy": json.dumps({"Statement": [statement]})}, {"FunctionName": name}
        )
        stub.add_response("list_aliases", {}, {"FunctionName": name})  # bare answers: no list at all
        stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": [], "NextMarker": "u"}, None)
        url = {
            "FunctionUrl": f"https://{name}.lambda-url.on.aws/",
            "FunctionArn": ARN + name,
            "AuthType": "NONE",
            "CreationTime": "2026-11-01T10:00:00Z",
            "LastModifiedTime": "2026-11-01T10:00:00Z",
        }
        stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": [url]}, None)
    stub.add_response("get_account_settings", {}, {})

    result = lambda_.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    assert result.issues == []
    functions = result.records["functions"]
    assert [f["name"] for f in functions] == NAMES
    assert [f["function_arn"] for f in functions] == [ARN + n for n in NAMES]
    assert all(
        f["runtime"] is None and f["tags"] == {} and f["reserved_concurrency"] is None for f in functions
    )
    assert all(f["architectures"] == [] and f["env_var_names"] == [] for f in functions)
    assert [p["sid"] for p in result.records["function_policies"]] == [HOSTILE] * 3
    assert all(json.loads(p["statement"]) == statement for p in result.records["function_policies"])
    assert [u["function_arn"] for u in result.records["function_urls"]] == [ARN + n for n in NAMES]
    assert "provisioned_concurrency" not in result.records
    [account] = result.records["account_concurrency"]
    assert account["concurrency_limit"] is None and account["reserved_total"] == 0


def test_lambda_listing_that_repeats_its_marker_fails_instead_of_looping_or_truncating() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [], "NextMarker": "same"}, ALL)
    stub.add_response("list_functions", {"Functions": [], "NextMarker": "same"}, {**ALL, "Marker": "same"})
    with pytest.raises(botocore.exceptions.PaginationError):
        lambda_.collect(ctx)


def test_iam_empty_page_then_roles_without_optional_parts() -> None:
    ctx, stub = stubbed("iam")
    stub.add_response(
        "get_account_authorization_details",
        {"RoleDetailList": [], "Policies": [], "IsTruncated": True, "Marker": "m"},
        None,
    )
    roles: list[dict[str, Any]] = [
        {"RoleName": name, "Arn": f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/{name}"} for name in NAMES
    ]
    roles.append(
        {
            "RoleName": "with-inline",
            "Arn": f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/with-inline",
            "RolePolicyList": [{"PolicyName": HOSTILE, "PolicyDocument": "%7B%22Statement%22%3A%5B%5D%7D"}],
        }
    )
    stub.add_response(
        "get_account_authorization_details", {"RoleDetailList": roles, "IsTruncated": False}, None
    )

    result = iam.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    assert result.issues == []
    assert [r["role_name"] for r in result.records["roles"]] == [*NAMES, "with-inline"]
    bare = result.records["roles"][0]
    assert bare["trust_policy"] is None and bare["attached_policy_arns"] == [] and bare["create_date"] is None
    [inline] = result.records["policy_documents"]
    assert inline["policy_name"] == HOSTILE and inline["document"] == '{"Statement":[]}'


def test_config_empty_pages_and_bare_recorders_rules_and_evaluations() -> None:
    ctx, stub = stubbed("config")
    stub.add_response("describe_configuration_recorder_status", {}, {})
    stub.add_response("describe_configuration_recorders", {"ConfigurationRecorders": [{"name": HOSTILE}]}, {})
    stub.add_response("describe_config_rules", {"ConfigRules": [], "NextToken": "t"}, {})
    rules = [{"ConfigRuleName": name, "Source": {"Owner": "CUSTOM_LAMBDA"}} for name in NAMES]
    stub.add_response("describe_config_rules", {"ConfigRules": rules}, {"NextToken": "t"})
    result = config.collect(ctx)
    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    assert result.issues == []
    [recorder] = result.records["config_recorders"]
    assert recorder["recorder_name"] == HOSTILE and recorder["recording"] is False
    assert recorder["all_supported"] is None and recorder["resource_types"] == []
    assert [r["rule_name"] for r in result.records["config_rules"]] == NAMES

    ctx, stub = stubbed("config")
    stub.add_response("describe_config_rules", {"ConfigRules": [], "NextToken": "t"}, {})
    stub.add_response("describe_config_rules", {"ConfigRules": rules}, {"NextToken": "t"})
    for name in NAMES:
        stub.add_response(
            "get_compliance_details_by_config_rule", {"EvaluationResults": [], "NextToken": "e"}, None
        )
        evaluation = {
            "EvaluationResultIdentifier": {
                "EvaluationResultQualifier": {"ResourceType": "AWS::Lambda::Function", "ResourceId": name}
            }
        }
        stub.add_response("get_compliance_details_by_config_rule", {"EvaluationResults": [evaluation]}, None)

    result = config_compliance.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    assert result.issues == []
    assert [
        (c["rule_name"], c["resource_id"], c["compliance"]) for c in result.records["config_compliance"]
    ] == [(n, n, None) for n in NAMES]


def test_ec2_empty_pages_and_subnets_without_vpc_or_routes() -> None:
    ctx, stub = stubbed("ec2")
    stub.add_response("describe_subnets", {"Subnets": [], "NextToken": "s"}, {})
    subnets = [{"SubnetId": f"subnet-{i}"} for i in range(3)]
    subnets.append({"SubnetId": "subnet-routed", "VpcId": "vpc-1", "AvailabilityZone": HOSTILE})
    stub.add_response("describe_subnets", {"Subnets": subnets}, {"NextToken": "s"})
    stub.add_response("describe_route_tables", {"RouteTables": [], "NextToken": "r"}, {})
    tables = [
        {"RouteTableId": "rtb-bare"},
        {
            "RouteTableId": "rtb-1",
            "VpcId": "vpc-1",
            "Associations": [{"SubnetId": "subnet-routed"}, {}],
            "Routes": [
                {},
                {"DestinationCidrBlock": "0.0.0.0/0"},
                {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"},
            ],
        },
    ]
    stub.add_response("describe_route_tables", {"RouteTables": tables}, {"NextToken": "r"})

    result = ec2.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    rows = {r["subnet_id"]: r for r in result.records["subnets"]}
    assert list(rows) == ["subnet-0", "subnet-1", "subnet-2", "subnet-routed"]
    assert rows["subnet-0"]["route_table_id"] is None and rows["subnet-0"]["default_route_target"] is None
    routed = rows["subnet-routed"]
    assert (routed["route_table_id"], routed["default_route_target"], routed["igw_default_route"]) == (
        "rtb-1",
        "igw-1",
        True,
    )
    assert routed["availability_zone"] == HOSTILE


def test_logs_empty_page_and_groups_without_retention_or_size() -> None:
    ctx, stub = stubbed("logs")
    stub.add_response("describe_log_groups", {"logGroups": [], "nextToken": "n"}, None)
    groups = [{"logGroupName": f"/aws/lambda/{n}"} for n in NAMES]
    stub.add_response("describe_log_groups", {"logGroups": groups}, None)

    result = logs.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    rows = result.records["log_groups"]
    assert [r["function_name"] for r in rows] == NAMES
    assert all(r["retention_days"] is None and r["stored_bytes"] is None for r in rows)


def test_cloudwatch_empty_page_and_alarms_with_missing_parts() -> None:
    ctx, stub = stubbed("cloudwatch")
    stub.add_response("describe_alarms", {"MetricAlarms": [], "NextToken": "n"}, {})
    direct = [
        {
            "AlarmName": name,
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": name}],
        }
        for name in NAMES
    ]
    bare: list[dict[str, Any]] = [
        {"AlarmName": "no-metric"},
        {"AlarmName": "math-without-stat", "Metrics": [{"Id": "m1"}, {"Id": "m2", "Expression": "m1 * 2"}]},
        {"AlarmName": "empty-dimension", "Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": []},
    ]
    stub.add_response("describe_alarms", {"MetricAlarms": [*direct, *bare]}, {"NextToken": "n"})

    result = cloudwatch.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    assert [(r["alarm_name"], r["function_name"]) for r in result.records["alarms"]] == [
        (n, n) for n in NAMES
    ]
