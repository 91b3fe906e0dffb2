"""The guide's own execution role and boundary, through the real IAM analysis and every IAM rule.

The guide's role allows dynamodb:UpdateItem, which its boundary does not: the only finding is
LG-IAM-09's dead grant (DESIGN.md §9). Everything else about the example is sound.
"""

from __future__ import annotations

import json
from typing import Any

from reporter.iam import derive_role_tables
from reporter.inventory import Inventory
from reporter.rules.engine import load_catalog, run_rules
from reporter.settings import Settings
from tests.rules.helpers import ACCT, RUN_DATE, function, policy_arn, role, role_arn

GUIDE_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowLogging",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:us-east-1:123456789012:*",
        },
        {
            "Sid": "AllowS3ObjectAccess",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::my-app-data-bucket/processed/*",
        },
        {
            "Sid": "AllowDynamoDBItemAccess",
            "Effect": "Allow",
            "Action": ["dynamodb:UpdateItem", "dynamodb:GetItem"],
            "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/AppStateTable",
        },
    ],
}
GUIDE_BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CorePermissions",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        },
        {
            "Sid": "AllowedServiceAccess",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "dynamodb:GetItem"],
            "Resource": [
                "arn:aws:s3:::my-app-data-bucket/*",
                "arn:aws:dynamodb:us-east-1:123456789012:table/AppStateTable",
            ],
        },
        {"Sid": "DenyPrivilegeEscalation", "Effect": "Deny", "Action": ["iam:*", "kms:*"], "Resource": "*"},
    ],
}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def test_the_guides_example_fails_only_on_its_dead_grant() -> None:
    arn, boundary = role_arn("guide-role"), policy_arn("GuideBoundary")
    inventory = Inventory.from_records(
        {
            "functions": [function("guide-example", role="guide-role")],
            "roles": [
                role(
                    "guide-role",
                    boundary=boundary,
                    inline_policy_names=["app"],
                    trust_policy=_json(LAMBDA_TRUST),
                )
            ],
            "policy_documents": [
                {
                    "account_id": ACCT,
                    "policy_key": f"{arn}#inline/app",
                    "policy_name": "app",
                    "kind": "inline",
                    "role_arn": arn,
                    "document": _json(GUIDE_ROLE_POLICY),
                },
                {
                    "account_id": ACCT,
                    "policy_key": boundary,
                    "policy_arn": boundary,
                    "policy_name": "GuideBoundary",
                    "kind": "customer_managed",
                    "document": _json(GUIDE_BOUNDARY),
                },
            ],
        }
    )
    for name, table in derive_role_tables(inventory["roles"], inventory["policy_documents"]).items():
        inventory[name] = table
    iam_rules = [r for r in load_catalog() if r.id.startswith("LG-IAM-")]
    findings = run_rules(inventory, Settings(run_date=RUN_DATE), rules=iam_rules)
    verdicts = dict(zip(findings["rule_id"], findings["status"], strict=True))
    assert verdicts == {f"LG-IAM-0{i}": "pass" for i in range(1, 9)} | {"LG-IAM-09": "fail"}
    reason = findings.loc[findings["rule_id"] == "LG-IAM-09", "reason"].iloc[0]
    assert reason.endswith("blocks (dead grants): dynamodb:UpdateItem")
