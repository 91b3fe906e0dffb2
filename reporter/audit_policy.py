"""The least-privilege IAM policy of the audit role, built from what the collectors declare.

Discovery and role assumption happen with the starting identity; every collector action is
needed by the role assumed in each member account. One source each: ``Collector.actions``,
:data:`reporter.aws.discover.DISCOVERY_ACTIONS` and :data:`reporter.aws.session.ASSUME_ACTIONS`
(the starting identity may assume the audit role, and only that role, in any account: the
partition is a wildcard because the same policy serves aws, aws-cn and aws-us-gov).
"""

from __future__ import annotations

import json
from typing import Any

from reporter.aws.discover import DISCOVERY_ACTIONS
from reporter.aws.session import ASSUME_ACTIONS
from reporter.collectors import declared_actions
from reporter.settings import Settings

DEFAULT_ROLE = Settings().role_name


def audit_policy(role_name: str = DEFAULT_ROLE) -> dict[str, Any]:
    """Policy for the role in each member account, plus discovery and assuming ``role_name`` for
    the starting identity (in the management or delegated administrator account)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReporterCollectors",
                "Effect": "Allow",
                "Action": list(declared_actions()),
                "Resource": "*",
            },
            {
                "Sid": "ReporterDiscoveryManagementAccountOnly",
                "Effect": "Allow",
                "Action": sorted(DISCOVERY_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "ReporterAssumeAuditRoleStartingIdentityOnly",
                "Effect": "Allow",
                "Action": sorted(ASSUME_ACTIONS),
                "Resource": f"arn:*:iam::*:role/{role_name}",
            },
        ],
    }


def audit_policy_json(role_name: str = DEFAULT_ROLE) -> str:
    return json.dumps(audit_policy(role_name), indent=2)
