"""The least-privilege IAM policy of the audit role, built from what the collectors declare.

Discovery and role assumption happen with the starting identity; every collector action is
needed by the role assumed in each member account. One source each: ``Collector.actions`` and
:data:`reporter.aws.discover.DISCOVERY_ACTIONS`.
"""

from __future__ import annotations

import json
from typing import Any

from reporter.aws.discover import DISCOVERY_ACTIONS
from reporter.collectors import declared_actions


def audit_policy() -> dict[str, Any]:
    """Policy for the role in each member account, plus discovery for the management account."""
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
        ],
    }


def audit_policy_json() -> str:
    return json.dumps(audit_policy(), indent=2)
