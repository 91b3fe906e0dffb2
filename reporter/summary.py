"""The end-of-run summary printed on the terminal: plain text, read from the report model only.

It shows the same numbers as the reports (same model, same :func:`~reporter.scoring.format_score`),
so what a person reads in the terminal never disagrees with the PDF.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reporter.render.model import ReportModel
from reporter.render.trend import trend_sentence
from reporter.scoring import format_score
from reporter.settings import SEVERITIES

COVERAGE_ERRORS_SHOWN = 5
MESSAGE_CHARS = 120
"""AWS error messages can run to several hundred characters; the reports carry them in full."""


def summary_text(model: ReportModel, outputs: list[Path]) -> str:
    """Organization score and grade, open findings, top failing rules, coverage errors, outputs."""
    org = model.organization
    counts = org.counts
    total = sum(counts.values())
    heading = f"Lambda governance, organization {model.meta.organization_id or 'n/a'}"
    if model.meta.period:
        heading += f", period {model.meta.period}"
    if model.meta.demo:
        heading += " (demo data)"
    coverage = model.coverage
    unit_rows = coverage[coverage["resource_arn"].isna()] if "resource_arn" in coverage else coverage
    by_status = unit_rows["status"].value_counts().to_dict() if "status" in unit_rows else {}
    lines = [
        heading,
        f"Scope: {model.meta.accounts_targeted} accounts, {len(model.meta.regions)} regions; units "
        + ", ".join(f"{int(by_status.get(s, 0)):,} {s}" for s in ("ok", "error", "skipped")),
        f"Organization score: {format_score(org.score)} (grade {org.grade})",
        *([f"Trend: {trend}"] if (trend := trend_sentence(model)) else []),
        f"Findings: {total:,} ("
        + ", ".join(f"{counts.get(s, 0):,} {s}" for s in ("pass", "fail", "waived", "error"))
        + ")",
        "Open findings by severity: "
        + ", ".join(f"{s} {org.open_by_severity.get(s, 0):,}" for s in SEVERITIES),
    ]
    lines += _top_rules(model)
    lines += _coverage(model.coverage)
    lines.append("Outputs:" if outputs else "Outputs: none written")
    lines += [f"  {path}" for path in outputs]
    return "\n".join(lines) + "\n"


def _top_rules(model: ReportModel) -> list[str]:
    if not model.top_risks:
        return ["Top failing rules: none"]
    lines = ["Top failing rules:"]
    for rank, risk in enumerate(model.top_risks, start=1):
        lines.append(
            f"  {rank}. {risk.rule_id} [{risk.severity}] {risk.failing:,} open: {risk.plain}"
            f" (owner: {risk.owner})"
        )
    return lines


def _text(value: object) -> str:
    return (
        "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)
    )


def _shorten(message: str) -> str:
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1].rstrip() + "…"


def _coverage(coverage: pd.DataFrame) -> list[str]:
    status = coverage["status"].astype(object)
    errors = coverage[(status == "error").to_numpy(dtype=bool)]
    skipped = int((status == "skipped").sum())
    headline = f"Coverage errors: {len(errors):,}"
    if skipped:
        headline += f" (and {skipped:,} unit{'' if skipped == 1 else 's'} skipped, e.g. suspended accounts)"
    lines = [headline]
    for row in errors.head(COVERAGE_ERRORS_SHOWN).itertuples(index=False):
        account = _text(row.account_id)
        name = _text(getattr(row, "account_name", ""))
        where = f"{account} ({name})" if name else account
        resource = _text(row.resource_arn)
        target = f" {resource}" if resource else ""
        message = _shorten(_text(row.message))
        lines.append(
            f"  {where} {_text(row.region)} {_text(row.collector)}{target}: {_text(row.error_code)}"
            + (f", {message}" if message else "")
        )
    if len(errors) > COVERAGE_ERRORS_SHOWN:
        lines.append(f"  … and {len(errors) - COVERAGE_ERRORS_SHOWN:,} more (all are listed in the reports)")
    return lines
