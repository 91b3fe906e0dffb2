"""The standard demo organization, served over HTTP: every operation the collectors call answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import pytest

from reporter.demo import DemoServer, demo_regions
from reporter.locations import queries_dir
from tests.demo.conftest import Clients, account_id
from tests.rules.helpers import RULE_IDS


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer(seed=7) as server:
        print(f"\nstandard demo seeded in {server.seed_seconds:.2f} s (wall clock)")
        yield server


@pytest.fixture(scope="module")
def aws(demo: DemoServer) -> Clients:
    return Clients(demo)


def _error_code(exc: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_server_serves_the_management_identity(demo: DemoServer, aws: Clients) -> None:
    assert demo.endpoint_url.startswith("http://127.0.0.1:")
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(demo.credentials)
    identity = aws.mgmt("sts").get_caller_identity()
    assert identity["Account"] == demo.truth.management_account_id
    assert identity["Arn"].endswith(":user/reporter-auditor")
    assert demo.stats.total_calls(service="sts", operation="GetCallerIdentity") >= 1


def test_organization_discovery_operations(demo: DemoServer, aws: Clients) -> None:
    org = aws.mgmt("organizations")
    truth = demo.truth
    assert org.describe_organization()["Organization"]["Id"] == truth.organization_id
    root = org.list_roots()["Roots"][0]
    accounts = {
        a["Id"]: a for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]
    }
    assert set(accounts) == {a.account_id for a in truth.accounts}
    assert len(accounts) >= 7
    prod = account_id(demo, "payments-prod")
    parent = org.list_parents(ChildId=prod)["Parents"][0]
    assert (
        org.describe_organizational_unit(OrganizationalUnitId=parent["Id"])["OrganizationalUnit"]["Name"]
        == "Prod"
    )
    grandparent = org.list_parents(ChildId=parent["Id"])["Parents"][0]
    assert org.list_parents(ChildId=grandparent["Id"])["Parents"][0]["Id"] == root["Id"]
    tags = {t["Key"]: t["Value"] for t in org.list_tags_for_resource(ResourceId=prod)["Tags"]}
    assert tags["Environment"] == "prod"


def test_suspended_account_is_listed_as_suspended(demo: DemoServer, aws: Clients) -> None:
    suspended = [a for a in demo.truth.accounts if a.status == "SUSPENDED"]
    assert [a.name for a in suspended] == ["legacy-archive"]
    listed = {a["Id"]: a["Status"] for a in aws.mgmt("organizations").list_accounts()["Accounts"]}
    assert listed[suspended[0].account_id] == "SUSPENDED"


@pytest.mark.parametrize("name", ["acquired-startup", "legacy-archive"])
def test_unreachable_accounts_refuse_assume_role(demo: DemoServer, aws: Clients, name: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.assume(account_id(demo, name))
    assert _error_code(exc) == "AccessDenied"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_assume_role_into_a_missing_role_is_denied(demo: DemoServer, aws: Clients) -> None:
    # The management account has no OrganizationAccountAccessRole: the crawler uses its own keys there.
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.assume(demo.truth.management_account_id)
    assert _error_code(exc) == "AccessDenied"


def test_describe_regions_reports_only_demo_regions_enabled(demo: DemoServer, aws: Clients) -> None:
    ec2 = aws.mgmt("ec2")
    # eu-south-1 is an opt-in region, enabled by media-prod only
    default = set(demo_regions()) - {"eu-south-1"}
    enabled = {r["RegionName"] for r in ec2.describe_regions()["Regions"]}
    assert enabled == default
    every = {r["RegionName"]: r["OptInStatus"] for r in ec2.describe_regions(AllRegions=True)["Regions"]}
    assert len(every) > 10
    assert all(not name.startswith(("cn-", "us-gov-")) for name in every)
    assert {n for n, s in every.items() if s != "not-opted-in"} == default
    media = aws.member(account_id(demo, "media-prod"), "ec2")
    opted = {r["RegionName"]: r["OptInStatus"] for r in media.describe_regions(AllRegions=True)["Regions"]}
    assert opted["eu-south-1"] == "opted-in" and opted["us-east-1"] == "opt-in-not-required"
    filtered = ec2.describe_regions(
        AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}]
    )
    assert "us-east-1" not in {r["RegionName"] for r in filtered["Regions"]}


def test_lambda_collector_operations(demo: DemoServer, aws: Clients) -> None:
    prod = account_id(demo, "payments-prod")
    lam = aws.member(prod, "lambda")
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert {"payments-api", "payments-webhook-public"} <= names
    config = lam.get_function(FunctionName="payments-api")
    assert config["Configuration"]["VpcConfig"]["SubnetIds"]
    policy = json.loads(lam.get_policy(FunctionName="payments-webhook-public")["Policy"])
    assert policy["Statement"][0]["Principal"] == "*"
    urls = lam.list_function_url_configs(FunctionName="payments-webhook-public")["FunctionUrlConfigs"]
    assert [u["AuthType"] for u in urls] == ["NONE"]
    assert lam.list_function_url_configs(FunctionName="payments-api")["FunctionUrlConfigs"] == []
    provisioned = lam.list_provisioned_concurrency_configs(FunctionName="payments-api")
    assert [
        (c["FunctionArn"].rsplit(":", 1)[1], c["AllocatedProvisionedConcurrentExecutions"])
        for c in provisioned["ProvisionedConcurrencyConfigs"]
    ] == [("live", 10)]
    assert (
        lam.list_provisioned_concurrency_configs(FunctionName="payments-settlement")[
            "ProvisionedConcurrencyConfigs"
        ]
        == []
    )
    one = lam.get_provisioned_concurrency_config(FunctionName="payments-api", Qualifier="live")
    assert one["Status"] == "READY"
    settings = lam.get_account_settings()
    # 1000 minus 820 (payments-settlement) minus 5 (payments-refunds): starved by the 20 % rule.
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 175
    assert settings["AccountUsage"]["FunctionCount"] == len(names)


def test_lambda_gap_errors_look_like_aws(demo: DemoServer, aws: Clients) -> None:
    lam = aws.member(account_id(demo, "payments-prod"), "lambda")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        lam.list_provisioned_concurrency_configs(FunctionName="no-such-function")
    assert _error_code(exc) == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        lam.list_function_url_configs(FunctionName="no-such-function")
    assert _error_code(exc) == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        lam.get_provisioned_concurrency_config(FunctionName="payments-api", Qualifier="blue")
    assert _error_code(exc) == "ProvisionedConcurrencyConfigNotFoundException"


def test_low_concurrency_account_settings(demo: DemoServer, aws: Clients) -> None:
    sandbox = next(a for a in demo.truth.accounts if a.name.startswith("sandbox-"))
    settings = aws.member(sandbox.account_id, "lambda", "eu-west-1").get_account_settings()["AccountLimit"]
    assert (settings["ConcurrentExecutions"], settings["UnreservedConcurrentExecutions"]) == (10, 10)


def test_snap_start_and_packages_are_reported(demo: DemoServer, aws: Clients) -> None:
    lam = aws.member(account_id(demo, "data-dev"), "lambda")
    functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    assert functions["data-pricing-engine"]["SnapStart"]["ApplyOn"] == "PublishedVersions"
    assert functions["data-etl-transform"]["SnapStart"]["ApplyOn"] == "None"
    got = lam.get_function(FunctionName="data-pricing-engine")["Configuration"]
    assert got["SnapStart"]["ApplyOn"] == "PublishedVersions"
    assert functions["data-image-pipeline"]["PackageType"] == "Image"
    assert "Runtime" not in functions["data-image-pipeline"]
    big = aws.member(account_id(demo, "payments-prod"), "lambda").get_function(
        FunctionName="payments-fraud-scorer"
    )
    assert big["Configuration"]["CodeSize"] > 10 * 1024 * 1024


def test_iam_authorization_details(demo: DemoServer, aws: Clients) -> None:
    iam = aws.member(account_id(demo, "payments-prod"), "iam")
    details = iam.get_account_authorization_details(Filter=["Role", "LocalManagedPolicy", "AWSManagedPolicy"])
    roles = {r["RoleName"]: r for r in details["RoleDetailList"]}
    admin = roles["payments-webhook-public-role"]
    assert [p["PolicyName"] for p in admin["AttachedManagedPolicies"]] == ["AdministratorAccess"]
    assert "PermissionsBoundary" not in admin
    shared = roles["payments-shared-exec"]
    assert shared["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(":policy/lambda-strict-boundary")
    arns = {p["Arn"] for p in details["Policies"]}
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in arns
    # moto omits PolicyName in these entries (notes/moto.md): the name is the ARN's last part.
    boundary = next(p for p in details["Policies"] if p["Arn"].endswith(":policy/lambda-strict-boundary"))
    version = iam.get_policy_version(PolicyArn=boundary["Arn"], VersionId=boundary["DefaultVersionId"])
    assert version["PolicyVersion"]["Document"]["Statement"][-1]["Effect"] == "Deny"
    assert iam.get_policy(PolicyArn=boundary["Arn"])["Policy"]["PolicyName"] == "lambda-strict-boundary"


def test_guide_documents_are_used_verbatim(demo: DemoServer, aws: Clients) -> None:
    from reporter.demo.guide import GUIDE_BOUNDARY, GUIDE_ROLE_POLICY

    iam = aws.member(account_id(demo, "data-dev"), "iam")
    details = iam.get_account_authorization_details(Filter=["Role", "LocalManagedPolicy"])
    role = next(r for r in details["RoleDetailList"] if r["RoleName"] == "data-guide-example-role")
    assert role["RolePolicyList"][0]["PolicyDocument"] == json.loads(GUIDE_ROLE_POLICY)
    boundary_arn = role["PermissionsBoundary"]["PermissionsBoundaryArn"]
    policy = next(p for p in details["Policies"] if p["Arn"] == boundary_arn)
    default = next(v for v in policy["PolicyVersionList"] if v["IsDefaultVersion"])
    assert default["Document"] == json.loads(GUIDE_BOUNDARY)


def test_network_operations(demo: DemoServer, aws: Clients) -> None:
    ec2 = aws.member(account_id(demo, "orders-prod"), "ec2")
    subnets = {
        next(t["Value"] for t in s["Tags"] if t["Key"] == "Name"): s
        for s in ec2.describe_subnets()["Subnets"]
        if s.get("Tags")
    }
    web = subnets["orders-vpc-web-a"]
    explicit = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [web["SubnetId"]]}]
    )
    assert any(r.get("GatewayId", "").startswith("igw-") for r in explicit["RouteTables"][0]["Routes"])
    shared = subnets["orders-vpc-shared-b"]
    none = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [shared["SubnetId"]]}]
    )
    assert none["RouteTables"] == []
    main = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [shared["VpcId"]]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )
    assert any(r.get("NatGatewayId", "").startswith("nat-") for r in main["RouteTables"][0]["Routes"])


def test_config_operations(demo: DemoServer, aws: Clients) -> None:
    orders = account_id(demo, "orders-prod")
    config = aws.member(orders, "config")
    assert [r["name"] for r in config.describe_configuration_recorders()["ConfigurationRecorders"]] == [
        "default"
    ]
    status = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]
    assert status["recording"] is True
    rules = {r["ConfigRuleName"]: r for r in config.describe_config_rules()["ConfigRules"]}
    inverted = rules["lambda-iam-least-privilege-check"]
    assert inverted["Source"]["SourceIdentifier"] == "IAM_ROLE_MANAGED_POLICY_CHECK"
    assert "AdministratorAccess" in json.loads(inverted["InputParameters"])["managedPolicyArns"]
    assert "lambda-function-in-vpc" not in rules
    collected: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"ConfigRuleName": "lambda-iam-least-privilege-check", "Limit": 2}
    while True:
        page = config.get_compliance_details_by_config_rule(**kwargs)
        assert len(page["EvaluationResults"]) <= 2
        collected.extend(page["EvaluationResults"])
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    kinds = {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceType"] for r in collected}
    assert kinds == {"AWS::IAM::Role"}
    verdicts = {r["ComplianceType"] for r in collected}
    assert verdicts == {"COMPLIANT", "NON_COMPLIANT"}
    only_bad = config.get_compliance_details_by_config_rule(
        ConfigRuleName="lambda-iam-least-privilege-check", ComplianceTypes=["NON_COMPLIANT"], Limit=100
    )["EvaluationResults"]
    assert len(only_bad) == sum(r["ComplianceType"] == "NON_COMPLIANT" for r in collected)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        config.get_compliance_details_by_config_rule(ConfigRuleName="no-such-rule")
    assert _error_code(exc) == "NoSuchConfigRuleException"


def test_config_guide_rules_cannot_be_deployed(demo: DemoServer) -> None:
    rejected = {(r.source_identifier, r.rule_name): r.error for r in demo.truth.rejected_config_rules}
    assert "is invalid" in rejected[("LAMBDA_FUNCTION_IN_VPC", "lambda-function-in-vpc")]
    assert "policyArns" in rejected[("IAM_ROLE_MANAGED_POLICY_CHECK", "lambda-iam-least-privilege-check")]


def test_logs_and_alarms(demo: DemoServer, aws: Clients) -> None:
    prod = account_id(demo, "payments-prod")
    groups = {
        g["logGroupName"]: g.get("retentionInDays")
        for page in aws.member(prod, "logs")
        .get_paginator("describe_log_groups")
        .paginate(logGroupNamePrefix="/aws/lambda/")
        for g in page["logGroups"]
    }
    assert groups["/aws/lambda/payments-settlement"] == 90
    assert groups["/aws/lambda/payments-webhook-public"] is None
    alarms = aws.member(prod, "cloudwatch").describe_alarms()["MetricAlarms"]
    api = {
        a["MetricName"]
        for a in alarms
        if a["Dimensions"] == [{"Name": "FunctionName", "Value": "payments-api"}]
    }
    assert api == {"Errors", "Throttles"}
    assert all(a["Namespace"] == "AWS/Lambda" for a in alarms)


def test_truth_matches_what_is_served(demo: DemoServer, aws: Clients) -> None:
    truth = demo.truth
    assert len(truth.functions) >= 60
    assert set(truth.regions) == set(demo_regions())
    for acc in truth.reachable_accounts:
        for region in truth.regions:
            served = {
                f["FunctionArn"]
                for f in aws.member(acc.account_id, "lambda", region).list_functions()["Functions"]
            }
            seeded = {
                f.function_arn
                for f in truth.functions
                if f.account_id == acc.account_id and f.region == region
            }
            assert served == seeded, (acc.name, region)
    assert all(f.ou_path.startswith("Root") for f in truth.functions)


# A new rule needs new seeded pass and fail cases: the packaged rule files must name the ids
# the demo covers (test below).


def test_truth_covers_every_rule_with_a_pass_and_a_fail(demo: DemoServer) -> None:
    assert len(RULE_IDS) == 28
    for rule in RULE_IDS:
        assert demo.truth.expected(rule, "fail"), f"{rule} has no failing resource"
        assert demo.truth.expected(rule, "pass"), f"{rule} has no passing resource"
    assert {e.rule_id for e in demo.truth.expectations} == set(RULE_IDS)


def test_packaged_rules_are_the_rules_the_demo_covers() -> None:

    rule_files = sorted(p.stem for p in (queries_dir() / "rules").glob("*.sql"))
    if rule_files:
        assert rule_files == sorted(RULE_IDS)


def test_expectations_refer_to_reachable_seeded_resources(demo: DemoServer) -> None:
    truth = demo.truth
    reachable = {a.account_id for a in truth.reachable_accounts}
    arns = {f.function_arn for f in truth.functions}
    for exp in truth.expectations:
        assert exp.account_id in reachable
        assert exp.status in ("pass", "fail")
        if exp.resource_type == "function":
            assert exp.resource_id in arns
        elif exp.resource_type == "account-region":
            assert exp.resource_id == f"{exp.account_id}/{exp.region}"
    for fn in truth.functions:
        assert not fn.expected_failures & fn.expected_passes
    assert all(f.account_id in reachable for f in truth.functions)
    unreachable = truth.unreachable_functions
    assert {truth.account(f.account_id).name for f in unreachable} == {"acquired-startup", "legacy-archive"}
    assert all(not f.expected_failures and not f.expected_passes for f in unreachable)


@pytest.mark.parametrize(
    ("function", "fails", "passes"),
    [
        (
            "payments-webhook-public",
            {"LG-IAM-01", "LG-PUB-01", "LG-PUB-02", "LG-COST-01", "LG-COST-04"},
            set(),
        ),
        ("payments-api", set(), {"LG-PERF-01", "LG-NET-02", "LG-NET-03", "LG-IAM-06"}),
        ("data-guide-example", {"LG-IAM-09"}, {"LG-IAM-07", "LG-IAM-03", "LG-IAM-06"}),
        ("payments-dev-worker", {"LG-IAM-07"}, {"LG-IAM-06"}),
        ("payments-batch-export", {"LG-COST-02"}, {"LG-COST-01"}),
        ("orders-checkout", {"LG-RT-02"}, {"LG-PERF-01", "LG-RT-01"}),
        ("orders-search-indexer", set(), {"LG-NET-02"}),
        ("orders-worker", {"LG-NET-02", "LG-IAM-02"}, {"LG-NET-03"}),
        ("payments-api-eu", {"LG-NET-03", "LG-PERF-01"}, set()),
        ("payments-fraud-scorer", {"LG-PERF-02", "LG-IAM-05"}, set()),
        ("orders-invoice-pdf", {"LG-RT-01", "LG-RT-03"}, set()),
        ("data-quality-checks", {"LG-RT-03"}, set()),
        ("alice-experiment-1", {"LG-IAM-08"}, set()),
        ("data-pricing-engine", set(), {"LG-PERF-01"}),
    ],
)
def test_seeding_intent_of_key_functions(
    demo: DemoServer, function: str, fails: set[str], passes: set[str]
) -> None:
    fn = demo.truth.function(function)
    assert fails <= fn.expected_failures
    assert passes <= fn.expected_passes


def test_account_scoped_expectations(demo: DemoServer) -> None:
    truth = demo.truth
    by_name = {a.account_id: a.name for a in truth.accounts}
    starved = {(by_name[e.account_id], e.region) for e in truth.expected("LG-COST-03", "fail")}
    assert ("payments-prod", "us-east-1") in starved
    assert sum(1 for name, _ in starved if name.startswith("sandbox-")) == 3
    misdeployed = {by_name[e.account_id] for e in truth.expected("LG-CFG-03", "fail")}
    assert "orders-prod" in misdeployed
    detecting = {by_name[e.account_id] for e in truth.expected("LG-CFG-03", "pass")}
    assert {"payments-prod", "security-tooling"} <= detecting
