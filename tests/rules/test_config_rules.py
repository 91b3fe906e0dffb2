"""LG-CFG-01..04: Config recorders, rules and evaluations, judged where the Config unit ran."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rules.helpers import (
    ACCT,
    OTHER_ACCT,
    REGION,
    REGION2,
    fn_arn,
    function,
    judge,
    only,
    role,
    role_arn,
    unit,
)

CONFIG_TABLES = ("config_recorders", "config_rules", "config_compliance")
GUIDE_RULE_2_PARAMETERS = (
    '{"policyArns":"arn:aws:iam::aws:policy/AdministratorAccess,arn:aws:iam::aws:policy/PowerUserAccess"}'
)


def _config_ran(*regions: str, account: str = ACCT) -> list[dict[str, Any]]:
    return [unit("config", CONFIG_TABLES, account=account, region=r) for r in regions]


def _recorder(
    region: str = REGION,
    *,
    recording: bool = True,
    include_global: bool = True,
    account: str = ACCT,
    resource_types: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "account_id": account,
        "region": region,
        "recorder_name": "default",
        "recording": recording,
        "all_supported": resource_types is None,
        "include_global": include_global and resource_types is None,
        "resource_types": resource_types or [],
        "last_status": "SUCCESS" if recording else "PENDING",
    }


def _rule(
    name: str,
    identifier: str,
    region: str = REGION,
    *,
    params: str | None = None,
    state: str = "ACTIVE",
    owner: str = "AWS",
) -> dict[str, Any]:
    return {
        "account_id": ACCT,
        "region": region,
        "rule_name": name,
        "rule_arn": f"arn:aws:config:{region}:{ACCT}:config-rule/{name}",
        "source_owner": owner,
        "source_identifier": identifier,
        "input_parameters": params,
        "state": state,
    }


def test_cfg_01_judges_every_region_where_config_was_read() -> None:
    records = {
        "coverage": [
            *_config_ran(REGION, REGION2, "ap-south-1"),
            unit("lambda", ["functions"], region="sa-east-1"),
        ],
        "config_recorders": [_recorder(REGION), _recorder(REGION2, recording=False)],
    }
    findings = judge(records, "LG-CFG-01")
    assert sorted(findings["region"]) == ["ap-south-1", REGION, REGION2]
    assert only(findings, "LG-CFG-01", f"{ACCT}/{REGION}")["status"] == "pass"
    stopped = only(findings, "LG-CFG-01", f"{ACCT}/{REGION2}")
    assert stopped["status"] == "fail" and "is not recording (last status PENDING)" in stopped["reason"]
    assert stopped["remediation"] == (
        "aws configservice start-configuration-recorder --configuration-recorder-name default "
        f"--region {REGION2}"
    )
    missing = only(findings, "LG-CFG-01", f"{ACCT}/ap-south-1")
    assert missing["status"] == "fail" and missing["reason"].startswith("No AWS Config recorder in")
    assert missing["remediation"].startswith("aws configservice put-configuration-recorder")
    assert missing["resource_type"] == "account-region" and missing["resource_arn"] is None


def _strategy(recorder: dict[str, Any], strategy: str, excluded: list[str] | None = None) -> dict[str, Any]:
    return {
        **recorder,
        "all_supported": False,
        "recording_strategy": strategy,
        "excluded_types": excluded or [],
    }


def test_cfg_01_a_recorder_not_recording_lambda_fails_saying_so() -> None:
    lambda_out = _strategy(_recorder(REGION), "EXCLUSION_BY_RESOURCE_TYPES", ["AWS::Lambda::Function"])
    only_s3 = _strategy(_recorder(REGION2, resource_types=["AWS::S3::Bucket"]), "INCLUSION_BY_RESOURCE_TYPES")
    records = {"coverage": _config_ran(REGION, REGION2), "config_recorders": [lambda_out, only_s3]}
    findings = judge(records, "LG-CFG-01")
    excluded = only(findings, "LG-CFG-01", f"{ACCT}/{REGION}")
    assert excluded["status"] == "fail"
    assert "default (excludes AWS::Lambda::Function) is recording" in excluded["reason"]
    assert "but not AWS::Lambda::Function" in excluded["reason"]
    # exclusion records the IAM types whatever includeGlobalResourceTypes says
    assert f"AWS::IAM::Role is recorded in {REGION}" in excluded["reason"]
    assert "allSupported=true" in excluded["remediation"]
    included = only(findings, "LG-CFG-01", f"{ACCT}/{REGION2}")
    assert included["status"] == "fail" and "records only AWS::S3::Bucket" in included["reason"]


def test_cfg_01_roles_unrecorded_in_every_region_fail_where_to_record_them() -> None:
    records = {
        "coverage": _config_ran("us-east-1", REGION) + _config_ran(REGION, account=OTHER_ACCT),
        "config_recorders": [
            _recorder("us-east-1", include_global=False),
            _recorder(REGION, include_global=False),
            _recorder(REGION, account=OTHER_ACCT),
        ],
    }
    findings = judge(records, "LG-CFG-01")
    home = only(findings, "LG-CFG-01", f"{ACCT}/us-east-1")
    assert home["status"] == "fail"
    assert f"AWS::IAM::Role is recorded in no region of {ACCT}" in home["reason"]
    assert "us-east-1 is where to turn them on" in home["reason"]
    assert "includeGlobalResourceTypes=true --region us-east-1" in home["remediation"]
    other_region = only(findings, "LG-CFG-01", f"{ACCT}/{REGION}")
    assert other_region["status"] == "pass" and "recorded in no region" in other_region["reason"]
    assert only(findings, "LG-CFG-01", f"{OTHER_ACCT}/{REGION}")["status"] == "pass"


def test_cfg_01_roles_cannot_be_recorded_in_regions_opened_after_2022() -> None:
    records = {"coverage": _config_ran("eu-central-2"), "config_recorders": [_recorder("eu-central-2")]}
    finding = only(judge(records, "LG-CFG-01"), "LG-CFG-01")
    assert finding["status"] == "fail" and "recorded in no region" in finding["reason"]


def test_cfg_01_skips_account_regions_never_crawled() -> None:
    records = {"coverage": [unit("config", CONFIG_TABLES, status="skipped", message="region not enabled")]}
    assert judge(records, "LG-CFG-01").empty


@pytest.mark.parametrize(
    ("rules", "status", "fragment"),
    [
        ([], "fail", "No LAMBDA_INSIDE_VPC Config rule is deployed"),
        ([_rule("vpc", "LAMBDA_INSIDE_VPC", state="DELETING")], "fail", "No LAMBDA_INSIDE_VPC"),
        ([_rule("vpc", "LAMBDA_INSIDE_VPC", REGION2)], "fail", "No LAMBDA_INSIDE_VPC"),
        ([_rule("lambda-function-in-vpc", "LAMBDA_INSIDE_VPC")], "pass", "as lambda-function-in-vpc"),
    ],
)
def test_cfg_02(rules: list[dict[str, Any]], status: str, fragment: str) -> None:
    records = {"coverage": _config_ran(REGION), "config_rules": rules}
    finding = only(judge(records, "LG-CFG-02"), "LG-CFG-02")
    assert finding["status"] == status and fragment in finding["reason"]
    assert (
        "LAMBDA_FUNCTION_IN_VPC does not exist" in finding["reason"]
        or "non-existent LAMBDA_FUNCTION_IN_VPC" in finding["reason"]
    )


def test_cfg_03_inverted_managed_policy_check_is_misdeployed() -> None:
    records = {
        "coverage": _config_ran(REGION, REGION2),
        "config_recorders": [_recorder(REGION), _recorder(REGION2, include_global=False)],
        "config_rules": [
            _rule(
                "lambda-iam-least-privilege-check",
                "IAM_ROLE_MANAGED_POLICY_CHECK",
                params=GUIDE_RULE_2_PARAMETERS,
            )
        ],
    }
    finding = only(judge(records, "LG-CFG-03"), "LG-CFG-03")
    assert finding["status"] == "fail"
    assert (
        finding["resource_id"] == ACCT
        and finding["region"] == "global"
        and finding["resource_type"] == "account"
    )
    assert "misdeployed" in finding["reason"] and "LACK those policies" in finding["reason"]
    assert finding["remediation"].startswith(
        "aws configservice delete-config-rule --config-rule-name lambda-iam-least-privilege-check "
        f"--region {REGION} && "
        f"aws configservice put-config-rule --region {REGION} "
    )


def test_cfg_03_admin_access_rule_where_iam_is_recorded_passes() -> None:
    records = {
        "coverage": _config_ran(REGION, REGION2),
        "config_recorders": [
            _recorder(REGION, include_global=False),
            _recorder(REGION2, resource_types=["AWS::IAM::Role"]),
        ],
        "config_rules": [_rule("no-admin", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", REGION2)],
    }
    finding = only(judge(records, "LG-CFG-03"), "LG-CFG-03")
    assert finding["status"] == "pass" and f"no-admin ({REGION2})" in finding["reason"]
    assert "misdeployed" not in finding["reason"]


def test_cfg_03_rule_outside_the_global_region_does_not_count() -> None:
    records = {
        "coverage": _config_ran(REGION, REGION2),
        "config_recorders": [_recorder(REGION), _recorder(REGION2, include_global=False)],
        "config_rules": [_rule("no-admin", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", REGION2)],
    }
    finding = only(judge(records, "LG-CFG-03"), "LG-CFG-03")
    assert finding["status"] == "fail"
    assert f"is deployed in {REGION}, where account {ACCT} records IAM" in finding["reason"]


def test_cfg_03_without_a_global_recorder_fails_and_says_why() -> None:
    records = {
        "coverage": [*_config_ran(REGION, REGION2), *_config_ran(REGION, account=OTHER_ACCT)],
        "config_recorders": [
            _recorder(REGION, include_global=False),
            _recorder(REGION2, recording=False),
            _recorder(REGION, account=OTHER_ACCT),
        ],
        "config_rules": [_rule("no-admin", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS")],
    }
    findings = judge(records, "LG-CFG-03")
    finding = only(findings, "LG-CFG-03", ACCT)
    assert finding["status"] == "fail"
    assert f"records global IAM resources (regions read: {REGION}, {REGION2})" in finding["reason"]
    assert finding["remediation"].startswith("Record IAM in one region first")
    assert only(findings, "LG-CFG-03", OTHER_ACCT)["status"] == "fail"


def _evaluation(rule: str, rtype: str, rid: str, compliance: str) -> dict[str, Any]:
    return {
        "account_id": ACCT,
        "region": REGION,
        "rule_name": rule,
        "resource_type": rtype,
        "resource_id": rid,
        "compliance": compliance,
        "annotation": "not in a VPC" if compliance == "NON_COMPLIANT" else None,
    }


def _compliance_units(*regions: str, status: str = "ok") -> list[dict[str, Any]]:
    return [
        unit(
            "config_compliance",
            ["config_compliance"],
            region=r,
            status=status,
            error_code="ThrottlingException" if status == "error" else None,
            message="Rate exceeded (after 3 attempts)" if status == "error" else None,
        )
        for r in regions
    ]


def _scoped_rule(name: str, identifier: str, region: str = REGION, **scope: Any) -> dict[str, Any]:
    return {
        **_rule(name, identifier, region),
        "scope_resource_types": scope.get("types", []),
        "scope_tag_key": scope.get("tag_key"),
        "scope_tag_value": scope.get("tag_value"),
    }


def _cfg_04_world() -> dict[str, list[dict[str, Any]]]:
    """Hand-written: REGION records everything (IAM included) and deploys a Lambda rule, a role
    rule and an S3 rule; Config reports function api and role worker-role NON_COMPLIANT, and a
    bucket, which LG-CFG-04 ignores. REGION2 records functions only; its compliance read failed."""
    roles = [
        role("api-role", role_id="AROAAPI"),
        role("worker-role", role_id="AROAWORKER"),
        role("unused-role", role_id="AROAUNUSED"),  # no function uses it: no pass row
        role("lonely-role", role_id="AROALONELY"),  # eu-only's, in REGION2
    ]
    return {
        "coverage": [*_config_ran(REGION, REGION2), *_compliance_units(REGION)]
        + _compliance_units(REGION2, status="error"),
        "config_recorders": [_recorder(REGION), _recorder(REGION2, include_global=False)],
        "config_rules": [
            _scoped_rule("lambda-inside-vpc", "LAMBDA_INSIDE_VPC"),
            _scoped_rule("iam-check", "IAM_ROLE_MANAGED_POLICY_CHECK", types=["AWS::IAM::Role"]),
            _scoped_rule("s3-check", "S3_BUCKET_VERSIONING_ENABLED", types=["AWS::S3::Bucket"]),
            _scoped_rule("lambda-inside-vpc", "LAMBDA_INSIDE_VPC", REGION2),
        ],
        "config_compliance": [
            _evaluation("lambda-inside-vpc", "AWS::Lambda::Function", "api", "NON_COMPLIANT"),
            _evaluation("iam-check", "AWS::IAM::Role", "AROAWORKER", "NON_COMPLIANT"),
            _evaluation("iam-check", "AWS::IAM::Role", "AROAUNUSED", "NON_COMPLIANT"),
            _evaluation("s3-check", "AWS::S3::Bucket", "bucket", "NON_COMPLIANT"),
        ],
        "functions": [
            function("api"),
            function("worker"),
            function("eu-only", region=REGION2, role="lonely-role"),
        ],
        "roles": roles,
    }


def test_cfg_04_fails_non_compliant_and_passes_what_a_rule_evaluates_without_complaint() -> None:
    findings = judge(_cfg_04_world(), "LG-CFG-04")

    api = only(findings, "LG-CFG-04", "lambda-inside-vpc/AWS::Lambda::Function/api")
    assert api["status"] == "fail" and api["resource_type"] == "config-resource"
    assert api["resource_arn"] == fn_arn("api")
    assert (
        api["reason"]
        == "AWS Config rule lambda-inside-vpc reports Lambda function api NON_COMPLIANT: not in a VPC"
    )
    assert "--config-rule-name lambda-inside-vpc --compliance-types NON_COMPLIANT" in api["remediation"]
    worker = only(findings, "LG-CFG-04", "AWS::Lambda::Function/worker")
    assert worker["status"] == "pass" and worker["resource_arn"] == fn_arn("worker")
    assert worker["reason"] == (
        f"No AWS Config rule in {ACCT}/{REGION} reports Lambda function worker NON_COMPLIANT"
        " (rules that evaluate it: lambda-inside-vpc)"
    )
    # roles by RoleId, judged where IAM is recorded (REGION) by the role-scoped rule only
    api_role = only(findings, "LG-CFG-04", "AWS::IAM::Role/AROAAPI")
    assert (api_role["status"], api_role["region"]) == ("pass", REGION)
    assert "(rules that evaluate it: iam-check)" in api_role["reason"]
    worker_role = only(findings, "LG-CFG-04", "iam-check/AWS::IAM::Role/AROAWORKER")
    assert worker_role["status"] == "fail" and worker_role["resource_arn"] == role_arn("worker-role")
    assert "IAM role worker-role (AROAWORKER) NON_COMPLIANT" in worker_role["reason"]
    # a non-compliant role that runs no function is still reported; a compliant one is not judged
    assert only(findings, "LG-CFG-04", "iam-check/AWS::IAM::Role/AROAUNUSED")["status"] == "fail"
    assert not findings["resource_id"].str.contains("bucket").any()
    # IAM is global: eu-only's role is judged where roles are recorded, not where the function runs
    lonely = only(findings, "LG-CFG-04", "AWS::IAM::Role/AROALONELY")
    assert (lonely["status"], lonely["region"]) == ("pass", REGION)
    assert "AWS::Lambda::Function/api" not in set(findings["resource_id"])  # its fail stands alone
    # REGION2's compliance read failed: its function is an error, never a pass
    eu_only = only(findings, "LG-CFG-04", "AWS::Lambda::Function/eu-only")
    assert eu_only["status"] == "error" and "ThrottlingException" in eu_only["reason"]
    assert len(findings) == 7


def test_cfg_04_judges_only_where_recorded_and_by_rules_that_can_evaluate_the_resource() -> None:
    world = _cfg_04_world()
    # REGION records only S3 buckets; REGION2's recorder is stopped: nothing is evaluated
    world["config_recorders"] = [
        _recorder(REGION, resource_types=["AWS::S3::Bucket"]),
        _recorder(REGION2, recording=False),
    ]
    world["config_compliance"] = []
    world["coverage"] = [*_config_ran(REGION, REGION2), *_compliance_units(REGION, REGION2)]
    assert judge(world, "LG-CFG-04").empty


def test_cfg_04_a_tag_scoped_rule_evaluates_only_tagged_functions_and_no_role() -> None:
    world = _cfg_04_world()
    world["config_rules"] = [
        _scoped_rule("high-risk", "LAMBDA_CONCURRENCY_CHECK", tag_key="CostControl", tag_value="HighRisk"),
        _scoped_rule("custom-any", "arn:aws:lambda:eu-west-1:111111111111:function:check", tag_key="x"),
    ]
    world["config_rules"][1]["source_owner"] = "CUSTOM_LAMBDA"
    world["coverage"] = [*_config_ran(REGION, REGION2), *_compliance_units(REGION, REGION2)]
    world["functions"] = [function("api", tags={"CostControl": "HighRisk"}), function("worker")]
    world["config_compliance"] = []
    findings = judge(world, "LG-CFG-04")
    assert list(findings["resource_id"]) == ["AWS::Lambda::Function/api"]
    assert only(findings, "LG-CFG-04", "AWS::Lambda::Function/api")["status"] == "pass"


def test_cfg_04_without_role_ids_judges_no_role_but_keeps_config_failures() -> None:
    world = _cfg_04_world()
    for r in world["roles"]:
        r["role_id"] = None  # evidence written before roles.role_id was read
    findings = judge(world, "LG-CFG-04")
    assert not findings["resource_id"].str.startswith("AWS::IAM::Role/").any()
    worker_role = only(findings, "LG-CFG-04", "iam-check/AWS::IAM::Role/AROAWORKER")
    assert worker_role["status"] == "fail" and "IAM role AROAWORKER NON_COMPLIANT" in worker_role["reason"]


def test_a_failed_compliance_unit_errs_lg_cfg_04_only_and_keeps_lg_cfg_01_to_03() -> None:
    # REGION2's compliance read failed (ThrottlingException); its recorders and rules were read
    findings = judge(_cfg_04_world(), "LG-CFG-01", "LG-CFG-02", "LG-CFG-04")
    region2 = findings[findings["region"] == REGION2]
    assert set(region2[region2["status"] == "error"]["rule_id"]) == {"LG-CFG-04"}
    # REGION2 records functions, not roles; REGION records roles for the account: LG-CFG-01 passes
    assert only(region2, "LG-CFG-01")["status"] == "pass"
    assert only(region2, "LG-CFG-02")["status"] == "pass"
    assert only(findings, "LG-CFG-04", "AWS::Lambda::Function/eu-only")["status"] == "error"
    # and REGION's LG-CFG-04 verdicts, read there, are untouched
    assert only(findings, "LG-CFG-04", "AWS::Lambda::Function/worker")["status"] == "pass"
