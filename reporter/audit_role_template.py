"""CloudFormation template (for a service-managed StackSet) of the audit role in each member account.

The role's permissions are exactly the actions the collectors declare (reporter.audit_policy), so the
template can never drift from what the code calls.
"""

from __future__ import annotations

import json
from typing import Any

from reporter.collectors import declared_actions

ROLE_NAME = "LambdaGovernanceAudit"


def audit_role_template(role_name: str = ROLE_NAME) -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Read-only role for reporter (AWS Lambda governance audit). Deploy as a StackSet.",
        "Parameters": {
            "AuditAccountId": {
                "Type": "String",
                "AllowedPattern": "^\\d{12}$",
                "Description": "Account whose principals run reporter (usually the management account)",
            },
            "ExternalId": {
                "Type": "String",
                "Default": "",
                "Description": "Optional sts:ExternalId to require",
            },
        },
        "Conditions": {"UseExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]}},
        "Resources": {
            "AuditRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": role_name,
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {
                                    "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditAccountId}:root"}
                                },
                                "Action": "sts:AssumeRole",
                                "Condition": {
                                    "Fn::If": [
                                        "UseExternalId",
                                        {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                                        {"Ref": "AWS::NoValue"},
                                    ]
                                },
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "reporter-read-only",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": list(declared_actions()), "Resource": "*"}
                                ],
                            },
                        }
                    ],
                },
            }
        },
        "Outputs": {"AuditRoleName": {"Value": {"Ref": "AuditRole"}}},
    }


def audit_role_template_json(role_name: str = ROLE_NAME) -> str:
    return json.dumps(audit_role_template(role_name), indent=2)
