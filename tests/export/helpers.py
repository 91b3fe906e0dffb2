"""Findings, earlier runs and run metadata for the export tests (real catalog rule ids)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reporter.findings import FINDING_COLUMNS
from reporter.model import RunMeta

ORG = "o-exampleorg1"
CALLER = "arn:aws:iam::999999999999:user/auditor"
NOW = dt.datetime(2026, 11, 28, 22, 17, tzinfo=dt.UTC)
MANIFEST_SHA = "ab" * 32


def month(n: int) -> dt.datetime:
    """n months before NOW (same day and time)."""
    index = NOW.year * 12 + NOW.month - 1 - n
    return NOW.replace(year=index // 12, month=index % 12 + 1)


def finding(**overrides: Any) -> dict[str, Any]:
    """A failing LG-COST-01 row for function f1 in 111111111111/us-east-1, with ``overrides``."""
    name = overrides.pop("name", "f1")
    row: dict[str, Any] = {
        "rule_id": "LG-COST-01",
        "title": "High-risk functions have a reserved-concurrency circuit breaker",
        "severity": "high",
        "status": "fail",
        "account_id": "111111111111",
        "account_name": "payments-prod",
        "ou_path": "Root/Workloads/Prod",
        "region": "us-east-1",
        "resource_type": "function",
        "resource_id": name,
        "resource_arn": f"arn:aws:lambda:us-east-1:111111111111:function:{name}",
        "reason": f"{name} is tagged CostControl=HighRisk and has no reserved concurrency",
        "remediation": f"aws lambda put-function-concurrency --function-name {name} --region us-east-1",
        "waiver_id": None,
        "waiver_expires": None,
    }
    row.update(overrides)
    return row


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=list(FINDING_COLUMNS)).astype(object)


@dataclass
class Run:
    """An earlier run as the exports read it (the shape of reporter.history.store.PastRun)."""

    run_at: dt.datetime
    rows: list[dict[str, Any]]
    organization_id: str = ORG
    run_id: str = field(default="")

    def __post_init__(self) -> None:
        self.run_id = self.run_at.strftime("%Y-%m-%dT%H%M%SZ")

    def findings(self) -> pd.DataFrame:
        return frame(*self.rows)


def meta(finished_at: dt.datetime = NOW) -> RunMeta:
    return RunMeta(
        organization_id=ORG,
        caller_arn=CALLER,
        started_at=finished_at - dt.timedelta(minutes=5),
        finished_at=finished_at,
        tool_version="0.1.0",
        schema_version=1,
        rule_catalog_version="v1",
        accounts_targeted=1,
        regions=("us-east-1",),
        evidence_manifest_sha256=MANIFEST_SHA,
    )


def sample_rows() -> pd.DataFrame:
    """One exported row of each kind: fail (with tags), waived, error (unit), account-region, fixed, gone."""
    from reporter.export.records import earlier_runs, export_rows
    from reporter.rules.catalog import catalog_frame

    runs = [
        Run(month(2), [finding(name="old"), finding(name="fixed"), finding(name="deleted")]),
        Run(month(1), [finding(name="old"), finding(name="fixed"), finding(name="deleted")]),
    ]
    current = frame(
        finding(name="old"),
        finding(name="fixed", status="pass"),
        finding(name="accepted", status="waived", waiver_id="W-2026-001", waiver_expires="2027-01-31"),
        finding(
            rule_id="LG-CFG-01",
            title="AWS Config is recording",
            status="error",
            region="global",
            resource_type="unit",
            resource_id="111111111111/global",
            resource_arn=None,
            reason="not judged: config_recorders not read in 111111111111/global (AccessDenied)",
            remediation=None,
        ),
        finding(
            rule_id="LG-CFG-01",
            title="AWS Config is recording",
            severity="critical",
            region="eu-west-1",
            resource_type="account-region",
            resource_id="111111111111/eu-west-1",
            resource_arn=None,
            reason="No AWS Config recorder in 111111111111/eu-west-1",
            remediation="aws configservice put-configuration-recorder " + "--x " * 300,  # long: cut in ASFF
        ),
    )
    tags = {"arn:aws:lambda:us-east-1:111111111111:function:old": {"CostControl": "HighRisk", "team": "pay"}}
    earlier = earlier_runs(runs, ORG, NOW)
    return export_rows(
        current,
        catalog=catalog_frame(),
        earlier=earlier,
        now=NOW,
        tags=tags,
        regions=("us-east-1", "eu-west-1"),
    )
