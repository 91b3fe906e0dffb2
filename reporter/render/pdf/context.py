"""ReportModel → the values the PDF templates print. Selection and ordering live here, not in Jinja.

Every list a template loops over is bounded here (accounts in scope, overview rows, waivers,
coverage gaps), each with the count of what was left out, so the document can say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from markupsafe import Markup

from reporter.render.model import ReportModel
from reporter.render.pdf import charts
from reporter.render.pdf.findings import plan_findings, ranked_accounts, severity_rank
from reporter.render.pdf.format import records
from reporter.scoring import CRITICAL_CAP, GRADE_THRESHOLDS, LOWEST_GRADE
from reporter.settings import SEVERITIES

SCOPE_ACCOUNTS_MAX = 150
"""Accounts named one by one under "Scope"; beyond this, OUs show counts only."""
OVERVIEW_ACCOUNTS_MAX = 120
"""Rows of the account overview table (worst first)."""
CHART_ACCOUNTS = 20
"""Bars in the "score by account" chart (lowest scores)."""
WAIVERS_PER_STATE_MAX = 40
COVERAGE_GAPS_MAX = 60
WAIVER_STATES: tuple[str, ...] = ("active", "expired", "unused")


@dataclass(frozen=True)
class Bounded:
    """A list printed in a table, and how many rows were left out of it."""

    rows: list[dict[str, Any]]
    omitted: int


def _bounded(frame: pd.DataFrame, limit: int) -> Bounded:
    return Bounded(rows=records(frame.head(limit)), omitted=max(0, len(frame) - limit))


def _svg(svg: str) -> Markup:
    # charts.py escapes every label it draws, so its output is trusted markup by construction.
    return Markup(svg)


def _str(series: pd.Series) -> pd.Series:
    return series.astype(object).fillna("").astype(str)


def scope_accounts(model: ReportModel) -> dict[str, Any]:
    """Accounts grouped by OU path: names listed while the total stays under SCOPE_ACCOUNTS_MAX."""
    accounts = model.accounts.assign(_ou=_str(model.accounts["ou_path"]))
    groups = []
    listed = len(accounts) <= SCOPE_ACCOUNTS_MAX
    for ou, group in accounts.sort_values(["_ou", "account_name"]).groupby("_ou", sort=False):
        groups.append(
            {
                "ou_path": ou or "(no OU)",
                "count": len(group),
                "inactive": int((_str(group["status"]).str.upper() != "ACTIVE").sum()),
                "accounts": records(group.drop(columns="_ou")) if listed else [],
            }
        )
    return {"groups": groups, "listed": listed, "total": len(accounts)}


def method(weights: Mapping[str, int]) -> dict[str, Any]:
    """What the "how scores are computed" paragraph states, from the scoring module's own constants."""
    return {
        "weights": [(sev, weights.get(sev, 0)) for sev in SEVERITIES],
        "grades": list(GRADE_THRESHOLDS),
        "lowest_grade": LOWEST_GRADE,
        "critical_cap": CRITICAL_CAP,
    }


def executive(model: ReportModel) -> dict[str, Any]:
    ranked = ranked_accounts(model.accounts)
    scored = ranked[ranked["score"].notna().to_numpy(dtype=bool)]
    shown = scored.head(CHART_ACCOUNTS)
    bars = [
        charts.Bar(
            label=f"{row['account_name']} ({row['account_id']})",
            value=float(row["score"]),
            note=str(row["grade"]),
            color=charts.grade_color(str(row["grade"])),
        )
        for row in records(shown)
    ]
    scope = (
        f"the lowest {len(shown)} of {len(scored)} scored accounts"
        if len(scored) > len(shown)
        else f"all {len(scored)} scored accounts"
    )
    sections = model.sections.sort_values("fail", ascending=False, kind="stable")
    section_bars = [
        charts.Bar(label=str(row["guide_section"]), value=float(row["fail"] or 0), color="#c62828")
        for row in records(sections)
    ]
    return {
        "org": model.organization,
        "risks": list(model.top_risks),
        "account_chart": _svg(
            charts.bar_chart(
                bars, title=f"Score by account ({scope})", max_value=100, width=670, label_chars=44
            )
        ),
        "account_chart_scope": scope,
        "section_chart": _svg(
            charts.bar_chart(
                section_bars,
                title="Failing findings by guide section",
                value_format="{:,.0f}".format,
                tick_format="{:,.0f}".format,
                width=670,
                label_chars=56,
            )
        ),
    }


def control_groups(model: ReportModel) -> list[dict[str, Any]]:
    """Rules grouped by guide section, sections in the model's order, rules by severity then id."""
    controls = model.controls.assign(
        _sev=severity_rank(model.controls["severity"]), _sec=_str(model.controls["guide_section"])
    ).sort_values(["_sev", "rule_id"], kind="stable")
    section_rows = {str(r["guide_section"]): r for r in records(model.sections)}
    order = [s for s in section_rows if s in set(controls["_sec"])]
    order += [s for s in dict.fromkeys(controls["_sec"]) if s not in order]
    groups = []
    for section in order:
        rules = controls[(controls["_sec"] == section).to_numpy(dtype=bool)]
        groups.append(
            {
                "section": section or "(no guide section)",
                "summary": section_rows.get(section),
                "rules": records(rules.drop(columns=["_sev", "_sec"])),
            }
        )
    return groups


def waiver_groups(model: ReportModel) -> list[dict[str, Any]]:
    states = _str(model.waivers["state"]) if "state" in model.waivers else pd.Series(dtype=object)
    return [
        {
            "state": state,
            "total": int((states == state).sum()),
            "table": _bounded(model.waivers[(states == state).to_numpy(dtype=bool)], WAIVERS_PER_STATE_MAX),
        }
        for state in WAIVER_STATES
    ]


def coverage_gaps(model: ReportModel) -> dict[str, Any]:
    """Units not assessed: a summary by status, collector and error, then the first rows."""
    coverage = model.coverage
    gaps = coverage[(_str(coverage["status"]) != "ok").to_numpy(dtype=bool)]
    keys = [_str(gaps["status"]), _str(gaps["collector"]), _str(gaps["error_code"])]
    summary = (
        gaps.groupby(keys, sort=True).size().rename("units").reset_index()
        if len(gaps)
        else pd.DataFrame(columns=["status", "collector", "error_code", "units"])
    )
    summary.columns = pd.Index(["status", "collector", "error_code", "units"])
    summary = summary.sort_values("units", ascending=False, kind="stable")
    ordered = gaps.assign(_a=_str(gaps["account_name"]), _r=_str(gaps["region"])).sort_values(
        ["_a", "_r"], kind="stable"
    )
    return {
        "units": len(coverage),
        "gaps": len(gaps),
        "summary": records(summary),
        "detail": _bounded(ordered.drop(columns=["_a", "_r"]), COVERAGE_GAPS_MAX),
    }


def audit_context(
    model: ReportModel,
    *,
    rows_per_rule: int,
    line_budget: float,
    weights: Mapping[str, int],
    generated_at: dt.datetime,
) -> dict[str, Any]:
    """Everything audit_report.html prints."""
    ranked = ranked_accounts(model.accounts)
    plan = plan_findings(
        model.findings, model.accounts, model.controls, rows_per_rule=rows_per_rule, line_budget=line_budget
    )
    detailed_ids = {str(d.account["account_id"]) for d in plan.detailed}
    return {
        "meta": model.meta,
        "generated_at": generated_at,
        "evidence_files": sorted(model.meta.evidence_files.items()),
        "scope": scope_accounts(model),
        "method": method(weights),
        "exec": executive(model),
        "severities": SEVERITIES,
        "controls": control_groups(model),
        "overview": _bounded(ranked, OVERVIEW_ACCOUNTS_MAX),
        "detailed_ids": detailed_ids,
        "plan": plan,
        "rows_per_rule_requested": rows_per_rule,
        "waivers": waiver_groups(model),
        "coverage": coverage_gaps(model),
        "catalog": records(model.controls.sort_values("rule_id", kind="stable")),
        "findings_total": len(model.findings),
    }
