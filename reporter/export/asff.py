"""findings.asff.json: the exported findings in the AWS Security Finding Format, for Security Hub.

The file is the ``Findings`` list of ``aws securityhub batch-import-findings`` (a JSON array, one
finding per line); the tool never imports it (it only reads AWS). At most 100 findings go in one
call: :func:`batches` cuts them so, and the README shows the same with jq.

Choices that follow from how BatchImportFindings works:

- ProductArn is the custom-integration ARN of the audit (caller's) account,
  ``arn:<partition>:securityhub:<region>:<account>:product/<account>/default``. With that ARN
  Security Hub requires ``AwsAccountId`` to be the importing account, so every finding names the
  caller's account there; the account the resource lives in is in the resource's ARN and in
  ProductFields ``reporter/AccountId``. The region is where the file is to be imported
  (``--securityhub-region``; default: the partition's first region).
- ``Id`` is the stable id shared with the OCSF export, so next month's import updates the finding.
- Status → (Compliance.Status, Workflow.Status, RecordState): fail → FAILED, NEW, ACTIVE;
  waived → FAILED, SUPPRESSED, ACTIVE; error (not judged) → NOT_AVAILABLE, NEW, ACTIVE;
  fixed (not passing in the previous run, pass now) → PASSED, RESOLVED, ARCHIVED;
  gone (not passing in the previous run, resource no longer reported) → NOT_AVAILABLE, RESOLVED,
  ARCHIVED.
  Security Hub ignores Workflow in imports of a finding that already exists, but it resolves a
  NEW or NOTIFIED finding itself when RecordState turns ARCHIVED or Compliance.Status turns PASSED.
- Severity and Types go in FindingProviderFields too: that is where a provider may update them.
- Text fields are cut to Security Hub's documented lengths (Title 256, Description 1024,
  Recommendation 512, ProductFields values 2048), ending in "…" when cut.

UpdatedAt and LastObservedAt are the run's time (from the evidence manifest); CreatedAt and
FirstObservedAt are when the finding was first seen (reporter.export.records).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import pandas as pd

from reporter.export.common import (
    GUIDE,
    ExportContext,
    frameworks_list,
    partition_of,
    text,
    truncate,
    write_json_lines_array,
)

ASFF_FILE = "findings.asff.json"
SCHEMA_VERSION = "2018-10-08"
BATCH_SIZE = 100
"""BatchImportFindings takes at most 100 findings per call."""

TYPES = ["Software and Configuration Checks/AWS Security Best Practices/Lambda Governance"]
SEVERITY_LABELS = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW"}
RESOURCE_TYPES = {
    "function": "AwsLambdaFunction",
    "role": "AwsIamRole",
    "account": "AwsAccount",
    "account-region": "AwsAccount",
    "unit": "AwsAccount",  # an account × region the crawl could not read (an error row)
}
"""Our resource types as Security Hub's; the rest (config-resource) are ``Other``."""

# status → (Compliance.Status, Workflow.Status, RecordState)
STATES: dict[str, tuple[str, str, str]] = {
    "fail": ("FAILED", "NEW", "ACTIVE"),
    "waived": ("FAILED", "SUPPRESSED", "ACTIVE"),
    "error": ("NOT_AVAILABLE", "NEW", "ACTIVE"),
    "fixed": ("PASSED", "RESOLVED", "ARCHIVED"),
    "gone": ("NOT_AVAILABLE", "RESOLVED", "ARCHIVED"),
}

_MAX_TITLE, _MAX_DESCRIPTION, _MAX_RECOMMENDATION, _MAX_FIELD = 256, 1024, 512, 2048
_MAX_TAGS = 50


def product_arn(context: ExportContext) -> str:
    account = context.caller_account_id
    return (
        f"arn:{context.partition}:securityhub:{context.securityhub_region}:{account}"
        f":product/{account}/default"
    )


def build_findings(rows: pd.DataFrame, context: ExportContext) -> Iterator[dict[str, Any]]:
    arn = product_arn(context)
    updated = _iso(context.run_at)
    records = cast(list[dict[str, Any]], rows.to_dict("records"))
    for row in records:
        yield _finding(row, context, arn, updated)


def _finding(row: dict[str, Any], context: ExportContext, arn: str, updated: str) -> dict[str, Any]:
    state = "fixed" if row["fixed"] else row["status"]
    compliance, workflow, record = STATES[state]
    severity = {"Label": SEVERITY_LABELS[row["severity"]], "Original": row["severity"]}
    frameworks = frameworks_list(row["frameworks"])
    remediation = text(row["remediation"])
    finding: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": row["uid"],
        "ProductArn": arn,
        "ProductName": "reporter",
        "CompanyName": "reporter",
        "GeneratorId": f"reporter/{row['rule_id']}",
        "AwsAccountId": context.caller_account_id,
        "Types": TYPES,
        "FirstObservedAt": _iso(row["first_seen"]),
        "LastObservedAt": _iso(row["last_seen"]),
        "CreatedAt": _iso(row["first_seen"]),
        "UpdatedAt": updated,
        "Severity": severity,
        "Title": truncate(row["title"], _MAX_TITLE),
        "Description": truncate(text(row["reason"]) or row["title"], _MAX_DESCRIPTION),
        "ProductFields": _product_fields(row, context),
        "Resources": [_resource(row, context)],
        "Compliance": {
            "Status": compliance,
            "RelatedRequirements": [f"{GUIDE}: {row['guide_section']}", *frameworks],
        },
        "Workflow": {"Status": workflow},
        "RecordState": record,
        "FindingProviderFields": {"Severity": severity, "Types": TYPES},
    }
    if remediation:
        finding["Remediation"] = {"Recommendation": {"Text": truncate(remediation, _MAX_RECOMMENDATION)}}
    if row["status"] == "waived":
        finding["Note"] = {
            "Text": truncate(_waiver_text(row), 512),
            "UpdatedBy": "reporter",
            "UpdatedAt": updated,
        }
    return finding


def _waiver_text(row: dict[str, Any]) -> str:
    waiver = text(row["waiver_id"]) or "a waiver"
    return f"waived by {waiver} until {text(row['waiver_expires']) or 'no expiry'}"


def _resource(row: dict[str, Any], context: ExportContext) -> dict[str, Any]:
    kind = row["resource_type"]
    region = row["region"]
    arn = text(row["resource_arn"])
    if arn is not None:
        resource_id = arn
    elif RESOURCE_TYPES.get(kind) == "AwsAccount":
        resource_id = f"AWS::::Account:{row['account_id']}"
    else:
        resource_id = f"{kind}/{row['account_id']}/{region}/{row['resource_id']}"
    resource: dict[str, Any] = {
        "Type": RESOURCE_TYPES.get(kind, "Other"),
        "Id": resource_id,
        "Partition": partition_of(region, context.partition),
    }
    if region != "global":
        resource["Region"] = region
    tags = {k[:128]: v[:256] for k, v in list(row["tags"].items())[:_MAX_TAGS] if k and v}
    if tags:
        resource["Tags"] = tags
    return resource


def _product_fields(row: dict[str, Any], context: ExportContext) -> dict[str, str]:
    fields = {
        "reporter/RuleId": row["rule_id"],
        "reporter/Status": row["status"],
        "reporter/PreviousStatus": text(row["previous_status"]),
        "reporter/AccountId": row["account_id"],
        "reporter/AccountName": text(row["account_name"]),
        "reporter/OuPath": text(row["ou_path"]),
        "reporter/Region": region if (region := text(row["region"])) else None,
        "reporter/ResourceType": row["resource_type"],
        "reporter/ResourceId": text(row["resource_id"]),
        "reporter/GuideSection": row["guide_section"],
        "reporter/Frameworks": text(row["frameworks"]),
        "reporter/Remediation": text(row["remediation"]),
        "reporter/WaiverId": text(row["waiver_id"]),
        "reporter/WaiverExpires": text(row["waiver_expires"]),
        "reporter/EvidenceManifestSha256": context.evidence_manifest_sha256,
        "reporter/RuleCatalogVersion": context.rule_catalog_version,
        "reporter/ToolVersion": context.tool_version,
    }
    return {k: truncate(v, _MAX_FIELD) for k, v in fields.items() if v}


def _iso(at: dt.datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a Z, the form Security Hub's examples use."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def batches(findings: list[dict[str, Any]], size: int = BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
    """The findings in the chunks one BatchImportFindings call takes."""
    for start in range(0, len(findings), size):
        yield findings[start : start + size]


def write_asff(findings: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the findings as a JSON array, one per line; returns how many were written."""
    return write_json_lines_array((json.dumps(finding, ensure_ascii=False) for finding in findings), path)
