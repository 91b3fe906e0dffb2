"""Error rows: a resource whose data was not read is never judged pass (reporter/rules/error_rows.py)."""

from __future__ import annotations

import pandas as pd

from tests.rules.helpers import (
    ACCT,
    OTHER_ACCT,
    REGION,
    REGION2,
    fn_arn,
    function,
    judge,
    merge,
    only,
    policy_arn,
    role_arn,
    unit,
    with_role,
)

LAMBDA_TABLES = [
    "functions",
    "function_policies",
    "function_urls",
    "provisioned_concurrency",
    "account_concurrency",
]
IAM_TABLES = ["roles", "policy_documents"]
IAM_RULES_ON_FACTS = ["LG-IAM-02", "LG-IAM-03", "LG-IAM-04", "LG-IAM-08"]


def _rows(findings: pd.DataFrame, **where: str) -> pd.DataFrame:
    mask = pd.Series(True, index=findings.index)
    for column, value in where.items():
        mask &= findings[column] == value
    return findings[mask]


def test_unit_wide_lambda_error_gives_error_rows_never_pass() -> None:
    records = merge(
        with_role(function("east", region=REGION2, tags={"CostControl": "HighRisk"})),
        {
            "coverage": [
                unit("lambda", LAMBDA_TABLES, region=REGION2),
                unit(
                    "lambda",
                    LAMBDA_TABLES,
                    status="error",
                    error_code="AccessDenied",
                    message="not authorized to perform lambda:ListFunctions",
                ),
            ]
        },
    )
    findings = judge(records)
    broken = _rows(findings, region=REGION)
    assert not broken.empty and set(broken["status"]) == {"error"}
    assert set(broken["resource_type"]) == {"unit"} and set(broken["resource_id"]) == {f"{ACCT}/{REGION}"}
    # every rule that reads a Lambda table says so; IAM-only and Config rules have nothing there
    assert {"LG-NET-01", "LG-PUB-01", "LG-COST-01", "LG-COST-03", "LG-IAM-01"} <= set(broken["rule_id"])
    assert not {"LG-CFG-01", "LG-CFG-04"} & set(broken["rule_id"])
    net = only(broken, "LG-NET-01")
    assert net["reason"] == (
        f"not judged: functions not read in {ACCT}/{REGION} "
        "(lambda: AccessDenied: not authorized to perform lambda:ListFunctions)"
    )
    assert net["remediation"] is None
    # the healthy region is judged as usual, except rules that count across the account's regions
    east = _rows(findings, region=REGION2)
    assert only(east, "LG-NET-01")["status"] == "fail"
    assert only(east, "LG-COST-01")["status"] == "fail"
    assert only(east, "LG-IAM-05")["status"] == "error"


def test_partial_unit_error_marks_only_rules_reading_the_unread_table() -> None:
    records = merge(
        with_role(function("api")),
        {
            "coverage": [
                unit(
                    "lambda",
                    ["function_urls"],
                    status="error",
                    error_code="NotImplemented",
                    message="list_function_url_configs",
                )
            ]
        },
    )
    findings = judge(records, "LG-PUB-02", "LG-NET-01")
    pub = only(findings, "LG-PUB-02", "api")
    assert pub["status"] == "error" and "function_urls not read in" in pub["reason"]
    assert pub["resource_arn"] == fn_arn("api")
    assert only(findings, "LG-NET-01", "api")["status"] == "fail"


def test_one_functions_unread_policy_marks_only_its_pub_01_row() -> None:
    records = merge(
        with_role(function("a")),
        with_role(function("b")),
        {
            "coverage": [
                unit(
                    "lambda",
                    ["function_policies"],
                    status="error",
                    error_code="ThrottlingException",
                    message="Rate exceeded",
                    resource_arn=fn_arn("a"),
                )
            ]
        },
    )
    findings = judge(records, "LG-PUB-01", "LG-PUB-02")
    a = only(findings, "LG-PUB-01", "a")
    assert a["status"] == "error"
    assert a["reason"] == (
        f"not judged: function_policies not read for {fn_arn('a')} "
        "(lambda: ThrottlingException: Rate exceeded)"
    )
    assert only(findings, "LG-PUB-01", "b")["status"] == "pass"
    assert only(findings, "LG-PUB-02", "a")["status"] == "pass"


def test_resource_error_adds_the_row_a_rule_did_not_return() -> None:
    # The tags of "hot" were unread: whether LG-COST-01 applies is unknown, so it is an error row.
    records = merge(
        with_role(function("hot")),
        {
            "coverage": [
                unit(
                    "lambda",
                    ["functions"],
                    status="error",
                    error_code="AccessDenied",
                    message="ListTags",
                    resource_arn=fn_arn("hot"),
                ),
                unit(
                    "lambda",
                    ["functions"],
                    status="error",
                    error_code="AccessDenied",
                    message="GetFunction",
                    resource_arn=fn_arn("ghost"),
                ),
            ]
        },
    )
    findings = judge(records, "LG-COST-01")
    assert list(findings["resource_id"]) == ["ghost", "hot"]
    assert set(findings["status"]) == {"error"} and set(findings["resource_type"]) == {"function"}
    assert only(findings, "LG-COST-01", "ghost")["resource_arn"] == fn_arn("ghost")


def test_iam_unit_error_makes_iam_rules_error_in_every_region_of_the_account() -> None:
    records = merge(
        {"functions": [function("west"), function("east", region=REGION2)]},
        with_role(function("other", account=OTHER_ACCT)),
        {
            "coverage": [
                unit(
                    "iam",
                    IAM_TABLES,
                    region="global",
                    status="error",
                    error_code="AccessDenied",
                    message="GetAccountAuthorizationDetails",
                )
            ]
        },
    )
    findings = judge(records)
    mine = _rows(findings, account_id=ACCT)
    for rule_id in [*IAM_RULES_ON_FACTS, "LG-IAM-01", "LG-IAM-06", "LG-IAM-07", "LG-IAM-09"]:
        rows = _rows(mine, rule_id=rule_id)
        assert sorted(rows["resource_id"]) == ["east", "west"], rule_id
        assert set(rows["status"]) == {"error"}, rule_id
        assert all(
            r.startswith("not judged: ") and f" not read in {ACCT}/global (iam: AccessDenied" in r
            for r in rows["reason"]
        )
    # not IAM: judged; the other account: judged
    assert set(_rows(mine, rule_id="LG-IAM-05")["status"]) == {"pass"}
    assert set(_rows(mine, rule_id="LG-NET-01")["status"]) == {"fail"}
    assert only(findings, "LG-IAM-01", "other")["status"] == "pass"


def test_iam_unit_error_in_an_account_without_functions_gives_one_unit_row_per_iam_rule() -> None:
    records = {
        "coverage": [
            unit("lambda", LAMBDA_TABLES),
            unit("iam", IAM_TABLES, region="global", status="error", error_code="Timeout"),
        ]
    }
    findings = judge(records)
    assert set(findings["resource_id"]) == {f"{ACCT}/global"} and set(findings["status"]) == {"error"}
    assert "LG-IAM-05" not in set(findings["rule_id"])  # reads functions only
    assert "LG-IAM-01" in set(findings["rule_id"])


def test_role_with_analysis_error_gives_error_rows_naming_the_problem() -> None:
    records = with_role(function("odd"), analysis_error="policy app-policy is not valid JSON")
    findings = judge(records)
    for rule_id in IAM_RULES_ON_FACTS:
        finding = only(findings, rule_id, "odd")
        assert finding["status"] == "error"
        assert finding["reason"] == (
            f"not judged: the IAM analysis of execution role {role_arn('odd-role')} failed: "
            "policy app-policy is not valid JSON"
        )
    # attachments and the boundary are read from roles, not from the analysis: still judged;
    # IAM-07/09 do not apply (no boundary)
    assert only(findings, "LG-IAM-01", "odd")["status"] == "pass"
    assert only(findings, "LG-IAM-06", "odd")["status"] == "fail"
    assert _rows(findings, rule_id="LG-IAM-07").empty


def test_role_missing_from_the_inventory() -> None:
    findings = judge({"functions": [function("orphan")]}, "LG-IAM-01", "LG-IAM-07", "LG-NET-01")
    for rule_id in ("LG-IAM-01", "LG-IAM-07"):
        finding = only(findings, rule_id, "orphan")
        assert finding["status"] == "error"
        assert (
            f"execution role {role_arn('orphan-role')} of orphan is not in the IAM inventory"
            in finding["reason"]
        )
    assert only(findings, "LG-NET-01", "orphan")["status"] == "fail"


def test_role_without_facts_is_not_judged() -> None:
    records = with_role(function("fresh"))
    records["role_facts"] = []
    finding = only(judge(records, "LG-IAM-02"), "LG-IAM-02")
    assert finding["status"] == "error" and "was not analysed" in finding["reason"]


def test_unread_managed_policy_marks_functions_whose_role_attaches_it() -> None:
    shared = policy_arn("shared-policy")
    records = merge(
        with_role(function("uses"), attached=[shared]),
        with_role(function("free")),
        {
            "coverage": [
                unit(
                    "iam",
                    ["policy_documents"],
                    region="global",
                    status="error",
                    error_code="NoSuchEntity",
                    message="policy version gone",
                    resource_arn=shared,
                )
            ]
        },
    )
    findings = judge(records, "LG-IAM-02", "LG-IAM-06")
    uses = only(findings, "LG-IAM-02", "uses")
    assert uses["status"] == "error" and f"policy_documents not read for {shared}" in uses["reason"]
    assert only(findings, "LG-IAM-02", "free")["status"] == "pass"
    assert only(findings, "LG-IAM-06", "uses")["status"] == "fail"  # reads roles only


def test_the_widest_problem_explains_the_error() -> None:
    # The IAM unit failed, so the role is also missing: the reason is the unit failure.
    records = {
        "functions": [function("api")],
        "coverage": [unit("iam", IAM_TABLES, region="global", status="error", error_code="AccessDenied")],
    }
    finding = only(judge(records, "LG-IAM-02"), "LG-IAM-02")
    assert finding["status"] == "error"
    assert (
        finding["reason"]
        == f"not judged: policy_documents, roles not read in {ACCT}/global (iam: AccessDenied)"
    )


def test_failed_assume_makes_every_rule_an_error_for_the_account() -> None:
    records = {
        "coverage": [
            unit(
                "assume",
                [],
                region="global",
                status="error",
                error_code="AccessDenied",
                message="cannot assume OrganizationAccountAccessRole",
            )
        ]
    }
    findings = judge(records)
    assert len(findings) == 28 and set(findings["status"]) == {"error"}
    assert set(findings["resource_id"]) == {f"{ACCT}/global"}


def test_config_error_in_one_region_makes_the_account_wide_cfg_03_an_error() -> None:
    records = {
        "coverage": [
            unit("config", ["config_recorders", "config_rules"], region=REGION),
            unit(
                "config",
                ["config_recorders", "config_rules"],
                region=REGION2,
                status="error",
                error_code="HTTP500",
            ),
        ],
        "config_recorders": [
            {
                "account_id": ACCT,
                "region": REGION,
                "recorder_name": "default",
                "recording": True,
                "all_supported": True,
                "include_global": False,
            }
        ],
    }
    findings = judge(records, "LG-CFG-01", "LG-CFG-03")
    cfg3 = only(findings, "LG-CFG-03")
    assert cfg3["status"] == "error" and f"not read in {ACCT}/{REGION2} (config: HTTP500)" in cfg3["reason"]
    assert only(findings, "LG-CFG-01", f"{ACCT}/{REGION}")["status"] == "pass"
    assert only(findings, "LG-CFG-01", f"{ACCT}/{REGION2}")["status"] == "error"


def test_a_failed_aws_managed_policy_read_stays_in_its_account() -> None:
    """Same ARN in every account: only the account whose read failed gets error rows."""
    managed = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    records = merge(
        with_role(function("here"), attached=[managed]),
        with_role(function("there", account=OTHER_ACCT), attached=[managed]),
        {
            "coverage": [
                unit(
                    "iam",
                    ["policy_documents"],
                    region="global",
                    status="error",
                    error_code="AccessDenied",
                    message="iam:GetPolicyVersion refused",
                    resource_arn=managed,
                )
            ]
        },
    )
    findings = judge(records, "LG-IAM-02")
    assert only(findings, "LG-IAM-02", "here")["status"] == "error"
    assert only(findings, "LG-IAM-02", "there")["status"] == "pass"
