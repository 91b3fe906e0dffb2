"""Scan hand-written templates in a temporary folder and read the verdicts back."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd

from reporter.iac.scan import ScanOptions, ScanResult, scan
from reporter.settings import Settings

RUN_DATE = dt.date(2026, 11, 28)


def scan_files(tmp_path: Path, files: dict[str, str], **options: object) -> ScanResult:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    settings = Settings(run_date=RUN_DATE)
    return scan(ScanOptions(paths=(tmp_path,), formats=(), settings=settings, **options))  # type: ignore[arg-type]


def verdicts(findings: pd.DataFrame, resource: str) -> dict[str, str]:
    rows = findings[findings["resource_id"] == resource]
    return dict(zip(rows["rule_id"], rows["status"], strict=True))


def reason(findings: pd.DataFrame, rule_id: str, resource: str) -> str:
    rows = findings[(findings["rule_id"] == rule_id) & (findings["resource_id"] == resource)]
    assert len(rows) == 1, f"{rule_id}/{resource}: {len(rows)} rows"
    return str(rows["reason"].iloc[0])
