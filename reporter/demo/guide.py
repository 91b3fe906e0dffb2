"""The guide's own example documents, verbatim (whitespace included), for the demo's guide function.

Source: shared/guide, "A Least-Privilege Execution Role Policy" and "A Lambda Permissions Boundary".
They are sent to IAM exactly as printed, so the demo shows what the guide's advice really grants:
the role policy allows ``dynamodb:UpdateItem``, which the boundary does not, a dead grant.
"""

from __future__ import annotations

GUIDE_ROLE_POLICY = """{
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
}"""

GUIDE_BOUNDARY = """{
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
}"""
