"""compliance-report.xlsx: structure, numbers, cell safety and links, read back with openpyxl."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from reporter.findings import FINDING_COLUMNS
from reporter.render.excel import table as excel_table
from reporter.render.excel.cells import column_values, console_url, xlsx_text
from reporter.render.excel.sheets import FINDINGS_COLUMNS
from reporter.render.excel.workbook import SHEETS, write_workbook
from reporter.render.model import ReportModel
from reporter.settings import SEVERITIES
from tests.render.synthetic import HOSTILE_NAMES, synthetic_model

EXPECTED_SHEETS = [
    "Summary",
    "Scorecard",
    "Findings",
    "Controls",
    "Functions",
    "Roles",
    "Coverage",
    "Waivers",
    "Trend",
]
LIST_SHEETS = ["Scorecard", "Findings", "Controls", "Functions", "Roles", "Coverage", "Waivers"]
HEADER_ROW = 3
NOT_PASS = ("fail", "error", "waived")
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _written(model: ReportModel, path: Path) -> Workbook:
    write_workbook(model, path)
    return load_workbook(path)


@pytest.fixture(scope="module")
def small_wb(small_model: ReportModel, tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    return _written(small_model, tmp_path_factory.mktemp("xlsx") / "small.xlsx")


@pytest.fixture(scope="module")
def hostile_wb(hostile_model: ReportModel, tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    return _written(hostile_model, tmp_path_factory.mktemp("xlsx") / "hostile.xlsx")


def _unescape(text: str) -> str:
    """What Excel shows for a stored string (the OOXML _xHHHH_ escape, which openpyxl leaves as is)."""
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _header(ws: Worksheet) -> list[Any]:
    return [c.value for c in ws[HEADER_ROW]]


def _records(ws: Worksheet) -> list[dict[str, Any]]:
    """Data rows of a list sheet as header → value, up to the autofilter's last row."""
    last = int(re.sub(r"^\D+", "", ws.auto_filter.ref.split(":")[1]))
    header = _header(ws)
    rows = ws.iter_rows(min_row=HEADER_ROW + 1, max_row=last, values_only=True)
    return [dict(zip(header, row, strict=False)) for row in rows]


def _shown(score: Any) -> float | None:
    """A model score as every report shows it: rounded down to one decimal."""
    if score is None or pd.isna(score):
        return None
    return math.floor(float(score) * 10 + 1e-9) / 10


def test_sheets_in_order(small_wb: Workbook) -> None:
    assert small_wb.sheetnames == EXPECTED_SHEETS
    assert [name for name, _ in SHEETS] == EXPECTED_SHEETS


def test_every_sheet_has_a_title_and_prints_landscape_one_page_wide(small_wb: Workbook) -> None:
    for ws in small_wb.worksheets:
        assert isinstance(ws["A1"].value, str) and ws["A1"].value, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
    for name in LIST_SHEETS:
        assert small_wb[name].print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}", name


def test_list_sheets_freeze_the_header_and_filter_every_row(
    small_wb: Workbook, small_model: ReportModel
) -> None:
    n_listed = int(small_model.findings["status"].isin(NOT_PASS).sum())
    expected_rows = {
        "Findings": n_listed,
        "Controls": len(small_model.controls),
        "Functions": len(small_model.functions),
        "Roles": len(small_model.roles),
        "Coverage": len(small_model.coverage),
        "Waivers": len(small_model.waivers),
        "Scorecard": len(small_model.accounts) + len(small_model.ous),
    }
    for name, rows in expected_rows.items():
        ws = small_wb[name]
        last_col = ws.cell(HEADER_ROW, len(_header(ws))).column_letter
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}", name
        assert ws.auto_filter.ref == f"A{HEADER_ROW}:{last_col}{HEADER_ROW + rows}", name
        assert all(dim.width <= 60 for dim in ws.column_dimensions.values()), name


def test_findings_lists_every_non_pass_finding_once(small_wb: Workbook, small_model: ReportModel) -> None:
    f = small_model.findings
    expected = f[f["status"].isin(NOT_PASS)]
    rows = _records(small_wb["Findings"])
    assert len(rows) == len(expected) > 0
    keys = sorted((r["Rule"], r["Account id"], r["Resource"], r["Status"]) for r in rows)
    model_keys = expected[["rule_id", "account_id", "resource_id", "status"]].astype(object)
    assert keys == sorted(map(tuple, model_keys.itertuples(index=False)))
    # the engine fills remediation on failing rows only (waived ones were failing); error rows keep none
    assert all(bool(r["Remediation"]) == (r["Status"] != "error") for r in rows)
    severities = [r["Severity"] for r in rows]
    order = {s: i for i, s in enumerate(SEVERITIES)}  # most severe first
    assert [order[s] for s in severities] == sorted(order[s] for s in severities)


def test_scorecard_numbers_are_the_models(small_wb: Workbook, small_model: ReportModel) -> None:
    rows = _records(small_wb["Scorecard"])
    accounts = {r["Account id"]: r for r in rows if r["Level"] == "Account"}
    model_accounts = small_model.accounts.astype(object).where(small_model.accounts.notna(), None)
    assert set(accounts) == set(model_accounts["account_id"])
    for acc in model_accounts.to_dict("records"):
        row = accounts[acc["account_id"]]
        assert row["Score"] == _shown(acc["score"])
        assert row["Grade"] == acc["grade"]
        counts = [row[h] for h in ("Critical", "High", "Medium", "Low", "Waived", "Errors")]
        assert counts == [acc[c] for c in ("critical", "high", "medium", "low", "waived", "errors")]
    subtotals = {r["OU"]: r for r in rows if r["Level"] == "OU subtotal"}
    for ou in small_model.ous.astype(object).to_dict("records"):
        assert subtotals[ou["ou_path"]]["Score"] == _shown(ou["score"])
        assert subtotals[ou["ou_path"]]["Accounts"] == ou["accounts"]


def test_scorecard_subtotal_closes_its_ou(small_wb: Workbook) -> None:
    rows = _records(small_wb["Scorecard"])
    for i, row in enumerate(rows):
        if row["Level"] != "OU subtotal":
            continue
        ou = row["OU"]
        under = [j for j, r in enumerate(rows) if r["OU"] == ou or str(r["OU"]).startswith(ou + "/")]
        # The OU's accounts and child OUs form one block that its subtotal ends.
        assert under == list(range(under[0], i + 1)), ou


def test_conditional_formats(small_wb: Workbook) -> None:
    def rule_types(name: str) -> dict[str, list[str]]:
        return {str(cf.sqref): [r.type for r in cf.rules] for cf in small_wb[name].conditional_formatting}

    last_row = re.sub(r"^\D+", "", small_wb["Scorecard"].auto_filter.ref.split(":")[1])
    assert rule_types("Scorecard") == {f"F{HEADER_ROW + 1}:F{last_row}": ["colorScale"]}
    assert ["dataBar"] in rule_types("Controls").values()
    assert ["colorScale"] in rule_types("Functions").values()
    coverage = small_wb["Coverage"].conditional_formatting
    (highlight,) = [r for cf in coverage for r in cf.rules]
    assert highlight.type == "expression" and highlight.formula == [f'$A{HEADER_ROW + 1}="error"']


def test_controls_pass_rate_is_a_fraction_with_counts(small_wb: Workbook, small_model: ReportModel) -> None:
    rows = {r["Rule"]: r for r in _records(small_wb["Controls"])}
    assert len(rows) == 28
    for c in small_model.controls.astype(object).to_dict("records"):
        row = rows[c["rule_id"]]
        assert [row["Pass"], row["Fail"], row["Error"], row["Waived"]] == [
            c["pass"],
            c["fail"],
            c["error"],
            c["waived"],
        ]
        assert (
            row["Pass rate"] == pytest.approx(c["pass_rate"])
            if c["pass_rate"] is not None
            else row["Pass rate"] is None
        )
        # the catalog's frameworks header is one text (the old fake catalog had lists)
        assert row["Frameworks / AWS controls"] == c["frameworks"]


def test_summary_charts_and_numbers(small_wb: Workbook, small_model: ReportModel) -> None:
    ws = small_wb["Summary"]
    assert len(ws._charts) == 2
    labels = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert labels["Score (0–100)"] == _shown(small_model.organization.score)
    assert labels["Grade"] == small_model.organization.grade
    assert labels["Evidence manifest sha256"] == small_model.meta.evidence_manifest_sha256
    assert labels["fail"] == small_model.organization.counts["fail"]


def test_trend_without_history_says_so(small_wb: Workbook) -> None:
    ws = small_wb["Trend"]
    assert ws._charts == []
    assert "No earlier runs" in ws["A2"].value


def test_trend_with_history_has_a_line_chart(hostile_wb: Workbook, hostile_model: ReportModel) -> None:
    ws = hostile_wb["Trend"]
    assert len(ws._charts) == 1
    rows = _records(ws)
    assert [r["Run"] for r in rows] == list(hostile_model.trend["run_id"].drop_duplicates())
    assert rows[-1]["Organization"] == _shown(hostile_model.organization.score)


def test_hostile_names_are_stored_as_exact_text(hostile_wb: Workbook) -> None:
    formula_name = '=HYPERLINK("http://x","y")'
    findings = hostile_wb["Findings"]
    cells = [c for row in findings.iter_rows(min_row=HEADER_ROW + 1) for c in row if c.value == formula_name]
    assert cells, "the formula-looking function name must be on the Findings sheet"
    for cell in cells:
        assert cell.data_type == "s" and cell.value == formula_name and cell.quotePrefix
    texts = {
        _unescape(c.value)
        for ws in hostile_wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }
    for name in HOSTILE_NAMES:
        # CR is escaped as _x000D_ because XML readers turn a raw CR into LF; Excel shows the CR.
        assert name in texts, repr(name)
    assert formula_name in _header(hostile_wb["Trend"])  # an account name as a column header
    for ws in hostile_wb.worksheets:
        assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"], ws.title


def test_arn_cells_link_to_the_console(hostile_wb: Workbook) -> None:
    findings = hostile_wb["Findings"]
    arn_col = _header(findings).index("Resource ARN (console link)") + 1
    linked = [
        findings.cell(r, arn_col)
        for r in range(HEADER_ROW + 1, findings.max_row + 1)
        if findings.cell(r, arn_col).value
    ]
    assert linked and all(c.hyperlink is not None for c in linked)
    for cell in linked:
        arn = _unescape(cell.value)
        region, name = arn.split(":")[3], arn.split(":function:", 1)[1]
        assert cell.hyperlink.target == console_url(arn)
        assert cell.hyperlink.target.startswith(
            f"https://console.aws.amazon.com/lambda/home?region={region}#/functions/"
        )
        # Names are percent-encoded: nothing in them can leave the function's page.
        assert re.fullmatch(r"[A-Za-z0-9%._~-]+", cell.hyperlink.target.split("#/functions/")[1])
        assert quote(name.split(":")[0], safe="") == cell.hyperlink.target.split("#/functions/")[1]
    roles = hostile_wb["Roles"]
    role_col = _header(roles).index("Role ARN (console link)") + 1
    role_cell = roles.cell(HEADER_ROW + 1, role_col)
    name = role_cell.value.rsplit("/", 1)[1]
    assert role_cell.hyperlink.target == console_url(role_cell.value)
    assert role_cell.hyperlink.target.startswith("https://console.aws.amazon.com/iam/home#/roles/")
    assert name in roles.cell(HEADER_ROW + 1, _header(roles).index("Role") + 1).value


def test_console_url() -> None:
    fn = "arn:aws:lambda:eu-west-1:111122223333:function:my-fn"
    assert console_url(fn) == "https://console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/my-fn"
    assert console_url(fn + ":live") == console_url(fn)
    role = "arn:aws:iam::111122223333:role/service-role/my role"
    assert console_url(role) == "https://console.aws.amazon.com/iam/home#/roles/my%20role"
    hostile = 'arn:aws:lambda:us-east-1:1:function:=HYPERLINK("x","y")&a=b#c'
    assert console_url(hostile) == (
        "https://console.aws.amazon.com/lambda/home?region=us-east-1#/functions/"
        "%3DHYPERLINK%28%22x%22%2C%22y%22%29%26a%3Db%23c"
    )
    # A function name cannot hold ":" (a qualifier follows it), so the name ends there.
    assert console_url('arn:aws:lambda:us-east-1:1:function:=H("http://x")') == (
        "https://console.aws.amazon.com/lambda/home?region=us-east-1#/functions/%3DH%28%22http"
    )
    assert console_url("arn:aws-cn:iam::1:role/r") == "https://console.amazonaws.cn/iam/home#/roles/r"
    for other in (
        "arn:aws:s3:::bucket",
        "arn:aws:lambda:bad region!:1:function:f",
        "arn:xx:iam::1:role/r",
        "nope",
    ):
        assert console_url(other) is None


def test_column_values_convert_arrow_and_python_values() -> None:
    arrow = pa.table(
        {
            "names": pa.array([["a", "b"], [], None], type=pa.list_(pa.string())),
            "tags": pa.array([[("k", "v"), ("x", "y")], [], None], type=pa.map_(pa.string(), pa.string())),
            "n": pa.array([1, None, 3], type=pa.int64()),
            "at": pa.array(
                [dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))), None, None],
                type=pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    frame = arrow.to_pandas(types_mapper=pd.ArrowDtype)
    frame["obj"] = pd.Series([{"a": 1}, float("nan"), pd.NA], dtype=object)
    assert column_values(frame["names"]) == ["a, b", "", None]
    assert column_values(frame["tags"]) == ["k=v; x=y", "", None]
    values = column_values(frame["n"])
    assert values == [1, None, 3] and type(values[0]) is int
    assert column_values(frame["at"]) == [dt.datetime(2026, 1, 1, 10), None, None]
    assert column_values(frame["obj"]) == ["a=1", None, None]


def test_control_characters_survive_as_excel_reads_them(tmp_path: Path) -> None:
    model = synthetic_model(findings=120, accounts=3, seed=9)
    f = model.findings.copy()
    tricky = ["bell\x07 and\x1f unit", "literal _x0041_ stays", "line\r\nbreak", "tab\tinside"]
    failing = f.index[f["status"] == "fail"][: len(tricky)]
    f.loc[failing, "reason"] = tricky
    wb = _written(dataclasses.replace(model, findings=f), tmp_path / "ctl.xlsx")
    texts = {
        _unescape(c.value) for row in wb["Findings"].iter_rows() for c in row if isinstance(c.value, str)
    }
    assert set(tricky) <= texts
    assert xlsx_text("plain") == "plain"


def test_empty_model_writes_every_sheet(empty_model: ReportModel, tmp_path: Path) -> None:
    wb = _written(empty_model, tmp_path / "empty.xlsx")
    assert wb.sheetnames == EXPECTED_SHEETS
    assert _records(wb["Findings"]) == []
    labels = {wb["Summary"].cell(r, 1).value: wb["Summary"].cell(r, 2).value for r in range(1, 30)}
    assert labels["Grade"] == "n/a" and labels["Score (0–100)"] == "n/a"


def test_write_replaces_the_file_atomically(small_model: ReportModel, tmp_path: Path) -> None:
    target = tmp_path / "out" / "compliance-report.xlsx"
    target.parent.mkdir()
    target.write_bytes(b"old")
    write_workbook(small_model, target)
    assert target.read_bytes()[:2] == b"PK"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_findings_sheet_shows_every_column_of_the_findings_record() -> None:
    keys = [c.key for c in FINDINGS_COLUMNS]
    assert sorted(keys) == sorted([*FINDING_COLUMNS, "guide_section"]) and len(set(keys)) == len(keys)


def test_rows_beyond_excels_limit_are_cut_with_a_note(
    small_model: ReportModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(excel_table, "EXCEL_MAX_ROWS", 50)
    monkeypatch.setattr(excel_table, "MAX_LINKS_PER_SHEET", 10)
    wb = _written(small_model, tmp_path / "cut.xlsx")
    ws = wb["Findings"]
    listed = int(small_model.findings["status"].isin(NOT_PASS).sum())
    assert ws.auto_filter.ref.endswith(str(50 - 2))
    note = ws.cell(ws.max_row, 1).value
    assert f"{listed - (50 - HEADER_ROW - 2):,} more rows did not fit" in note
    assert "Console links on the first 10 ARNs" in note
    assert sum(1 for row in ws.iter_rows() for c in row if c.hyperlink is not None) == 10


def _numpy_backed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the dtypes a builder may hand over instead of Arrow: nullable numpy, objects."""
    out: dict[str, pd.Series] = {}
    for name in frame.columns:
        col = frame[name]
        kind = col.dtype.pyarrow_dtype if isinstance(col.dtype, pd.ArrowDtype) else None
        if kind is None:
            out[name] = col
        elif pa.types.is_map(kind):
            out[name] = pd.Series([None if v is None else dict(v) for v in col.tolist()], dtype=object)
        elif pa.types.is_list(kind):
            out[name] = pd.Series([None if v is None else list(v) for v in col.tolist()], dtype=object)
        elif pa.types.is_integer(kind):
            out[name] = col.astype("Int64")
        elif pa.types.is_floating(kind):
            out[name] = col.astype("Float64")
        elif pa.types.is_boolean(kind):
            out[name] = col.astype("boolean")
        elif pa.types.is_timestamp(kind):
            out[name] = col.astype("datetime64[us, UTC]")
        else:
            out[name] = col.astype("str")
    return pd.DataFrame(out, index=frame.index)


def test_numpy_backed_frames_render_like_arrow_frames(history_model: ReportModel, tmp_path: Path) -> None:
    m = history_model
    numpy_model = dataclasses.replace(
        m,
        findings=_numpy_backed(m.findings),
        controls=_numpy_backed(m.controls),
        accounts=_numpy_backed(m.accounts),
        ous=_numpy_backed(m.ous),
        sections=_numpy_backed(m.sections),
        functions=_numpy_backed(m.functions),
        roles=_numpy_backed(m.roles),
        coverage=_numpy_backed(m.coverage),
        waivers=_numpy_backed(m.waivers),
        trend=_numpy_backed(m.trend),
        deltas=_numpy_backed(m.deltas),
    )
    arrow_wb = _written(history_model, tmp_path / "arrow.xlsx")
    numpy_wb = _written(numpy_model, tmp_path / "numpy.xlsx")
    for name in EXPECTED_SHEETS:
        arrow_rows = list(arrow_wb[name].iter_rows(values_only=True))
        assert arrow_rows == list(numpy_wb[name].iter_rows(values_only=True)), name
