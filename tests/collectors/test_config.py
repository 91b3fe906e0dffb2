from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.exceptions
import pytest

from reporter.collectors import config, config_compliance
from tests.collectors.helpers import (
    DEFAULT_ACCOUNT,
    REGION,
    RecordingClients,
    assert_calls_declared,
    assert_records_match_schemas,
    stubbed,
)

TYPES = ["NON_COMPLIANT"]


@pytest.fixture
def world(moto: None) -> None:
    client = boto3.client("config", region_name=REGION)
    client.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    client.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-bucket"})
    client.start_configuration_recorder(ConfigurationRecorderName="default")
    client.put_config_rule(
        ConfigRule={
            "ConfigRuleName": "lambda-inside-vpc",
            "Source": {"Owner": "AWS", "SourceIdentifier": "LAMBDA_INSIDE_VPC"},
            "Scope": {"ComplianceResourceTypes": ["AWS::Lambda::Function"]},
        }
    )
    client.put_config_rule(
        ConfigRule={
            "ConfigRuleName": "admin-roles",
            "Source": {"Owner": "AWS", "SourceIdentifier": "IAM_ROLE_MANAGED_POLICY_CHECK"},
            "InputParameters": json.dumps(
                {"managedPolicyArns": "arn:aws:iam::aws:policy/AdministratorAccess"}
            ),
        }
    )


def test_moto_recorders_and_rules_kept_when_compliance_is_missing(world: None) -> None:
    clients = RecordingClients()
    result = config.collect(clients.context())

    assert_records_match_schemas(result)
    [recorder] = result.records["config_recorders"]
    assert (recorder["recorder_name"], recorder["recording"], recorder["all_supported"]) == (
        "default",
        True,
        True,
    )
    assert recorder["include_global"] is True and recorder["last_status"] == "PENDING"
    rules = {r["rule_name"]: r for r in result.records["config_rules"]}
    assert set(rules) == {"lambda-inside-vpc", "admin-roles"}
    vpc = rules["lambda-inside-vpc"]
    assert (vpc["source_owner"], vpc["source_identifier"], vpc["state"]) == (
        "AWS",
        "LAMBDA_INSIDE_VPC",
        "ACTIVE",
    )
    assert vpc["scope_resource_types"] == ["AWS::Lambda::Function"]
    assert vpc["rule_arn"].startswith(f"arn:aws:config:{REGION}:{DEFAULT_ACCOUNT}:config-rule/")
    assert json.loads(rules["admin-roles"]["input_parameters"]) == {
        "managedPolicyArns": "arn:aws:iam::aws:policy/AdministratorAccess"
    }
    assert result.issues == [] and "config_compliance" not in result.records
    assert_calls_declared(clients.calls, config.COLLECTOR)


def test_moto_compliance_unit_fails_whole_when_moto_lacks_the_details_api(world: None) -> None:
    # moto raises NotImplementedError in-process for GetComplianceDetailsByConfigRule: the
    # compliance unit fails (the crawler records it), the recorders and rules above are unaffected
    clients = RecordingClients()
    with pytest.raises(NotImplementedError):
        config_compliance.collect(clients.context())
    assert clients.calls.count("config:GetComplianceDetailsByConfigRule") == 1
    assert_calls_declared(clients.calls, config_compliance.COLLECTOR)


def test_no_recorder_no_rules(moto: None) -> None:
    for collector in (config, config_compliance):
        result = collector.collect(RecordingClients().context())
        assert result.records == {} and result.issues == []


def test_recording_strategy_and_exclusions_are_recorded(moto: None) -> None:
    client: Any = boto3.client("config", region_name=REGION)
    group: dict[str, Any] = {
        "allSupported": False,
        "includeGlobalResourceTypes": False,
        "exclusionByResourceTypes": {"resourceTypes": ["AWS::Lambda::Function"]},
        "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
    }
    role = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/config"
    client.put_configuration_recorder(
        ConfigurationRecorder={"name": "x", "roleARN": role, "recordingGroup": group}
    )
    result = config.collect(RecordingClients().context())
    [row] = result.records["config_recorders"]
    assert row["recording_strategy"] == "EXCLUSION_BY_RESOURCE_TYPES"
    assert row["excluded_types"] == ["AWS::Lambda::Function"]


def rule(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "ConfigRuleName": name,
        "ConfigRuleArn": f"arn:aws:config:{REGION}:{DEFAULT_ACCOUNT}:config-rule/config-rule-{name}",
        "Source": {"Owner": "AWS", "SourceIdentifier": name.upper()},
        "ConfigRuleState": "ACTIVE",
        **extra,
    }


def evaluation(
    rule_name: str, resource_type: str, resource_id: str, compliance: str, **extra: Any
) -> dict[str, Any]:
    return {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": rule_name,
                "ResourceType": resource_type,
                "ResourceId": resource_id,
            }
        },
        "ComplianceType": compliance,
        **extra,
    }


def queue_recorders(stub: Any) -> None:
    stub.add_response(
        "describe_configuration_recorder_status",
        {"ConfigurationRecordersStatus": [{"name": "started", "recording": False, "lastStatus": "FAILURE"}]},
        {},
    )
    stub.add_response(
        "describe_configuration_recorders",
        {
            "ConfigurationRecorders": [
                {
                    "name": "started",
                    "recordingGroup": {"allSupported": False, "resourceTypes": ["AWS::Lambda::Function"]},
                },
                {"name": "never-started"},
            ]
        },
        {},
    )


def test_recorders_and_rules_call_plan_reads_no_compliance() -> None:
    ctx, stub = stubbed("config")
    queue_recorders(stub)
    tagged = rule(
        "concurrency", Scope={"TagKey": "CostControl", "TagValue": "HighRisk"}, InputParameters="{}"
    )
    stub.add_response("describe_config_rules", {"ConfigRules": [rule("vpc")], "NextToken": "t"}, {})
    stub.add_response("describe_config_rules", {"ConfigRules": [tagged]}, {"NextToken": "t"})

    result = config.collect(ctx)

    stub.assert_no_pending_responses()  # and no compliance call was queued or made
    assert_records_match_schemas(result)
    assert result.issues == [] and "config_compliance" not in result.records
    recorders = {r["recorder_name"]: r for r in result.records["config_recorders"]}
    assert recorders["started"]["recording"] is False and recorders["started"]["last_status"] == "FAILURE"
    assert recorders["started"]["resource_types"] == ["AWS::Lambda::Function"]
    assert (
        recorders["never-started"]["recording"] is False and recorders["never-started"]["last_status"] is None
    )
    rules = {r["rule_name"]: r for r in result.records["config_rules"]}
    assert (rules["concurrency"]["scope_tag_key"], rules["concurrency"]["scope_tag_value"]) == (
        "CostControl",
        "HighRisk",
    )
    assert rules["vpc"]["scope_resource_types"] == [] and rules["vpc"]["input_parameters"] is None
    assert "config:GetComplianceDetailsByConfigRule" not in config.COLLECTOR.actions


def test_compliance_call_plan_non_compliant_only_at_page_size_100() -> None:
    ctx, stub = stubbed("config")
    tagged = rule(
        "concurrency", Scope={"TagKey": "CostControl", "TagValue": "HighRisk"}, InputParameters="{}"
    )
    stub.add_response("describe_config_rules", {"ConfigRules": [rule("vpc")], "NextToken": "t"}, {})
    stub.add_response("describe_config_rules", {"ConfigRules": [tagged]}, {"NextToken": "t"})
    stub.add_response(
        "get_compliance_details_by_config_rule",
        {
            "EvaluationResults": [
                evaluation(
                    "vpc", "AWS::Lambda::Function", "orders", "NON_COMPLIANT", Annotation="not in a VPC"
                ),
                evaluation("vpc", "AWS::S3::Bucket", "logs", "NON_COMPLIANT"),
            ],
            "NextToken": "p2",
        },
        {"ConfigRuleName": "vpc", "ComplianceTypes": TYPES, "Limit": 100},
    )
    stub.add_response(
        "get_compliance_details_by_config_rule",
        {"EvaluationResults": [evaluation("vpc", "AWS::Lambda::Function", "billing", "NON_COMPLIANT")]},
        {"ConfigRuleName": "vpc", "ComplianceTypes": TYPES, "Limit": 100, "NextToken": "p2"},
    )
    stub.add_response(
        "get_compliance_details_by_config_rule",
        {"EvaluationResults": [evaluation("concurrency", "AWS::IAM::Role", "AROAEXAMPLE", "NON_COMPLIANT")]},
        {"ConfigRuleName": "concurrency", "ComplianceTypes": TYPES, "Limit": 100},
    )

    result = config_compliance.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    assert result.issues == [] and set(result.records) == {"config_compliance"}
    compliance = [
        (c["rule_name"], c["resource_type"], c["resource_id"], c["compliance"], c["annotation"])
        for c in result.records["config_compliance"]
    ]
    assert compliance == [
        ("vpc", "AWS::Lambda::Function", "orders", "NON_COMPLIANT", "not in a VPC"),
        ("vpc", "AWS::Lambda::Function", "billing", "NON_COMPLIANT", None),
        ("concurrency", "AWS::IAM::Role", "AROAEXAMPLE", "NON_COMPLIANT", None),
    ]


def test_compliance_failure_fails_the_compliance_unit_only() -> None:
    ctx, stub = stubbed("config")
    stub.add_response(
        "describe_config_rules", {"ConfigRules": [rule("first"), rule("second"), rule("third")]}, {}
    )
    stub.add_response(
        "get_compliance_details_by_config_rule",
        {"EvaluationResults": [evaluation("first", "AWS::Lambda::Function", "orders", "NON_COMPLIANT")]},
        {"ConfigRuleName": "first", "ComplianceTypes": TYPES, "Limit": 100},
    )
    stub.add_client_error(
        "get_compliance_details_by_config_rule", "ThrottlingException", "Rate exceeded", 400
    )

    with pytest.raises(botocore.exceptions.ClientError, match="Throttling"):
        config_compliance.collect(ctx)
    stub.assert_no_pending_responses()  # nothing asked about the third rule

    # the recorders-and-rules unit does not read compliance: its verdicts cannot be lost with it
    ctx, stub = stubbed("config")
    queue_recorders(stub)
    stub.add_response("describe_config_rules", {"ConfigRules": [rule("first")]}, {})
    result = config.collect(ctx)
    assert len(result.records["config_rules"]) == 1 and len(result.records["config_recorders"]) == 2


def test_failing_rule_listing_fails_the_unit() -> None:
    for collector in (config, config_compliance):
        ctx, stub = stubbed("config")
        if collector is config:
            queue_recorders(stub)
        stub.add_client_error("describe_config_rules", "AccessDeniedException", "denied", 403)
        with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
            collector.collect(ctx)


def test_compliance_is_read_only_for_rules_whose_scope_can_include_functions_or_roles() -> None:
    ctx, stub = stubbed("config")
    s3 = rule("s3-encryption", Scope={"ComplianceResourceTypes": ["AWS::S3::Bucket"]})
    roles = rule("roles", Scope={"ComplianceResourceTypes": ["AWS::IAM::Role", "AWS::IAM::User"]})
    lam = rule("lambda-only", Scope={"ComplianceResourceTypes": ["AWS::Lambda::Function"]})
    stub.add_response("describe_config_rules", {"ConfigRules": [s3, roles, lam, rule("any")]}, {})
    for name in ("roles", "lambda-only", "any"):  # s3-encryption is never asked for
        stub.add_response(
            "get_compliance_details_by_config_rule",
            {"EvaluationResults": []},
            {"ConfigRuleName": name, "ComplianceTypes": TYPES, "Limit": 100},
        )

    result = config_compliance.collect(ctx)

    stub.assert_no_pending_responses()
    assert result.records == {}
    assert config_compliance.can_judge_functions_or_roles(s3) is False
