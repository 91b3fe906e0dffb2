"""The findings record (RULES.md): one row per (rule, resource). The one list of its columns."""

from __future__ import annotations

FINDING_COLUMNS: tuple[str, ...] = (
    "rule_id",
    "title",
    "severity",  # critical | high | medium | low
    "status",  # pass | fail | error | waived
    "account_id",
    "account_name",
    "ou_path",
    "region",  # "global" for IAM-only scopes
    "resource_type",  # function | role | account-region | account | config-resource
    "resource_id",  # function name, role name, "<account>/<region>", …
    "resource_arn",  # null where the resource has no ARN
    "reason",
    "remediation",
    "waiver_id",
    "waiver_expires",  # ISO date or null
)
"""Columns of findings.json / findings.csv, in order."""

STATUSES: tuple[str, ...] = ("pass", "fail", "error", "waived")
