"""One data table on a write-only sheet: title, header, rows, widths, filter, panes, print setup.

Write-only sheets are streamed: everything that sits before the rows in the sheet's XML (column
widths, frozen panes, sheet properties) is set before the first row is appended; everything after
them (autofilter, conditional formats, print titles, charts) is set once the rows are known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from reporter.render.excel.cells import column_values, console_url, needs_literal, score_value, xlsx_text
from reporter.render.excel.style import StyleBook, print_setup

EXCEL_MAX_ROWS = 1_048_576
"""Rows of one Excel worksheet; a longer table is cut, with a note saying how many rows are left out."""
MAX_LINKS_PER_SHEET = 65_530
"""Excel refuses more hyperlinks than this on one worksheet; later ARNs are written as plain text."""
WIDTH_SAMPLE = 400
"""Rows sampled (evenly spread) to fit column widths: enough to see typical lengths, cheap at 1M rows."""
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0

# Column kind → the style of its (number) cells. The kinds in _VALUE_STYLES colour a cell by its
# text instead, with the style named "<kind>:<value>" when there is one.
_NUMBER_STYLES = {
    "int": "int",
    "score": "score",
    "delta": "delta",
    "percent": "percent",
    "datetime": "datetime",
}
_VALUE_STYLES = {"severity", "status", "grade", "state"}


@dataclass(frozen=True)
class Column:
    """One column of a table: frame column ``key`` shown under ``header`` as ``kind``.

    kinds: text, arn (a console link when the ARN is a function or role), int, float, score (0–100,
    rounded down to one decimal), delta, percent (a fraction 0–1), datetime, bool, and the coloured
    text kinds severity, status, grade, state.
    """

    key: str
    header: str
    kind: str = "text"
    width: float | None = None


@dataclass
class Sheet:
    """A write-only worksheet and the number of its last written row."""

    ws: Any
    book: StyleBook
    row: int = 0
    links: int = 0

    def append(self, values: Sequence[Any]) -> int:
        self.ws.append(list(values))
        self.row += 1
        return self.row

    def text(self, value: Any, *styles: str) -> Any:
        """A cell for a value of any origin: a plain value where that is safe, else a made cell."""
        if isinstance(value, str):
            if styles or needs_literal(value) or xlsx_text(value) is not value:
                return self.book.cell(self.ws, value, *styles)
            return value
        return self.book.cell(self.ws, value, *styles) if styles else value

    def title(self, title: str, subtitle: str | None = None) -> None:
        self.append([self.text(title, "title")])
        if subtitle is not None:
            self.append([self.text(subtitle, "subtitle")])

    def set_widths(self, widths: Sequence[float]) -> None:
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width


@dataclass(frozen=True)
class Table:
    """Where a table landed: its header row, data rows and columns."""

    header_row: int
    first_row: int
    last_row: int
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return self.last_row < self.first_row

    def letter(self, key: str) -> str:
        return get_column_letter([c.key for c in self.columns].index(key) + 1)

    def data_range(self, key: str) -> str:
        col = self.letter(key)
        return f"{col}{self.first_row}:{col}{max(self.last_row, self.first_row)}"

    @property
    def ref(self) -> str:
        """The header and data rows, for the autofilter."""
        return (
            f"A{self.header_row}:{get_column_letter(len(self.columns))}{max(self.last_row, self.header_row)}"
        )


def fit_widths(columns: Sequence[Column], values: dict[str, list[Any]]) -> list[float]:
    """Column widths from the header and a sample of values, within [MIN_WIDTH, MAX_WIDTH]."""
    widths = []
    for col in columns:
        if col.width is not None:
            widths.append(col.width)
            continue
        vals = values[col.key]
        sample = vals[:: max(1, len(vals) // WIDTH_SAMPLE)]
        longest = max((len(_shown(v, col.kind)) for v in sample), default=0)
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, len(col.header) + 2, longest * 1.1 + 2)))
    return widths


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind in ("score", "delta") and isinstance(value, int | float):
        return f"{value:.1f}"
    if kind == "percent":
        return "100.0%"
    if kind == "datetime":
        return "2026-01-01 00:00"
    return str(value)


def _maker(sheet: Sheet, col: Column, notes: list[str]) -> Callable[[Any, tuple[str, ...]], Any]:
    """The function turning one value of ``col`` (and a row style, possibly empty) into a cell.

    Appends to ``notes`` what the reader must be told below the table (links left out).
    """
    link_note = f"Console links on the first {MAX_LINKS_PER_SHEET:,} ARNs of this sheet only (Excel's limit)."
    book, ws = sheet.book, sheet.ws
    if col.kind in _NUMBER_STYLES:
        style = _NUMBER_STYLES[col.kind]
        convert = score_value if col.kind == "score" else (lambda v: v)
        return lambda v, pre: sheet.text(None, *pre) if v is None else book.cell(ws, convert(v), *pre, style)
    if col.kind in _VALUE_STYLES:
        styles = book.styles
        return lambda v, pre: (
            sheet.text(v, *pre, f"{col.kind}:{v}") if f"{col.kind}:{v}" in styles else sheet.text(v, *pre)
        )
    if col.kind == "arn":

        def arn(v: Any, pre: tuple[str, ...]) -> Any:
            url = console_url(v) if isinstance(v, str) else None
            if url is None:
                return sheet.text(v, *pre)
            if sheet.links >= MAX_LINKS_PER_SHEET:
                if link_note not in notes:
                    notes.append(link_note)
                return sheet.text(v, *pre)
            sheet.links += 1
            return book.cell(ws, v, *pre, "link", link=url)

        return arn
    return lambda v, pre: sheet.text(v, *pre)


def write_table(
    sheet: Sheet,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    title: str | None = None,
    subtitle: str | None = None,
    row_styles: Sequence[str | None] | None = None,
    widths: Sequence[float] | None = None,
    freeze: bool = True,
) -> Table:
    """Append a table of ``frame`` to ``sheet``; the caller adds conditional formats and charts.

    ``row_styles`` names a style for whole rows (e.g. "subtotal"); ``widths`` overrides the fitted
    widths (for sheets holding several tables, whose widths must be set before any row).
    With ``freeze``, the panes freeze below the header, the header repeats on printed pages and
    the autofilter covers the header and data rows; set it on one table per sheet.
    """
    header_row = sheet.row + 1 + (title is not None) + (subtitle is not None)
    notes: list[str] = []
    room = EXCEL_MAX_ROWS - header_row - 2  # two rows kept for a note
    if len(frame) > room:
        notes.append(
            f"{len(frame) - room:,} more rows did not fit: Excel sheets end at row {EXCEL_MAX_ROWS:,}."
        )
        frame = frame.iloc[:room]
        row_styles = None if row_styles is None else row_styles[:room]
    values = {c.key: column_values(frame[c.key]) if c.key in frame else [None] * len(frame) for c in columns}
    if sheet.row == 0:
        sheet.set_widths(widths if widths is not None else fit_widths(columns, values))
        print_setup(sheet.ws, header_row if freeze else None)
        if freeze:
            sheet.ws.freeze_panes = f"A{header_row + 1}"
    if title is not None:
        sheet.title(title, subtitle)
    sheet.append([sheet.text(c.header, "header") for c in columns])  # headers may be account names
    makers = [_maker(sheet, c, notes) for c in columns]
    rows = zip(*(values[c.key] for c in columns), strict=True) if columns else iter(())
    for i, row in enumerate(rows):
        style = row_styles[i] if row_styles is not None else None
        pre: tuple[str, ...] = () if style is None else (style,)
        sheet.append([make(v, pre) for make, v in zip(makers, row, strict=True)])
    table = Table(header_row=header_row, first_row=header_row + 1, last_row=sheet.row, columns=tuple(columns))
    if freeze:
        sheet.ws.auto_filter.ref = table.ref
    if notes:
        sheet.append([])
        sheet.append([sheet.book.cell(sheet.ws, " ".join(notes), "note")])
    return table
