"""Look of the workbook: palette, cell styles, conditional formats, print setup.

Every styled cell is made through :class:`StyleBook`, which resolves a named style once per
workbook and stamps its resolved style ids onto each new cell. openpyxl's public setters
(``cell.font = …``) look every style object up again by hash on every cell, which dominates the
write time of a 100,000-finding workbook; copying the resolved ids is the same result for a
fraction of the cost.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.properties import PageSetupProperties

from reporter.render.excel.cells import needs_literal, xlsx_text

# --- palette ---------------------------------------------------------------------------------
INK = "1F2937"
MUTED = "6B7280"
HEADER_FILL = "1F3A5F"
SUBTOTAL_FILL = "DCE6F1"
GREEN, LIGHT_GREEN = "63BE7B", "C6EFCE"
YELLOW = "FFEB84"
RED, LIGHT_RED = "F8696B", "FFC7CE"
BAR_BLUE = "5B9BD5"

SEVERITY_COLOURS: dict[str, tuple[str, str]] = {
    # severity → (fill, font): the darker the fill, the more urgent.
    "critical": ("9C0006", "FFFFFF"),
    "high": ("F4B084", INK),
    "medium": ("FFE699", INK),
    "low": ("E2EFDA", INK),
}
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "fail": (LIGHT_RED, "9C0006"),
    "error": ("E4DFEC", "5B2C6F"),
    "waived": ("DDEBF7", "1F4E79"),
    "pass": (LIGHT_GREEN, "006100"),
}
GRADE_COLOURS: dict[str, tuple[str, str]] = {
    "A": ("63BE7B", INK),
    "B": ("B5D98A", INK),
    "C": ("FFEB84", INK),
    "D": ("F8B26A", INK),
    "F": ("F8696B", "FFFFFF"),
    "n/a": ("EDEDED", MUTED),
}
WAIVER_STATE_COLOURS: dict[str, tuple[str, str]] = {
    "active": (LIGHT_GREEN, "006100"),
    "expired": (LIGHT_RED, "9C0006"),
    "unused": ("EDEDED", MUTED),
}

# Number formats. Scores are written already rounded down to one decimal (see cells.py).
SCORE_FORMAT = "0.0"
# Score changes are whole tenths (scoring.score_change), shown as scoring.format_delta writes them.
DELTA_FORMAT = '+0.0;"−"0.0;"±"0.0'
PERCENT_FORMAT = "0.0%"
INT_FORMAT = "#,##0"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

_THIN = Side(style="thin", color="BFBFBF")


@dataclass(frozen=True)
class CellStyle:
    """A named cell look; None leaves the attribute at the workbook default."""

    font: Font | None = None
    fill: PatternFill | None = None
    alignment: Alignment | None = None
    border: Border | None = None
    number_format: str | None = None


def _solid(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)


def _coloured(fill: str, font: str, *, bold: bool = False) -> CellStyle:
    return CellStyle(
        font=Font(color=font, bold=bold), fill=_solid(fill), alignment=Alignment(horizontal="center")
    )


def _base_styles() -> dict[str, CellStyle]:
    styles: dict[str, CellStyle] = {
        "title": CellStyle(font=Font(size=16, bold=True, color=HEADER_FILL)),
        "subtitle": CellStyle(font=Font(italic=True, color=MUTED)),
        "section": CellStyle(font=Font(size=12, bold=True, color=HEADER_FILL)),
        "label": CellStyle(font=Font(bold=True, color=INK)),
        "header": CellStyle(
            font=Font(bold=True, color="FFFFFF"),
            fill=_solid(HEADER_FILL),
            alignment=Alignment(vertical="center", wrap_text=True),
            border=Border(bottom=_THIN),
        ),
        # Text from AWS that a spreadsheet would read as a formula: quotePrefix keeps it text even
        # when someone edits the cell (set in StyleBook.cell, which also forces the string type).
        "literal": CellStyle(),
        "link": CellStyle(font=Font(color="0563C1", underline="single")),
        "int": CellStyle(number_format=INT_FORMAT),
        "score": CellStyle(number_format=SCORE_FORMAT),
        "delta": CellStyle(number_format=DELTA_FORMAT),
        "percent": CellStyle(number_format=PERCENT_FORMAT),
        "datetime": CellStyle(number_format=DATETIME_FORMAT),
        "big_score": CellStyle(font=Font(size=20, bold=True), number_format=SCORE_FORMAT),
        "subtotal": CellStyle(
            font=Font(bold=True, color=INK), fill=_solid(SUBTOTAL_FILL), border=Border(top=_THIN)
        ),
        "note": CellStyle(font=Font(italic=True, color=MUTED)),
        "wrap": CellStyle(alignment=Alignment(wrap_text=True, vertical="top")),
    }
    for prefix, table in (
        ("severity", SEVERITY_COLOURS),
        ("status", STATUS_COLOURS),
        ("grade", GRADE_COLOURS),
        ("state", WAIVER_STATE_COLOURS),
    ):
        for key, (fill, font) in table.items():
            styles[f"{prefix}:{key}"] = _coloured(fill, font, bold=prefix == "grade")
    styles["big_grade"] = CellStyle(font=Font(size=20, bold=True), alignment=Alignment(horizontal="center"))
    return styles


@dataclass
class StyleBook:
    """Makes styled write-only cells; one StyleBook per workbook (style ids are per workbook)."""

    styles: dict[str, CellStyle] = field(default_factory=_base_styles)
    _resolved: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def _template(self, ws: Any, names: tuple[str, ...], literal: bool) -> Any:
        key = (*names, "literal") if literal else names
        if key not in self._resolved:
            cell = WriteOnlyCell(ws)  # any sheet of the workbook: style ids are workbook-wide
            for name in names:
                style = self.styles[name]
                # Later names override earlier ones attribute by attribute ("subtotal" + "score").
                if style.font is not None:
                    cell.font = style.font
                if style.fill is not None:
                    cell.fill = style.fill
                if style.alignment is not None:
                    cell.alignment = style.alignment
                if style.border is not None:
                    cell.border = style.border
                if style.number_format is not None:
                    cell.number_format = style.number_format
            if literal:
                cell.quotePrefix = True
            self._resolved[key] = cell._style
        return self._resolved[key]

    def cell(
        self, ws: Any, value: Any, *names: str, literal: bool = False, link: str | None = None
    ) -> WriteOnlyCell:
        """A cell holding ``value`` with the named styles applied in order.

        Strings are always stored as text (:func:`.cells.xlsx_text`); one that a spreadsheet
        would read as a formula or an error value, or any string when ``literal`` is set, is forced
        to the string type and quote-prefixed, so Excel keeps it text even when the cell is edited.
        ``link`` makes the cell a hyperlink to that URL (a relationship, not a formula).
        """
        if isinstance(value, str):
            literal = literal or needs_literal(value)
            value = xlsx_text(value)
        cell = WriteOnlyCell(ws, value=value)
        if literal:
            cell.data_type = "s"
        if names or literal:
            cell._style = copy(self._template(ws, names, literal))
        if link is not None:
            cell.hyperlink = link
        return cell


def colour_scale() -> ColorScaleRule:
    """Red (0) → yellow (70, the C line) → green (100) for 0–100 scores."""
    return ColorScaleRule(
        start_type="num",
        start_value=0,
        start_color=RED,
        mid_type="num",
        mid_value=70,
        mid_color=YELLOW,
        end_type="num",
        end_value=100,
        end_color=GREEN,
    )


def data_bar() -> DataBarRule:
    """A bar from 0 % to 100 % for pass rates (fractions 0–1)."""
    return DataBarRule(
        start_type="num", start_value=0, end_type="num", end_value=1, color=BAR_BLUE, showValue=True
    )


def row_highlight(status_cell: str, value: str) -> FormulaRule:
    """Fill a whole row when its status cell (e.g. "$F5", the first data row) equals ``value``.

    The formula compares a cell against one of our own status words; no text from AWS is ever
    part of it.
    """
    if not value.isalpha():
        raise ValueError(f"status words only, not {value!r}")
    return FormulaRule(
        formula=[f'{status_cell}="{value}"'], fill=_solid(LIGHT_RED), font=Font(color="9C0006")
    )


def print_setup(ws: Any, header_row: int | None) -> None:
    """Landscape, one page wide, header row repeated on every printed page, page numbers.

    Call it before the sheet's first row: fit-to-page lives in the sheet properties, which a
    write-only sheet writes ahead of its rows.
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"
