"""The overview sheets: Summary (with its charts), Scorecard (accounts with OU subtotals), Trend.

Scorecard layout: one table, sorted by OU path, where each OU's subtotal row follows the accounts
under it (a parent OU's row follows its child OUs'). Every row is a complete record whose first
column ("Level") says "Account" or "OU subtotal", so the autofilter stays meaningful: filtering
Level = Account gives exactly the account list, filtering an OU path keeps that OU's accounts with
their subtotal, and sorting by any column sorts whole records. No blank separator rows or merged
cells break the filter range; subtotals are bold on a blue fill.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference

from reporter.findings import STATUSES
from reporter.render.excel.cells import score_value
from reporter.render.excel.style import colour_scale, print_setup
from reporter.render.excel.table import Column, Sheet, Table, fit_widths, write_table
from reporter.render.model import ReportModel
from reporter.render.trend import trend_sentence
from reporter.settings import SEVERITIES

MAX_TREND_LINES = 12
"""Account lines drawn on the trend chart beside the organization's; the table holds every account."""

_COUNT_KINDS = [Column(s, s.capitalize(), "int", 9) for s in SEVERITIES]
SCORECARD_COLUMNS: tuple[Column, ...] = (
    Column("level", "Level", width=12),
    Column("ou_path", "OU"),
    Column("account_name", "Account"),
    Column("account_id", "Account id", width=14),
    Column("status", "Status", width=11),
    Column("score", "Score", "score", 8),
    Column("grade", "Grade", "grade", 8),
    *_COUNT_KINDS,
    Column("waived", "Waived", "int", 9),
    Column("errors", "Errors", "int", 9),
    Column("delta", "Δ vs previous run", "delta", 12),
    Column("accounts", "Accounts", "int", 10),
)
ACCOUNT_LEVEL, OU_LEVEL = "Account", "OU subtotal"
ROW_CM = 0.53
"""Height of a default (15 pt) row in centimetres, to place one chart below another."""


def _utc(value: dt.datetime) -> str:
    stamp = value.astimezone(dt.UTC) if value.tzinfo else value
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def summary_sheet(sheet: Sheet, model: ReportModel) -> None:
    meta, org = model.meta, model.organization
    book, ws = sheet.book, sheet.ws
    sheet.set_widths([30, 70, 12, 12, 12, 12, 12])
    print_setup(ws, None)
    demo = " · DEMO DATA, not a real organization" if meta.demo else ""
    sheet.title(
        "AWS Lambda governance — compliance report",
        f"Organization {meta.organization_id} · period {meta.period or 'n/a'} · "
        f"run {_utc(meta.started_at)}{demo}",
    )
    sheet.append([])
    sheet.append([book.cell(ws, "Organization score", "section")])
    score = score_value(org.score)
    shown = book.cell(ws, score, "big_score") if score is not None else book.cell(ws, "n/a", "big_grade")
    sheet.append([book.cell(ws, "Score (0–100)", "label"), shown])
    sheet.append(
        [
            book.cell(ws, "Grade", "label"),
            sheet.text(org.grade, "big_grade", *_known(sheet, "grade", org.grade)),
        ]
    )
    sheet.append([])
    sheet.append(
        [book.cell(ws, "Findings by status", "section"), None, book.cell(ws, "Open by severity", "section")]
    )
    statuses = [(s, org.counts.get(s, 0)) for s in STATUSES]
    severities = [(s, org.open_by_severity.get(s, 0)) for s in SEVERITIES]
    for (status, n_status), (severity, n_open) in zip(statuses, severities, strict=True):
        sheet.append(
            [
                book.cell(ws, status, *_known(sheet, "status", status)),
                n_status,
                book.cell(ws, severity, *_known(sheet, "severity", severity)),
                n_open,
            ]
        )
    sheet.append([])
    sheet.append([book.cell(ws, "Scope and method", "section")])
    for label, value in _scope(model):
        sheet.append([book.cell(ws, label, "label"), sheet.text(value)])
    if model.top_risks:
        sheet.append([])
        sheet.append([book.cell(ws, "Largest risks", "section")])
        headers = ("Rule", "What can go wrong", "Severity", "Open", "Accounts", "Owner")
        sheet.append([book.cell(ws, h, "header") for h in headers])
        for r in model.top_risks:
            severity = sheet.text(r.severity, *_known(sheet, "severity", r.severity))
            sheet.append(
                [
                    sheet.text(r.rule_id),
                    sheet.text(r.plain, "wrap"),
                    severity,
                    r.failing,
                    r.accounts,
                    sheet.text(r.owner),
                ]
            )
    _summary_charts(sheet, model)


def _known(sheet: Sheet, prefix: str, value: str) -> tuple[str, ...]:
    """The value-colour style for ``value`` when there is one (an unknown word stays unstyled)."""
    name = f"{prefix}:{value}"
    return (name,) if name in sheet.book.styles else ()


def _scope(model: ReportModel) -> list[tuple[str, Any]]:
    meta = model.meta
    scored = int(model.accounts["score"].notna().sum()) if "score" in model.accounts.columns else 0
    return [
        ("Organization id", meta.organization_id),
        ("Caller identity", meta.caller_arn),
        ("Run started", _utc(meta.started_at)),
        ("Run finished", _utc(meta.finished_at)),
        ("Reporting period", meta.period or "n/a"),
        ("Accounts targeted", meta.accounts_targeted),
        ("Accounts scored", scored),
        ("Regions", ", ".join(meta.regions)),
        ("Tool version", meta.tool_version),
        ("Rule catalog", meta.rule_catalog_version),
        ("Evidence schema version", meta.schema_version),
        ("Evidence manifest sha256", meta.evidence_manifest_sha256),
        ("Waivers file sha256", meta.waivers_sha256 or "no waivers file"),
    ]


def _bar_chart(sheet: Sheet, table: Table, title: str, height: float) -> BarChart:
    chart = BarChart()
    chart.type = "bar"  # horizontal bars: long account and section names stay readable
    chart.title = title
    chart.legend = None
    data = Reference(sheet.ws, min_col=2, min_row=table.header_row, max_row=table.last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=table.first_row, max_row=table.last_row))
    chart.width, chart.height = 18.0, height
    _show_axes(chart)
    return chart


def _show_axes(chart: BarChart | LineChart) -> None:
    # openpyxl 3.1 leaves <c:delete> out of the axes, which recent Excel versions read as "hidden".
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _summary_charts(sheet: Sheet, model: ReportModel) -> None:
    """Chart data blocks (visible, so every bar can be checked) with their bar charts beside them."""
    accounts = model.accounts
    scored = accounts[accounts["score"].notna()].sort_values("score", kind="stable")
    sheet.append([])
    sheet.append([sheet.book.cell(sheet.ws, "Chart data: account scores", "section")])
    table = write_table(
        sheet, scored, [Column("account_name", "Account"), Column("score", "Score", "score")], freeze=False
    )
    next_free = table.header_row
    if not table.empty:
        chart = _bar_chart(sheet, table, "Account scores", min(40.0, max(7.5, 0.6 * len(scored) + 2.5)))
        chart.x_axis.title = None
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        sheet.ws.add_chart(chart, f"D{table.header_row}")
        next_free = table.header_row + math.ceil(chart.height / ROW_CM) + 1
    sheet.append([])
    sheet.append([sheet.book.cell(sheet.ws, "Chart data: failing findings by guide section", "section")])
    columns = [Column("guide_section", "Guide section"), Column("fail", "Failing findings", "int")]
    table = write_table(sheet, model.sections, columns, freeze=False)
    if not table.empty:
        chart = _bar_chart(
            sheet, table, "Failing findings by guide section", max(7.5, 0.8 * len(model.sections) + 2.5)
        )
        sheet.ws.add_chart(chart, f"D{max(table.header_row, next_free)}")


def _scorecard_frame(model: ReportModel) -> tuple[pd.DataFrame, list[str | None]]:
    """Accounts and OU subtotals in reading order (see the module docstring), and each row's style."""
    acc = model.accounts.copy()
    acc["level"] = ACCOUNT_LEVEL
    ou_path = acc["ou_path"].astype(object).where(acc["ou_path"].notna(), "")
    acc["_key"] = (
        ou_path + "/\x00" + acc["account_name"].astype(object).where(acc["account_name"].notna(), "")
    )
    ous = model.ous.copy()
    ous["level"] = OU_LEVEL
    # "\uffff" sorts after every account and child OU under the same path, so a subtotal closes its group.
    ous["_key"] = ous["ou_path"].astype(object) + "/\uffff"
    rows = pd.concat([acc.astype(object), ous.astype(object)], ignore_index=True).sort_values(
        "_key", kind="stable"
    )
    return rows, [None if lvl == ACCOUNT_LEVEL else "subtotal" for lvl in rows["level"]]


def scorecard_sheet(sheet: Sheet, model: ReportModel) -> Table:
    frame, styles = _scorecard_frame(model)
    table = write_table(
        sheet,
        frame,
        SCORECARD_COLUMNS,
        title="Scorecard",
        subtitle="Accounts by OU; each OU subtotal row (bold, blue) follows the accounts under it. "
        "Filter Level = Account for the accounts alone.",
        row_styles=styles,
    )
    if not table.empty:
        sheet.ws.conditional_formatting.add(table.data_range("score"), colour_scale())
    return table


def trend_sheet(sheet: Sheet, model: ReportModel) -> Table | None:
    """Score per run and scope (organization first), a line chart, and the per-rule changes."""
    if model.trend.empty:
        sheet.set_widths([90])
        print_setup(sheet.ws, None)
        sheet.title("Trend", "No earlier runs were found: the trend starts with this run.")
        return None
    pivot, columns = _trend_table(model)
    delta_cols = [
        Column("account_name", "Account"),
        Column("account_id", "Account id", width=14),
        Column("rule_id", "Rule", width=12),
        Column("new", "New failures", "int"),
        Column("fixed", "Fixed", "int"),
        Column("still_failing", "Still failing", "int"),
        Column("score_delta", "Score change", "delta"),
    ]
    widths = _merge(
        fit_widths(columns, {c.key: [] for c in columns}),
        fit_widths(delta_cols, {c.key: [] for c in delta_cols}),
    )
    table = write_table(
        sheet,
        pivot,
        columns,
        title="Trend",
        subtitle=" ".join(
            filter(None, ("Score per run, oldest first; the last run is this report.", trend_sentence(model)))
        ),
        widths=widths,
    )
    last_col = table.ref.split(":")[1]
    sheet.ws.conditional_formatting.add(f"C{table.first_row}:{last_col}", colour_scale())
    chart = LineChart()
    chart.title = "Organization and account scores"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    chart.y_axis.title = "Score"
    lines = min(len(columns) - 2, 1 + MAX_TREND_LINES)
    data = Reference(sheet.ws, min_col=3, max_col=2 + lines, min_row=table.header_row, max_row=table.last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=table.first_row, max_row=table.last_row))
    chart.width, chart.height = 24.0, 10.0
    _show_axes(chart)
    sheet.ws.add_chart(chart, f"A{sheet.row + 2}")
    for _ in range(math.ceil(chart.height / ROW_CM) + 2):  # room for the chart before the next table
        sheet.append([])
    if not model.deltas.empty:
        sheet.append([sheet.book.cell(sheet.ws, "Changes since the previous run", "section")])
        write_table(sheet, model.deltas, delta_cols, freeze=False)
    return table


def _trend_table(model: ReportModel) -> tuple[pd.DataFrame, list[Column]]:
    """One row per run (oldest first), one score column per scope: organization, then accounts by name."""
    trend = model.trend
    accounts = model.accounts
    names = dict(
        zip(accounts["account_id"].astype(object), accounts["account_name"].astype(object), strict=True)
    )
    runs = trend.drop_duplicates("run_id")[["run_id", "run_at"]]
    scores = trend.assign(score=trend["score"].astype("float64"), scope_id=trend["scope_id"].astype(object))
    org_ids = set(scores.loc[scores["scope"].astype(object) == "organization", "scope_id"])
    pivot = scores.pivot_table(
        index="run_id", columns="scope_id", values="score", aggfunc="first", sort=False
    )
    table = runs.set_index("run_id").join(pivot).reset_index()
    scope_ids = sorted(pivot.columns, key=lambda s: (s not in org_ids, str(names.get(s, s))))
    columns = [Column("run_id", "Run"), Column("run_at", "Run at (UTC)", "datetime", 18)]
    columns += [
        Column(s, "Organization" if s in org_ids else str(names.get(s, s)), "score") for s in scope_ids
    ]
    return table, columns


def _merge(*width_lists: list[float]) -> list[float]:
    """Column by column, the widest of several tables sharing a sheet."""
    n = max(len(w) for w in width_lists)
    return [max(w[i] for w in width_lists if i < len(w)) for i in range(n)]
