"""Acceptance for month-over-month history: three demo months leave three runs that agree, tell the
quarter's story, and every score of the last month reads the same in every output.

One series is run for the module in a fresh process (moto's state is process-global, and other
tests keep a DemoServer running), exactly as ``python -m reporter --demo --demo-months 3`` runs it
(same argument parsing, same pipeline); the process also hands back the terminal summary and the
scorecard's and audit report's SVG charts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from tests.e2e.conftest import ROOT

SVG = "{http://www.w3.org/2000/svg}"
DRIVER = """
import datetime as dt, json, sys
from reporter.cli import build_parser, settings_from_args
from reporter.pipeline import run
from reporter.render.pdf.context import executive
from reporter.render.pdf.scorecard import LEAGUE_MAX, scorecard_context

outcome = run(settings_from_args(build_parser().parse_args(sys.argv[2:])))
card = scorecard_context(outcome.model, league_limit=LEAGUE_MAX, generated_at=dt.datetime.now(dt.UTC))
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(
        {
            "exit_code": outcome.exit_code,
            "summary": outcome.summary,
            "trend_chart": str(card["trend_chart"]),
            "account_chart": str(executive(outcome.model)["account_chart"]),
        },
        out,
    )
"""


@dataclass
class Series:
    out: Path
    result: dict[str, Any]
    """exit_code, summary (the terminal text), trend_chart and account_chart (SVG)."""
    runs: list[dict[str, Any]]
    """scores.json of each run, oldest first."""


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Series]:
    root = tmp_path_factory.mktemp("months")
    out = root / "2026-11"
    args = ["--demo", "--demo-months", "3", "--out", str(out), "--format", "xlsx,pdf,json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    handed = root / "result.json"
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(handed), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = [json.loads((r / "scores.json").read_text()) for r in sorted((root / "runs").iterdir())]
    yield Series(out, json.loads(handed.read_text()), runs)


# --- independent formatting oracle: one decimal rounded down, a change between shown scores -------


def shown(score: float) -> str:
    return str(Decimal(repr(score)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR))


def change(now: float, before: float) -> str:
    diff = Decimal(shown(now)) - Decimal(shown(before))
    return "±0.0" if diff == 0 else f"+{diff}" if diff > 0 else f"−{-diff}"


def displayed(cell: Any) -> str:
    """The cell's text as Excel shows it, for the number formats the workbook uses."""
    value, fmt = cell.value, cell.number_format
    if not isinstance(value, int | float) or fmt == "General":
        return "" if value is None else str(value)
    sections = fmt.split(";")
    section = sections[0] if value > 0 or len(sections) == 1 else sections[1] if value < 0 else sections[-1]
    number = abs(value) if len(sections) > 1 else value
    body = re.sub(r'"([^"]*)"', "", section)
    decimals = len(body.split(".")[1]) if "." in body else 0
    digits = str(Decimal(repr(number)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    literal = "".join(re.findall(r'"([^"]*)"', section))
    sign = "+" if section.startswith("+") else "-" if section.startswith("-") else ""
    return sign + literal + digits


def svg_texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(str(svg)).iter(f"{SVG}text")]


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def rows(sheet: Any, first: str) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """The header row starting with ``first`` and the cell rows below it."""
    all_rows = list(sheet.iter_rows())
    at = next(i for i, r in enumerate(all_rows) if r and r[0].value == first)
    return [c.value for c in all_rows[at]], [r for r in all_rows[at + 1 :] if r and r[0].value is not None]


# --- tests -----------------------------------------------------------------------------------------


def test_three_demo_months_leave_three_runs_with_a_trend(series: Series) -> None:
    assert series.result["exit_code"] == 0
    runs = sorted((series.out.parent / "runs").iterdir())
    assert [s["run_id"] for s in series.runs] == [r.name for r in runs] and len(runs) == 3
    assert all((run / "evidence" / "manifest.json").is_file() for run in runs)

    workbook = openpyxl.load_workbook(series.out / "compliance-report.xlsx")
    header, trend_rows = rows(workbook["Trend"], "Run")
    org_column = header.index("Organization")
    by_run = {r[0].value: r for r in trend_rows}
    for scores in series.runs:
        assert displayed(by_run[scores["run_id"]][org_column]) == shown(scores["organization"]["score"])
    header, _ = rows(workbook["Scorecard"], "Level")
    assert "Δ vs previous run" in header
    assert "over time" in pdf_text(series.out / "scorecard.pdf")


def test_the_quarter_rises_while_payments_prod_falls(series: Series) -> None:
    org = [r["organization"]["score"] for r in series.runs]
    assert org[0] < org[1] < org[2] and 8 <= org[2] - org[0] <= 12, org
    first, last = (
        {a["account_name"]: a["score"] for a in r["accounts"]} for r in (series.runs[0], series.runs[-1])
    )
    fell = {name for name, score in last.items() if score is not None and score < (first.get(name) or 0)}
    assert fell == {"payments-prod"}
    # The demo's waiver holds the break-glass console's critical until it lapses before the last run.
    assert [r["organization"]["counts"]["waived"] for r in series.runs] == [1, 1, 0]
    fall = change(last["payments-prod"], first["payments-prod"]).removeprefix("−")
    sentence = f"Trend: {change(org[2], org[0])} over 3 runs ({shown(org[0])} → {shown(org[2])}); "
    summary = series.result["summary"]
    assert sentence in summary and f"payments-prod fell {fall} points over the same runs." in summary


def test_every_score_of_the_last_month_reads_the_same_everywhere(series: Series) -> None:
    latest, previous = series.runs[-1], series.runs[-2]
    org = shown(latest["organization"]["score"])
    before = {a["account_id"]: a["score"] for a in previous["accounts"]}
    accounts = {a["account_id"]: a for a in latest["accounts"] if a["score"] is not None}
    assert len(accounts) >= 6

    # Terminal.
    assert f"Organization score: {org} (grade " in series.result["summary"]

    # Workbook, as displayed: Summary, Scorecard (score and Δ), Trend (this run's row).
    workbook = openpyxl.load_workbook(series.out / "compliance-report.xlsx")
    summary_cells = [displayed(c) for r in workbook["Summary"].iter_rows() for c in r]
    assert org in summary_cells
    header, scorecard = rows(workbook["Scorecard"], "Level")
    at = {name: header.index(name) for name in ("Account id", "Score", "Δ vs previous run")}
    seen = set()
    for row in scorecard:
        account = accounts.get(str(row[at["Account id"]].value))
        if account is None or row[0].value != "Account":
            continue
        seen.add(account["account_id"])
        assert displayed(row[at["Score"]]) == shown(account["score"])
        if account["account_id"] in before:
            assert displayed(row[at["Δ vs previous run"]]) == change(
                account["score"], before[account["account_id"]]
            )
        else:  # an account that joined this month (media-prod) has no change to show
            assert displayed(row[at["Δ vs previous run"]]) == ""
    assert seen == accounts.keys()
    header, trend = rows(workbook["Trend"], "Run")
    last_row = next(r for r in trend if r[0].value == latest["run_id"])
    shown_in_trend = {header[i]: displayed(c) for i, c in enumerate(last_row)}
    assert shown_in_trend["Organization"] == org
    for account in accounts.values():
        assert shown_in_trend[account["account_name"]] == shown(account["score"])

    # PDFs: the scorecard's headline, change and league rows; the audit report's tables.
    card = pdf_text(series.out / "scorecard.pdf")
    # DESIGN §6: the leadership scorecard is one or two pages, also with a trend and ten accounts
    assert len(PdfReader(series.out / "scorecard.pdf").pages) <= 2
    assert f"score {org}" in card
    assert (
        f"{change(latest['organization']['score'], previous['organization']['score'])} since the previous run"
        in card
    )
    league = {
        line.split(account_id)[1]: account_id
        for line in card.splitlines()
        for account_id in accounts
        if account_id in line
    }
    for tail, account_id in league.items():
        account = accounts[account_id]
        if account_id in before:
            moved = change(account["score"], before[account_id])
            assert f" {shown(account['score'])} {moved} " in f" {tail} "
        else:
            assert f" {shown(account['score'])} " in f" {tail} "
    assert set(league.values()) == accounts.keys()
    audit = pdf_text(series.out / "audit-report.pdf")
    assert f"score {org}" in audit
    for account in accounts.values():
        assert f"score {shown(account['score'])}" in audit

    # SVG charts: the trend's point labels (every run) and the account bars of the audit report.
    labels = svg_texts(series.result["trend_chart"])
    assert [shown(r["organization"]["score"]) for r in series.runs] == [
        t for t in labels if "." in t and "-" not in t
    ][-3:]
    bars = svg_texts(series.result["account_chart"])
    for account in accounts.values():
        assert f"{shown(account['score'])} {account['grade']}" in bars
