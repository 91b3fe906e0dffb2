"""Reusable network and AWS Config layouts for demo accounts."""

from __future__ import annotations

import json

from reporter.demo.spec import ConfigRuleSpec, ConfigSpec, NetworkSpec, SubnetSpec

ADMIN_ARNS = "arn:aws:iam::aws:policy/AdministratorAccess,arn:aws:iam::aws:policy/PowerUserAccess"

VPC_RULE = ConfigRuleSpec("lambda-inside-vpc", "LAMBDA_INSIDE_VPC")
NO_ADMIN_STATEMENTS_RULE = ConfigRuleSpec(
    "iam-policy-no-statements-with-admin-access", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"
)
# The guide's second rule, deployed with the parameter name AWS accepts: it still inverts the
# intent (NON_COMPLIANT when the admin policies are *not* attached).
GUIDE_MANAGED_POLICY_RULE = ConfigRuleSpec(
    "lambda-iam-least-privilege-check",
    "IAM_ROLE_MANAGED_POLICY_CHECK",
    json.dumps({"managedPolicyArns": ADMIN_ARNS}),
    ("AWS::IAM::Role",),
)
HIGH_RISK_CONCURRENCY_RULE = ConfigRuleSpec(
    "lambda-high-risk-concurrency",
    "LAMBDA_CONCURRENCY_CHECK",
    json.dumps({"ConcurrencyLimitLow": "1", "ConcurrencyLimitHigh": "5"}),
    (),  # AWS accepts a tag scope or resource types, not both
    ("CostControl", "HighRisk"),
)
# Exactly as the guide's Terraform writes them; AWS (and moto) refuse both.
GUIDE_REJECTED_RULES = (
    ConfigRuleSpec("lambda-function-in-vpc", "LAMBDA_FUNCTION_IN_VPC"),
    ConfigRuleSpec(
        "lambda-iam-least-privilege-check",
        "IAM_ROLE_MANAGED_POLICY_CHECK",
        json.dumps({"policyArns": ADMIN_ARNS}),
        ("AWS::IAM::Role",),
    ),
)


def two_az_vpc(key: str, region: str, cidr: str) -> NetworkSpec:
    """Private subnets in two zones, each explicitly routed to a NAT gateway."""
    return NetworkSpec(key, region, cidr, (SubnetSpec("app-a", "a", "nat"), SubnetSpec("app-b", "b", "nat")))


def mixed_vpc(key: str, region: str, cidr: str) -> NetworkSpec:
    """Every default-route case: NAT, internet gateway, none, and the main table (routed to NAT)."""
    return NetworkSpec(
        key,
        region,
        cidr,
        (
            SubnetSpec("app-a", "a", "nat"),
            SubnetSpec("app-b", "b", "nat"),
            SubnetSpec("web-a", "a", "igw"),
            SubnetSpec("db-c", "c", "none"),
            SubnetSpec("shared-b", "b", "main"),
        ),
        main_route="nat",
    )


def main_table_vpc(key: str, region: str, cidr: str) -> NetworkSpec:
    """Subnets relying on a main route table that has no default route."""
    return NetworkSpec(
        key,
        region,
        cidr,
        (SubnetSpec("etl-a", "a", "main"), SubnetSpec("etl-b", "b", "main")),
        main_route="none",
    )


def config_global(
    region: str,
    *,
    admin_rule: str | None = None,
    vpc_rule: bool = False,
    concurrency_rule: bool = False,
    guide_attempts: bool = False,
) -> ConfigSpec:
    """A recording recorder that also records global (IAM) resources, with optional rules."""
    rules: list[ConfigRuleSpec] = []
    if vpc_rule:
        rules.append(VPC_RULE)
    if admin_rule == "no_admin_statements":
        rules.append(NO_ADMIN_STATEMENTS_RULE)
    elif admin_rule == "guide_managed_policy_check":
        rules.append(GUIDE_MANAGED_POLICY_RULE)
    elif admin_rule is not None:
        raise ValueError(admin_rule)
    if concurrency_rule:
        rules.append(HIGH_RISK_CONCURRENCY_RULE)
    return ConfigSpec(
        region,
        "recording",
        include_global=True,
        rules=tuple(rules),
        rejected_rules=GUIDE_REJECTED_RULES if guide_attempts else (),
    )


def config_regional(region: str, *, vpc_rule: bool = False, recording: bool = True) -> ConfigSpec:
    return ConfigSpec(region, "recording" if recording else "stopped", rules=(VPC_RULE,) if vpc_rule else ())
