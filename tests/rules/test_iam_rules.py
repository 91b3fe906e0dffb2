"""LG-IAM-01..09 on one function with its role and hand-set role facts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rules.helpers import (
    ACCT,
    ADMIN_ARN,
    POWER_USER_ARN,
    REGION,
    REGION2,
    facts,
    fn_arn,
    function,
    judge,
    merge,
    only,
    policy_arn,
    role,
    with_role,
)

BOUNDARY = policy_arn("AppBoundary")


@pytest.mark.parametrize(
    ("rule_id", "fact_cols", "status", "fragments"),
    [
        ("LG-IAM-02", {}, "pass", ["grants no unconditional wildcard action"]),
        (
            "LG-IAM-02",
            {"wildcard_actions": ["app#inline/all: s3:*", "app#inline/all: *"]},
            "fail",
            ["app#inline/all: s3:*, app#inline/all: *"],
        ),
        ("LG-IAM-03", {}, "pass", ["no Write, Permissions-management or Tagging action"]),
        (
            "LG-IAM-03",
            {"write_on_star": ["s3:PutObject", "sns:Publish (conditional)"]},
            "fail",
            ['can write on Resource "*": s3:PutObject, sns:Publish (conditional)'],
        ),
        ("LG-IAM-04", {}, "pass", ["enable no known privilege-escalation method"]),
        (
            "LG-IAM-04",
            {"privilege_escalation": ["CreatePolicyVersion", "PassRole+CreateFunction"]},
            "fail",
            ["enable privilege escalation: CreatePolicyVersion, PassRole+CreateFunction"],
        ),
        ("LG-IAM-08", {}, "pass", ["lets only lambda.amazonaws.com assume it"]),
        (
            "LG-IAM-08",
            {"non_lambda_trust": ["arn:aws:iam::999999999999:root"]},
            "fail",
            ["also lets these principals assume it: arn:aws:iam::999999999999:root"],
        ),
    ],
)
def test_role_fact_rules(rule_id: str, fact_cols: dict[str, Any], status: str, fragments: list[str]) -> None:
    finding = only(judge(with_role(function("orders"), **fact_cols), rule_id), rule_id)
    assert finding["status"] == status
    assert finding["resource_arn"] == fn_arn("orders") and finding["resource_type"] == "function"
    assert "orders-role" in finding["reason"]
    for fragment in fragments:
        assert fragment in finding["reason"]
    assert (finding["remediation"] is None) == (status == "pass")


@pytest.mark.parametrize("attached", [[], [policy_arn("AdministratorAccess")]])
def test_iam_01_passes_without_an_aws_managed_admin_policy(attached: list[str]) -> None:
    # A customer policy that happens to be named AdministratorAccess is IAM-02's business.
    finding = only(judge(with_role(function("orders"), attached=attached), "LG-IAM-01"), "LG-IAM-01")
    assert finding["status"] == "pass"
    assert "neither AdministratorAccess nor PowerUserAccess" in finding["reason"]


def test_iam_01_fails_on_admin_without_boundary() -> None:
    records = with_role(function("orders"), attached=[ADMIN_ARN], admin_like=True)
    finding = only(judge(records, "LG-IAM-01"), "LG-IAM-01")
    assert finding["status"] == "fail" and finding["resource_arn"] == fn_arn("orders")
    assert finding["reason"] == (
        "Execution role orders-role of orders has AWS-managed AdministratorAccess attached; "
        "no permissions boundary narrows it"
    )
    assert (
        finding["remediation"]
        == f"aws iam detach-role-policy --role-name orders-role --policy-arn {ADMIN_ARN}"
    )


def test_iam_01_fails_with_power_user_and_says_the_boundary_narrows_it() -> None:
    records = with_role(
        function("orders"), boundary=BOUNDARY, attached=[POWER_USER_ARN], boundary_allows_iam=[]
    )
    finding = only(judge(records, "LG-IAM-01"), "LG-IAM-01")
    assert finding["status"] == "fail"
    assert (
        f"its permissions boundary {BOUNDARY} narrows it, no iam:/kms: action gets through"
        in finding["reason"]
    )
    assert finding["remediation"] == (
        f"aws iam detach-role-policy --role-name orders-role --policy-arn {POWER_USER_ARN}"
    )


def test_iam_01_says_when_the_boundary_does_not_narrow_admin() -> None:
    records = with_role(function("orders"), boundary=BOUNDARY, attached=[ADMIN_ARN], admin_like=True)
    finding = only(judge(records, "LG-IAM-01"), "LG-IAM-01")
    assert finding["status"] == "fail"
    assert "does not narrow it: effective permissions still include *:*" in finding["reason"]


def test_iam_01_still_judges_when_the_analysis_failed() -> None:
    # The attachment needs no policy text; only whether the boundary narrows it is unknown.
    records = with_role(
        function("orders"), boundary=BOUNDARY, attached=[ADMIN_ARN], analysis_error="bad JSON"
    )
    finding = only(judge(records, "LG-IAM-01"), "LG-IAM-01")
    assert finding["status"] == "fail"
    assert finding["reason"].endswith(
        f"whether its permissions boundary {BOUNDARY} narrows it is unknown "
        "(the IAM analysis failed: bad JSON)"
    )


def test_iam_05_counts_functions_per_role_across_regions() -> None:
    shared = role("shared-role")
    records = merge(
        {
            "functions": [
                function("a", role="shared-role"),
                function("b", role="shared-role", region=REGION2),
                function("solo"),
            ]
        },
        {"roles": [shared, role("solo-role")]},
    )
    findings = judge(records, "LG-IAM-05")
    a, b, solo = (only(findings, "LG-IAM-05", n) for n in ("a", "b", "solo"))
    assert a["status"] == b["status"] == "fail"
    assert f"shared by 2 functions in account {ACCT}: a ({REGION}), b ({REGION2})" in a["reason"]
    assert solo["status"] == "pass" and "used by solo only" in solo["reason"]
    assert a["remediation"].endswith(
        f"--function-name a --region {REGION} --role arn:aws:iam::{ACCT}:role/a-role"
    )


def test_iam_05_does_not_count_functions_of_another_account() -> None:
    records = {"functions": [function("a", role="r"), function("b", role="r", account="222222222222")]}
    findings = judge(records, "LG-IAM-05")
    assert set(findings["status"]) == {"pass"}


def test_iam_06_fails_without_boundary_and_suggests_the_one_in_use() -> None:
    records = merge(
        with_role(function("bare")),
        with_role(function("bounded"), boundary=BOUNDARY),
    )
    findings = judge(records, "LG-IAM-06")
    bare, bounded = only(findings, "LG-IAM-06", "bare"), only(findings, "LG-IAM-06", "bounded")
    assert bounded["status"] == "pass" and BOUNDARY in bounded["reason"]
    assert bare["status"] == "fail"
    assert "has no permissions boundary; 1 other execution role(s) in this account use" in bare["reason"]
    assert bare["remediation"] == (
        f"aws iam put-role-permissions-boundary --role-name bare-role --permissions-boundary {BOUNDARY}"
    )


def test_iam_06_suggests_a_new_boundary_when_the_account_has_none() -> None:
    finding = only(judge(with_role(function("bare")), "LG-IAM-06"), "LG-IAM-06")
    assert finding["status"] == "fail"
    assert finding["remediation"].startswith("aws iam create-policy --policy-name LambdaExecutionBoundary")
    assert finding["remediation"].endswith(
        f"--permissions-boundary arn:aws:iam::{ACCT}:policy/LambdaExecutionBoundary"
    )


@pytest.mark.parametrize(
    ("allows", "status", "fragment"),
    [
        ([], "pass", "blocks every iam: and kms: action"),
        (
            ["iam:passrole", "kms:decrypt"],
            "fail",
            "lets iam:/kms: actions through: iam:passrole, kms:decrypt",
        ),
    ],
)
def test_iam_07_judges_boundaries(allows: list[str], status: str, fragment: str) -> None:
    records = with_role(function("orders"), boundary=BOUNDARY, boundary_allows_iam=allows)
    finding = only(judge(records, "LG-IAM-07"), "LG-IAM-07")
    assert finding["status"] == status and fragment in finding["reason"] and BOUNDARY in finding["reason"]


def test_iam_07_and_09_do_not_apply_to_roles_without_boundary() -> None:
    findings = judge(with_role(function("orders")), "LG-IAM-07", "LG-IAM-09")
    assert findings.empty


def test_iam_09_names_the_guides_dead_grant() -> None:
    records = with_role(function("guide-example"), boundary=BOUNDARY, dead_grants=["dynamodb:UpdateItem"])
    finding = only(judge(records, "LG-IAM-09"), "LG-IAM-09")
    assert finding["status"] == "fail"
    assert "blocks (dead grants): dynamodb:UpdateItem" in finding["reason"]
    assert finding["remediation"].startswith(
        "Remove dynamodb:UpdateItem from the policies of role guide-example-role"
    )


def test_iam_09_passes_when_the_boundary_allows_every_grant() -> None:
    finding = only(judge(with_role(function("orders"), boundary=BOUNDARY), "LG-IAM-09"), "LG-IAM-09")
    assert finding["status"] == "pass" and "is allowed by its permissions boundary" in finding["reason"]


def test_role_facts_are_joined_by_role_not_by_function_account() -> None:
    # A second account's role with the same name must not lend its facts.
    records = merge(
        with_role(function("orders")),
        {
            "roles": [role("orders-role", account="222222222222")],
            "role_facts": [facts("orders-role", account="222222222222", write_on_star=["s3:PutObject"])],
        },
    )
    finding = only(judge(records, "LG-IAM-03"), "LG-IAM-03")
    assert finding["status"] == "pass" and finding["region"] == REGION
