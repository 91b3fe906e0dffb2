"""Policy documents and execution-role archetypes of the demo organization.

Each archetype declares the outcome its author intends for every role rule of RULES.md
(``spec.ROLE_RULES``); the truth module turns those into per-function expectations. The
outcomes are judgements about the documents below, written down once, next to them.
"""

from __future__ import annotations

import json
from typing import Any

from reporter.demo.guide import GUIDE_BOUNDARY, GUIDE_ROLE_POLICY
from reporter.demo.spec import ROLE_RULES, PolicySpec, RoleSpec

ADMIN = "AdministratorAccess"
POWER_USER = "PowerUserAccess"
BASIC = "AWSLambdaBasicExecutionRole"
VPC_ACCESS = "AWSLambdaVPCAccessExecutionRole"
LAMBDA_FULL = "AWSLambda_FullAccess"

STRICT_BOUNDARY = "lambda-strict-boundary"
PERMISSIVE_BOUNDARY = "dev-permissive-boundary"
GUIDE_BOUNDARY_NAME = "LambdaPermissionsBoundary"
LEGACY_FULL_ACCESS = "legacy-full-access"

# The Lambda baseline a boundary must leave open, or every role under it has dead grants.
_BASELINE = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
]
_APP_DATA = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
    "s3:GetObject",
    "s3:PutObject",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sns:Publish",
    "secretsmanager:GetSecretValue",
    "events:PutEvents",
]


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def allow(actions: list[str] | str, resources: list[str] | str, sid: str | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if sid:
        stmt = {"Sid": sid, **stmt}
    return stmt


def customer_policies() -> tuple[PolicySpec, ...]:
    """The customer-managed policies every seeded account holds."""
    strict = doc(
        allow(_BASELINE, "*", "LambdaBaseline"),
        allow(_APP_DATA, "*", "ApplicationData"),
        {
            "Sid": "DenyIamKmsOrganizations",
            "Effect": "Deny",
            "Action": ["iam:*", "kms:*", "organizations:*"],
            "Resource": "*",
        },
    )
    # Written to look protective (it denies Organizations) while letting iam:* and kms:* through.
    permissive = doc(
        allow("*", "*", "AllowEverythingForDevelopers"),
        {"Sid": "ProtectOrganization", "Effect": "Deny", "Action": ["organizations:*"], "Resource": "*"},
    )
    legacy = doc(allow("*", "*", "LegacyFullAccess"))
    return (
        PolicySpec(STRICT_BOUNDARY, strict, "Maximum permissions of Lambda execution roles"),
        PolicySpec(PERMISSIVE_BOUNDARY, permissive, "Boundary for developer-created roles"),
        PolicySpec(GUIDE_BOUNDARY_NAME, GUIDE_BOUNDARY, "The guide's example permissions boundary"),
        PolicySpec(LEGACY_FULL_ACCESS, legacy, "Kept for the 2019 migration"),
    )


def _app_policy(app: str) -> str:
    """A least-privilege data policy whose every action the strict boundary allows."""
    return doc(
        allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            f"arn:aws:dynamodb:*:<ACCOUNT>:table/{app}-*",
            "AppTable",
        ),
        allow(["sqs:SendMessage"], f"arn:aws:sqs:*:<ACCOUNT>:{app}-*", "AppQueue"),
    )


def _outcomes(fail: str = "", na: str = "") -> tuple[tuple[str, str], ...]:
    """Outcomes of ROLE_RULES: the listed short ids ("01 02") fail, ``na`` are left out, the rest pass."""
    failing = {f"LG-IAM-{n}" for n in fail.split()}
    skipped = {f"LG-IAM-{n}" for n in na.split()}
    return tuple((rule, "fail" if rule in failing else "pass") for rule in ROLE_RULES if rule not in skipped)


# Rules 07 (boundary lets iam/kms through) and 09 (dead grants) only apply under a boundary.
_NO_BOUNDARY = "07 09"


def role(name: str, archetype: str, app: str = "app", trusted_account_key: str = "") -> RoleSpec:
    """An execution role of the named archetype; ``app`` scopes its data permissions."""
    app_inline = (("app-access", _app_policy(app)),)
    if archetype == "clean":
        return RoleSpec(
            name, (BASIC,), (), app_inline, STRICT_BOUNDARY, outcomes=_outcomes(), archetype=archetype
        )
    if archetype == "clean_vpc":
        return RoleSpec(
            name, (VPC_ACCESS,), (), app_inline, STRICT_BOUNDARY, outcomes=_outcomes(), archetype=archetype
        )
    if archetype == "trust_ec2":
        return RoleSpec(
            name,
            (BASIC,),
            (),
            app_inline,
            STRICT_BOUNDARY,
            extra_trust=("ec2.amazonaws.com",),
            outcomes=_outcomes("08"),
            archetype=archetype,
        )
    if archetype == "trust_account":
        return RoleSpec(
            name,
            (BASIC,),
            (),
            app_inline,
            STRICT_BOUNDARY,
            extra_trust=(f"account:{trusted_account_key}",),
            outcomes=_outcomes("08"),
            archetype=archetype,
        )
    if archetype == "unbounded":
        return RoleSpec(
            name, (BASIC,), (), app_inline, None, outcomes=_outcomes("06", _NO_BOUNDARY), archetype=archetype
        )
    if archetype == "leaky_boundary":
        return RoleSpec(
            name,
            (BASIC,),
            (),
            app_inline,
            PERMISSIVE_BOUNDARY,
            outcomes=_outcomes("07"),
            archetype=archetype,
        )
    if archetype == "guide":
        return RoleSpec(
            name,
            (),
            (),
            (("AppStatePolicy", GUIDE_ROLE_POLICY),),
            GUIDE_BOUNDARY_NAME,
            outcomes=_outcomes("09"),
            archetype=archetype,
        )
    if archetype == "dead_grants":
        kms = doc(
            allow(["secretsmanager:GetSecretValue"], f"arn:aws:secretsmanager:*:<ACCOUNT>:secret:{app}/*"),
            allow(["kms:Decrypt"], "arn:aws:kms:*:<ACCOUNT>:key/1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
        )
        return RoleSpec(
            name,
            (BASIC,),
            (),
            (*app_inline, ("secrets", kms)),
            STRICT_BOUNDARY,
            outcomes=_outcomes("09"),
            archetype=archetype,
        )
    return _risky_role(name, archetype, app_inline)


def _risky_role(name: str, archetype: str, app_inline: tuple[tuple[str, str], ...]) -> RoleSpec:
    star = "*"
    if archetype == "admin":
        return RoleSpec(
            name, (ADMIN,), outcomes=_outcomes("01 02 03 04 06", _NO_BOUNDARY), archetype=archetype
        )
    if archetype == "admin_bounded":
        # The strict boundary caps it, but leaves application writes on "*" (identity grants "*").
        return RoleSpec(
            name, (ADMIN,), (), (), STRICT_BOUNDARY, outcomes=_outcomes("01 02 03 09"), archetype=archetype
        )
    if archetype == "power_user":
        return RoleSpec(
            name, (POWER_USER,), outcomes=_outcomes("01 02 03 04 06", _NO_BOUNDARY), archetype=archetype
        )
    if archetype == "admin_and_power":
        return RoleSpec(
            name, (ADMIN, POWER_USER), outcomes=_outcomes("01 02 03 04 06", _NO_BOUNDARY), archetype=archetype
        )
    if archetype == "lambda_full":
        return RoleSpec(
            name,
            (BASIC, LAMBDA_FULL),
            outcomes=_outcomes("02 03 04 06", _NO_BOUNDARY),
            archetype=archetype,
        )
    if archetype == "customer_admin":
        return RoleSpec(
            name,
            (BASIC,),
            (LEGACY_FULL_ACCESS,),
            outcomes=_outcomes("02 03 04 06", _NO_BOUNDARY),
            archetype=archetype,
        )
    inline: dict[str, tuple[str, str]] = {
        "s3_star": ("02 03 06", doc(allow("s3:*", star, "AllS3"))),
        "not_action": (
            "02 03 04 06",
            doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": star}),
        ),
        "write_star": (
            "03 06",
            doc(allow(["dynamodb:PutItem", "sqs:SendMessage", "sns:Publish"], star, "WriteAnywhere")),
        ),
        "pass_role": (
            "03 04 06",
            doc(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], star, "Deployer")),
        ),
        "attach_policy": (
            "04 06",
            doc(
                allow(
                    ["iam:AttachRolePolicy", "iam:PutRolePolicy"],
                    "arn:aws:iam::<ACCOUNT>:role/app-*",
                    "ManageAppRoles",
                )
            ),
        ),
        "assume_any": ("03 04 06", doc(allow("sts:AssumeRole", star, "HopAnywhere"))),
    }
    if archetype not in inline:
        raise ValueError(f"unknown role archetype {archetype!r}")
    fail, document = inline[archetype]
    return RoleSpec(
        name,
        (BASIC,),
        (),
        (*app_inline, (archetype.replace("_", "-"), document)),
        None,
        outcomes=_outcomes(fail, _NO_BOUNDARY),
        archetype=archetype,
    )


ARCHETYPES: tuple[str, ...] = (
    "clean",
    "clean_vpc",
    "trust_ec2",
    "trust_account",
    "unbounded",
    "leaky_boundary",
    "guide",
    "dead_grants",
    "admin",
    "admin_bounded",
    "power_user",
    "admin_and_power",
    "lambda_full",
    "customer_admin",
    "s3_star",
    "not_action",
    "write_star",
    "pass_role",
    "attach_policy",
    "assume_any",
)
