"""Policy documents and helpers the IAM tests share, starting with the guide's own examples (verbatim)."""

from __future__ import annotations

import json
from typing import Any

from reporter.iam import EffectivePermissions, action_database, compile_policy, parse_policy
from reporter.iam.catalog import load_catalog
from reporter.iam.facts import PermissionFacts, permission_facts

# shared/guide: "JSON: A Least-Privilege Execution Role Policy", copied verbatim.
GUIDE_ROLE_POLICY = """
{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowLogging",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents"
            ],
            "Resource": "arn:aws:logs:us-east-1:123456789012:*"
        },
        {
            "Sid": "AllowS3ObjectAccess",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject"
            ],
            "Resource": "arn:aws:s3:::my-app-data-bucket/processed/*"
        },
        {
            "Sid": "AllowDynamoDBItemAccess",
            "Effect": "Allow",
            "Action": [
                "dynamodb:UpdateItem",
                "dynamodb:GetItem"
            ],
            "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/AppStateTable"
        }
    ]
}
"""

# shared/guide: "JSON: A Lambda Permissions Boundary", copied verbatim.
GUIDE_BOUNDARY = """
{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CorePermissions",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents"
            ],
            "Resource": "*"
        },
        {
            "Sid": "AllowedServiceAccess",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject",
                "dynamodb:GetItem"
            ],
            "Resource": [
                "arn:aws:s3:::my-app-data-bucket/*",
                "arn:aws:dynamodb:us-east-1:123456789012:table/AppStateTable"
            ]
        },
        {
            "Sid": "DenyPrivilegeEscalation",
            "Effect": "Deny",
            "Action": [
                "iam:*",
                "kms:*"
            ],
            "Resource": "*"
        }
    ]
}
"""

LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def policy(*statements: dict[str, Any]) -> str:
    """A policy document (JSON text) holding `statements`."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


CONDITION = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}


def evaluate(*identity: str, boundary: str | None = None) -> EffectivePermissions:
    """The effective permissions of a role with these identity documents and boundary."""
    db = action_database()
    docs = [compile_policy(parse_policy(d), db) for d in identity]
    bound = None if boundary is None else compile_policy(parse_policy(boundary), db)
    return EffectivePermissions(docs, bound, db)


def facts(*identity: str, boundary: str | None = None) -> PermissionFacts:
    return permission_facts(evaluate(*identity, boundary=boundary), load_catalog())
