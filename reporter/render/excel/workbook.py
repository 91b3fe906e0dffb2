"""compliance-report.xlsx: the workbook auditors and engineers filter, sort and sign off.

Reads only the :class:`~reporter.render.model.ReportModel`. Written with openpyxl in write-only
mode, so memory stays flat however many findings there are; the file is written to a temporary
name next to the target and renamed when complete (:func:`reporter.outputs.atomic_write`).

Sheets, in order: Summary, Scorecard, Findings, Controls, Functions, Roles, Coverage, Waivers,
Trend. Layout details are in :mod:`.summary` (overview sheets) and :mod:`.sheets`
(lists); cell safety in :mod:`.cells`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from reporter.outputs import atomic_write
from reporter.render.excel.sheets import (
    controls_sheet,
    coverage_sheet,
    findings_sheet,
    functions_sheet,
    roles_sheet,
    waivers_sheet,
)
from reporter.render.excel.style import StyleBook
from reporter.render.excel.summary import scorecard_sheet, summary_sheet, trend_sheet
from reporter.render.excel.table import Sheet
from reporter.render.model import ReportModel

FILE_NAME = "compliance-report.xlsx"

SHEETS: tuple[tuple[str, Callable[[Sheet, ReportModel], Any]], ...] = (
    ("Summary", summary_sheet),
    ("Scorecard", scorecard_sheet),
    ("Findings", findings_sheet),
    ("Controls", controls_sheet),
    ("Functions", functions_sheet),
    ("Roles", roles_sheet),
    ("Coverage", coverage_sheet),
    ("Waivers", waivers_sheet),
    ("Trend", trend_sheet),
)
"""Sheet names in workbook order, with the function that fills each."""


def build_workbook(model: ReportModel) -> Workbook:
    """The filled (not yet saved) write-only workbook of ``model``."""
    wb = Workbook(write_only=True)
    book = StyleBook()
    for name, fill in SHEETS:
        fill(Sheet(wb.create_sheet(name), book), model)
    wb.properties.title = "AWS Lambda governance compliance report"
    wb.properties.subject = f"Organization {model.meta.organization_id}, period {model.meta.period}"
    wb.properties.creator = f"reporter {model.meta.tool_version}"
    return wb


def write_workbook(model: ReportModel, path: Path) -> None:
    """Write the compliance workbook of ``model`` to ``path`` atomically."""
    wb = build_workbook(model)
    atomic_write(Path(path), lambda temp: wb.save(temp))
