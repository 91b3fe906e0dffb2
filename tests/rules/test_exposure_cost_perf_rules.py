"""LG-PUB-01/02, LG-COST-01..04, LG-PERF-01..03."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reporter.settings import Settings, Thresholds
from tests.rules.helpers import ACCT, REGION, RUN_DATE, fn_arn, function, judge, only

HIGH_RISK = {"CostControl": "HighRisk"}


def _statement(sid: str, *, public: bool, effect: str = "Allow", name: str = "api") -> dict[str, Any]:
    return {
        "account_id": ACCT,
        "region": REGION,
        "function_arn": fn_arn(name),
        "sid": sid,
        "effect": effect,
        "principal": '"*"' if public else '{"Service":"s3.amazonaws.com"}',
        "action": '"lambda:InvokeFunction"',
        "condition": None,
        "is_public": public,
    }


@pytest.mark.parametrize(
    ("statements", "status", "fragment"),
    [
        ([], "pass", "api has no resource-based policy"),
        ([_statement("s3", public=False)], "pass", "(1 statement(s)) allows no public access"),
        ([_statement("deny-all", public=True, effect="Deny")], "pass", "allows no public access"),
        (
            [_statement("s3", public=False), _statement("open", public=True)],
            "fail",
            "lets anyone (Principal *) call lambda:InvokeFunction without a condition",
        ),
    ],
)
def test_pub_01(statements: list[dict[str, Any]], status: str, fragment: str) -> None:
    finding = only(
        judge({"functions": [function("api")], "function_policies": statements}, "LG-PUB-01"), "LG-PUB-01"
    )
    assert finding["status"] == status and fragment in finding["reason"]
    if status == "fail":
        assert "statement(s) open" in finding["reason"]
        assert (
            finding["remediation"]
            == "aws lambda remove-permission --function-name api --region eu-west-1 --statement-id open"
        )


def test_pub_01_sees_a_public_statement_on_an_alias_and_names_it() -> None:
    private = _statement("s3", public=False)
    on_alias = {**_statement("open", public=True), "qualifier": "live"}
    finding = only(
        judge({"functions": [function("api")], "function_policies": [private, on_alias]}, "LG-PUB-01"),
        "LG-PUB-01",
    )
    assert finding["status"] == "fail"
    assert "statement(s) open on qualifier live" in finding["reason"]
    assert finding["remediation"] == (
        "aws lambda remove-permission --function-name api --region eu-west-1 --qualifier live "
        "--statement-id open"
    )


@pytest.mark.parametrize(
    ("urls", "status", "fragment", "remediation"),
    [
        ([], "pass", "api has no function URL", None),
        ([("AWS_IAM", None)], "pass", "all with AuthType AWS_IAM", None),
        (
            [("AWS_IAM", None), ("NONE", "live")],
            "fail",
            "AuthType NONE, callable by anyone on the internet: alias live: ",
            "aws lambda update-function-url-config --function-name api --region eu-west-1 --qualifier live "
            "--auth-type AWS_IAM",
        ),
    ],
)
def test_pub_02(
    urls: list[tuple[str, str | None]], status: str, fragment: str, remediation: str | None
) -> None:
    rows = [
        {
            "account_id": ACCT,
            "region": REGION,
            "function_arn": fn_arn("api"),
            "qualifier": q,
            "url": f"https://{q or 'base'}.lambda-url.eu-west-1.on.aws/",
            "auth_type": auth,
        }
        for auth, q in urls
    ]
    finding = only(judge({"functions": [function("api")], "function_urls": rows}, "LG-PUB-02"), "LG-PUB-02")
    assert finding["status"] == status and fragment in finding["reason"]
    assert finding["remediation"] == remediation


def test_cost_01_and_02_apply_only_to_high_risk_functions() -> None:
    records = {
        "functions": [
            function("untagged"),
            function("runaway", tags=HIGH_RISK),
            function("capped", tags=HIGH_RISK, reserved_concurrency=5),
            function("loose", tags=HIGH_RISK, reserved_concurrency=50),
            function("otherwise", tags={"CostControl": "highrisk"}),
        ]
    }
    findings = judge(records, "LG-COST-01", "LG-COST-02")
    cost1 = findings[findings["rule_id"] == "LG-COST-01"]
    assert sorted(cost1["resource_id"]) == ["capped", "loose", "runaway"]
    runaway = only(findings, "LG-COST-01", "runaway")
    assert runaway["status"] == "fail" and "has no reserved concurrency" in runaway["reason"]
    assert runaway["remediation"] == (
        "aws lambda put-function-concurrency --function-name runaway --region eu-west-1 "
        "--reserved-concurrent-executions 5"
    )
    assert only(findings, "LG-COST-01", "capped")["status"] == "pass"
    cost2 = findings[findings["rule_id"] == "LG-COST-02"]
    assert sorted(cost2["resource_id"]) == ["capped", "loose"]
    loose = only(findings, "LG-COST-02", "loose")
    assert (
        loose["status"] == "fail"
        and "reserves 50 concurrent executions, above the cap of 5" in loose["reason"]
    )
    assert only(findings, "LG-COST-02", "capped")["status"] == "pass"


def test_cost_rules_follow_the_settings() -> None:
    thresholds = dataclasses.replace(
        Thresholds(), high_risk_tag_key="Tier", high_risk_tag_value="burst", concurrency_cap=60
    )
    settings = Settings(run_date=RUN_DATE, thresholds=thresholds)
    records = {
        "functions": [
            function("loose", tags={"Tier": "burst"}, reserved_concurrency=50),
            function("old-tag", tags=HIGH_RISK),
        ]
    }
    findings = judge(records, "LG-COST-01", "LG-COST-02", settings=settings)
    assert list(findings["resource_id"]) == ["loose", "loose"]
    assert set(findings["status"]) == {"pass"}
    assert "Tier=burst" in only(findings, "LG-COST-01")["reason"]


@pytest.mark.parametrize(
    ("limit", "unreserved", "status", "fragment"),
    [
        (1000, 900, "pass", "at or above the floor of 200"),
        (1000, 150, "fail", "below the floor of 200 (the larger of 100 and 20.0 % of the limit)"),
        (200, 90, "fail", "below the floor of 100"),
        (200, 100, "pass", "at or above the floor of 100"),
    ],
)
def test_cost_03(limit: int, unreserved: int, status: str, fragment: str) -> None:
    row = {
        "account_id": ACCT,
        "region": REGION,
        "concurrency_limit": limit,
        "unreserved_concurrency": unreserved,
        "reserved_total": limit - unreserved,
    }
    finding = only(judge({"account_concurrency": [row]}, "LG-COST-03"), "LG-COST-03")
    assert finding["resource_id"] == f"{ACCT}/{REGION}" and finding["resource_arn"] is None
    assert finding["resource_type"] == "account-region"
    assert finding["status"] == status and fragment in finding["reason"]
    if status == "fail":
        assert "--quota-code L-B99A9384" in finding["remediation"]


@pytest.mark.parametrize(
    ("retention", "status", "fragment"),
    [(None, "fail", "never expires (1.0 MiB stored"), (30, "pass", "expires after 30 days")],
)
def test_cost_04(retention: int | None, status: str, fragment: str) -> None:
    records = {
        "functions": [function("api"), function("silent")],
        "log_groups": [
            {
                "account_id": ACCT,
                "region": REGION,
                "log_group": "/aws/lambda/api",
                "function_name": "api",
                "retention_days": retention,
                "stored_bytes": 1048576,
            }
        ],
    }
    findings = judge(records, "LG-COST-04")
    finding = only(findings, "LG-COST-04")  # "silent" has no log group: not applicable
    assert finding["resource_id"] == "api" and finding["status"] == status and fragment in finding["reason"]
    if status == "fail":
        assert finding["remediation"] == (
            "aws logs put-retention-policy --log-group-name /aws/lambda/api --retention-in-days 90 "
            "--region eu-west-1"
        )


def _pc(qualifier: str, requested: int, status: str = "READY") -> dict[str, Any]:
    return {
        "account_id": ACCT,
        "region": REGION,
        "function_arn": fn_arn("api"),
        "qualifier": qualifier,
        "requested": requested,
        "allocated": requested,
        "status": status,
    }


@pytest.mark.parametrize(
    ("snap_start", "configs", "status", "fragment"),
    [
        ("None", [], "fail", "neither provisioned concurrency on a version or alias nor SnapStart"),
        ("None", [_pc("live", 0)], "fail", "neither provisioned concurrency"),
        ("None", [_pc("live", 5, "FAILED")], "fail", "neither provisioned concurrency"),
        ("None", [_pc("live", 5)], "pass", "has provisioned concurrency on live (5)"),
        ("PublishedVersions", [], "pass", "uses SnapStart on published versions"),
    ],
)
def test_perf_01(snap_start: str, configs: list[dict[str, Any]], status: str, fragment: str) -> None:
    records = {
        "functions": [
            function("api", tags={"LatencyCritical": "True"}, snap_start=snap_start),
            function("batch"),
        ],
        "provisioned_concurrency": configs,
    }
    finding = only(judge(records, "LG-PERF-01"), "LG-PERF-01")
    assert finding["resource_id"] == "api" and finding["status"] == status and fragment in finding["reason"]


def test_perf_02_judges_zip_packages_against_the_threshold() -> None:
    records = {
        "functions": [
            function("big", code_size=12 * 1048576),
            function("small", code_size=3 * 1048576),
            function("image", package_type="Image", runtime=None, code_size=500 * 1048576),
        ]
    }
    findings = judge(records, "LG-PERF-02")
    assert sorted(findings["resource_id"]) == ["big", "small"]
    big = only(findings, "LG-PERF-02", "big")
    assert big["status"] == "fail" and "is 12.0 MiB zipped; above the 10.0 MiB threshold" in big["reason"]
    assert only(findings, "LG-PERF-02", "small")["status"] == "pass"


@pytest.mark.parametrize(
    ("alarms", "status", "fragment"),
    [
        ([], "fail", "No CloudWatch alarm watches the Errors or Throttles metric of api"),
        ([("api-duration", "Duration")], "fail", "No CloudWatch alarm"),
        ([("api-throttles", "Throttles")], "pass", "api-throttles (Throttles)"),
    ],
)
def test_perf_03(alarms: list[tuple[str, str]], status: str, fragment: str) -> None:
    rows = [
        {
            "account_id": ACCT,
            "region": REGION,
            "alarm_name": a,
            "function_name": "api",
            "metric_name": m,
            "namespace": "AWS/Lambda",
        }
        for a, m in alarms
    ]
    finding = only(judge({"functions": [function("api")], "alarms": rows}, "LG-PERF-03"), "LG-PERF-03")
    assert finding["status"] == status and fragment in finding["reason"]
    if status == "fail":
        assert "--metric-name Errors --dimensions Name=FunctionName,Value=api" in finding["remediation"]
