"""Acceptance for month-over-month history: three demo months leave three runs that agree."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from pypdf import PdfReader

from reporter.scoring import format_score
from tests.e2e.conftest import run_cli


def test_three_demo_months_leave_three_runs_with_a_trend(tmp_path: Path) -> None:
    out = tmp_path / "2026-11"
    proc = run_cli(["--demo", "--demo-months", "3", "--out", str(out), "--format", "xlsx,pdf,json"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 3
    scores = [json.loads((run / "scores.json").read_text()) for run in runs]
    assert [s["run_id"] for s in scores] == [r.name for r in runs]
    assert all((run / "evidence" / "manifest.json").is_file() for run in runs)

    workbook = openpyxl.load_workbook(out / "compliance-report.xlsx")
    trend = workbook["Trend"]
    header = next(r for r in trend.iter_rows(values_only=True) if r and r[0] == "Run")
    org_column = header.index("Organization")
    rows = [r for r in trend.iter_rows(values_only=True) if r and r[0] in {s["run_id"] for s in scores}]
    assert [r[0] for r in rows] == [s["run_id"] for s in scores]
    for row, run in zip(rows, scores, strict=True):
        assert abs(row[org_column] - run["organization"]["score"]) < 0.1
    scorecard = workbook["Scorecard"]
    header = next(r for r in scorecard.iter_rows(values_only=True) if r and r[0] == "Level")
    assert "Δ vs previous run" in header

    text = "".join(page.extract_text() for page in PdfReader(out / "scorecard.pdf").pages)
    assert "over time" in text
    assert format_score(scores[-1]["organization"]["score"]) in text
