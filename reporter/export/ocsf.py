"""findings.ocsf.json: the exported findings as OCSF 1.5 Compliance Findings (class 2003).

Why Compliance Finding and not Detection Finding (2004): a rule is a check of a resource's
configuration against a written standard (the governance guide, and the AWS controls it mirrors),
with a pass/fail/unjudged result, which is what 2003 describes ("results of evaluations performed
against resources, to check compliance with ... Security Standards"). Its ``compliance`` object holds
exactly our record: the check (rule id, title, severity, result), the control (guide section) and
the standards (the guide and the mapped AWS controls). Detection Finding is for detections and alerts
from correlation engines.

py-ocsf-models 0.10 leaves the cloud profile's ``cloud`` attribute off ComplianceFinding (it has it
on DetectionFinding only), while OCSF lets the profile apply to any class; :class:`CloudComplianceFinding`
adds it with the library's own Cloud object and the event lists ``cloud`` in metadata.profiles.

Per event: ``finding_info`` (uid = the stable id shared with the ASFF export, title, reason, first
and last seen from history), ``compliance``, ``resources`` (ARN or id, type, region, partition, tags
as ``key=value`` labels), ``cloud`` (account, region, organization and OU path), ``remediation``,
``evidences`` (evidence/manifest.json and its sha256), status: ``fail`` → New, ``waived`` →
Suppressed with the waiver in status_detail, ``error`` → New with compliance status Warning (not
judged; the reason says why), ``fixed`` → Resolved with compliance status Pass, ``gone`` (resource no
longer reported) → Archived with compliance status Unknown. ``unmapped`` keeps
the record's own field values (status, waiver, resource type, OU path, catalog version).

The file is a JSON array, one event per line, in the order of findings.json; the only times in it
are the run's (from the evidence manifest) and earlier runs', so a re-run over the same evidence and
history writes the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import pandas as pd
from py_ocsf_models.events.findings.activity_id import ActivityID
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.events.findings.compliance_finding_type_id import ComplianceFindingTypeID
from py_ocsf_models.events.findings.severity_id import SeverityID
from py_ocsf_models.events.findings.status_id import StatusID
from py_ocsf_models.objects.account import Account
from py_ocsf_models.objects.account import TypeID as AccountTypeID
from py_ocsf_models.objects.analytic import Analytic
from py_ocsf_models.objects.check import Check
from py_ocsf_models.objects.cloud import Cloud
from py_ocsf_models.objects.compliance import Compliance
from py_ocsf_models.objects.compliance_status import StatusID as ComplianceStatusID
from py_ocsf_models.objects.evidence_artifacts import EvidenceArtifacts
from py_ocsf_models.objects.finding_info import FindingInformation
from py_ocsf_models.objects.metadata import Metadata
from py_ocsf_models.objects.organization import Organization
from py_ocsf_models.objects.product import Product
from py_ocsf_models.objects.remediation import Remediation
from py_ocsf_models.objects.resource_details import ResourceDetails

from reporter.export.common import (
    GUIDE,
    ExportContext,
    frameworks_list,
    partition_of,
    text,
    write_json_lines_array,
)

OCSF_FILE = "findings.ocsf.json"

SEVERITY_IDS = {
    "critical": SeverityID.Critical,
    "high": SeverityID.High,
    "medium": SeverityID.Medium,
    "low": SeverityID.Low,
}
_ANALYTIC_RULE = 1  # OCSF analytic type_id 1 = Rule


class CloudComplianceFinding(ComplianceFinding):
    """ComplianceFinding with the cloud profile's attribute (see the module doc)."""

    cloud: Cloud


def build_events(rows: pd.DataFrame, context: ExportContext) -> Iterator[CloudComplianceFinding]:
    """One validated event per exported row (pydantic raises on anything the models reject)."""
    now = context.run_at
    product = Product(name="reporter", vendor_name="reporter", version=context.tool_version)
    evidence = EvidenceArtifacts(
        name="evidence/manifest.json", data={"sha256": context.evidence_manifest_sha256}
    )
    records = cast(list[dict[str, Any]], rows.to_dict("records"))
    for row in records:
        yield _event(row, context, now, product, evidence)


def _event(
    row: dict[str, Any],
    context: ExportContext,
    now: dt.datetime,
    product: Product,
    evidence: EvidenceArtifacts,
) -> CloudComplianceFinding:
    status = row["status"]
    fixed = bool(row["fixed"])
    first_seen: dt.datetime = row["first_seen"]
    last_seen: dt.datetime = row["last_seen"]
    if fixed:
        activity, finding_status, result = ActivityID.Close, StatusID.Resolved, ComplianceStatusID.Pass
    elif status == "gone":
        activity, finding_status, result = ActivityID.Close, StatusID.Archived, ComplianceStatusID.Unknown
    else:
        activity = ActivityID.Create if first_seen == now else ActivityID.Update
        finding_status = StatusID.Suppressed if status == "waived" else StatusID.New
        result = ComplianceStatusID.Warning if status == "error" else ComplianceStatusID.Fail
    severity = SEVERITY_IDS[row["severity"]]
    frameworks = frameworks_list(row["frameworks"])
    remediation = text(row["remediation"])
    reason = text(row["reason"]) or row["title"]
    region = row["region"]
    return CloudComplianceFinding(
        class_name="Compliance Finding",  # the class caption (the library defaults to its enum name)
        activity_id=activity,
        activity_name=activity.name,
        type_uid=ComplianceFindingTypeID(200300 + int(activity)),
        type_name=f"Compliance Finding: {activity.name}",
        severity_id=severity,
        severity=severity.name,
        status_id=finding_status,
        status=finding_status.name,
        status_detail=_status_detail(row),
        message=reason,
        time=_ms(now),
        time_dt=now,
        metadata=Metadata(
            product=product,
            profiles=["cloud"],
            event_code=row["rule_id"],
            tenant_uid=context.organization_id,
        ),
        finding_info=FindingInformation(
            uid=row["uid"],
            title=row["title"],
            desc=reason,
            types=[GUIDE, row["guide_section"]],
            analytic=Analytic(
                uid=row["rule_id"],
                name=row["title"],
                type="Rule",
                type_id=_ANALYTIC_RULE,
                category=row["guide_section"],
                version=context.rule_catalog_version,
            ),
            created_time=_ms(first_seen),
            created_time_dt=first_seen,
            first_seen_time=_ms(first_seen),
            first_seen_time_dt=first_seen,
            last_seen_time=_ms(last_seen),
            last_seen_time_dt=last_seen,
            modified_time=_ms(now),
            modified_time_dt=now,
        ),
        compliance=Compliance(
            control=row["guide_section"],
            standards=[GUIDE, *frameworks],
            requirements=[row["rule_id"]],
            desc=row["frameworks"],
            status_id=result,
            checks=[
                Check(
                    uid=row["rule_id"],
                    name=row["title"],
                    severity=row["severity"],
                    severity_id=severity,
                    standards=[GUIDE, *frameworks],
                    status=result.name,
                    status_id=result,
                    version=context.rule_catalog_version,
                )
            ],
        ),
        remediation=Remediation(desc=remediation) if remediation else None,
        resources=[
            ResourceDetails(
                uid=text(row["resource_arn"]) or row["resource_id"],
                name=row["resource_id"],
                type=row["resource_type"],
                region=region,
                cloud_partition=partition_of(region, context.partition),
                labels=[f"{k}={v}" for k, v in row["tags"].items()] or None,
            )
        ],
        cloud=Cloud(
            provider="AWS",
            region=region,
            account=Account(
                uid=row["account_id"],
                name=text(row["account_name"]) or row["account_id"],
                type_id=AccountTypeID.AWS_Account,
                type=AccountTypeID.AWS_Account.name,
            ),
            org=Organization(uid=context.organization_id, ou_name=text(row["ou_path"])),
        ),
        evidences=[evidence],
        unmapped={
            "reporter_status": status,
            "previous_status": row["previous_status"],
            "waiver_id": text(row["waiver_id"]),
            "waiver_expires": text(row["waiver_expires"]),
            "resource_type": row["resource_type"],
            "ou_path": text(row["ou_path"]),
            "rule_catalog_version": context.rule_catalog_version,
            "evidence_manifest_sha256": context.evidence_manifest_sha256,
        },
    )


def _status_detail(row: dict[str, Any]) -> str | None:
    if row["status"] == "waived":
        expires = text(row["waiver_expires"]) or "no expiry"
        return f"waived by {text(row['waiver_id']) or 'a waiver'} until {expires}"
    if row["status"] == "error":
        return "not judged: the evidence it needs could not be read"
    if row["fixed"]:
        return f"fixed: {row['previous_status']} in the previous run, pass now"
    if row["status"] == "gone":
        return f"gone: {row['previous_status']} in the previous run, no longer reported"
    return None


def _ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def event_json(event: CloudComplianceFinding) -> str:
    return json.dumps(event.model_dump(mode="json", exclude_none=True), ensure_ascii=False, sort_keys=True)


def write_ocsf(events: Iterable[CloudComplianceFinding], path: Path) -> int:
    """Write the events as a JSON array, one per line; returns how many were written."""
    return write_json_lines_array((event_json(event) for event in events), path)
