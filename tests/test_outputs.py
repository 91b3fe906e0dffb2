"""findings.json and findings.csv: columns, reproducible bytes, CSV injection, atomic writes, --fail-on."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reporter.errors import UserError
from reporter.findings import FINDING_COLUMNS
from reporter.outputs import (
    atomic_write,
    fail_on_exit,
    sort_findings,
    write_findings_csv,
    write_findings_json,
)


def finding(
    rule: str, name: str, status: str = "fail", severity: str = "high", **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FINDING_COLUMNS)
    row |= {
        "rule_id": rule,
        "title": f"Title of {rule}",
        "severity": severity,
        "status": status,
        "account_id": "111111111111",
        "account_name": "Prod",
        "ou_path": "Root/Prod",
        "region": "us-east-1",
        "resource_type": "function",
        "resource_id": name,
        "resource_arn": f"arn:aws:lambda:us-east-1:111111111111:function:{name}",
        "reason": f"{name} fails {rule}",
        "remediation": "fix it",
    }
    return row | extra


def sample() -> pd.DataFrame:
    rows = [
        finding("LG-PUB-01", "b"),
        finding("LG-IAM-01", "z", status="waived", waiver_id="W-1", waiver_expires=dt.date(2026, 12, 31)),
        finding("LG-IAM-01", "a", status="pass"),
        finding("LG-CFG-01", "x", resource_type="account-region", resource_id="111111111111/us-east-1")
        | {"resource_arn": None},
        finding("LG-PUB-01", "é-ünïcode", reason='quote " and, comma\nnewline'),
    ]
    return pd.DataFrame(rows, columns=[*FINDING_COLUMNS, "guide_section"])


def test_json_is_an_array_of_records_in_column_order(tmp_path: Path) -> None:
    path = write_findings_json(sample(), tmp_path / "findings.json")
    records = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(records, list) and len(records) == 5
    assert all(list(r) == list(FINDING_COLUMNS) for r in records)  # guide_section is not written
    # canonical order: rule_id, then account, region, resource type, resource id, ARN
    assert [(r["rule_id"], r["resource_id"]) for r in records] == [
        ("LG-CFG-01", "111111111111/us-east-1"),
        ("LG-IAM-01", "a"),
        ("LG-IAM-01", "z"),
        ("LG-PUB-01", "b"),
        ("LG-PUB-01", "é-ünïcode"),
    ]
    assert records[0]["resource_arn"] is None and records[0]["waiver_id"] is None
    assert records[2]["waiver_expires"] == "2026-12-31"
    assert records[4]["reason"] == 'quote " and, comma\nnewline'
    assert path.read_bytes().count(b"\n") == 5 + 2  # "[", one line per record, "]"


def test_outputs_are_byte_identical_whatever_the_input_order(tmp_path: Path) -> None:
    df = sample()
    shuffled = df.sample(frac=1, random_state=3).reset_index(drop=True)
    for writer, name in ((write_findings_json, "f.json"), (write_findings_csv, "f.csv")):
        first = writer(df, tmp_path / f"1-{name}").read_bytes()
        second = writer(shuffled, tmp_path / f"2-{name}").read_bytes()
        again = writer(df, tmp_path / f"3-{name}").read_bytes()
        assert first == second == again


def test_csv_escapes_formula_cells(tmp_path: Path) -> None:
    risky = ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "\tcmd", "\rcmd"]
    rows = [finding("LG-PUB-01", f"fn{i}", reason=value) for i, value in enumerate(risky)]
    rows.append(finding("LG-PUB-01", "safe", reason="a = b, -1 inside is fine"))
    path = write_findings_csv(pd.DataFrame(rows), tmp_path / "findings.csv")
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    table = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert table[0] == list(FINDING_COLUMNS)
    reasons = [row[FINDING_COLUMNS.index("reason")] for row in table[1:]]
    assert reasons == ["'" + v for v in risky] + ["a = b, -1 inside is fine"]
    assert all(len(row) == len(FINDING_COLUMNS) for row in table)
    waiver = [row[FINDING_COLUMNS.index("waiver_id")] for row in table[1:]]
    assert set(waiver) == {""}  # null → empty cell


def test_json_is_not_escaped(tmp_path: Path) -> None:
    df = pd.DataFrame([finding("LG-PUB-01", "f", reason="=1+1")])
    (record,) = json.loads(write_findings_json(df, tmp_path / "f.json").read_text(encoding="utf-8"))
    assert record["reason"] == "=1+1"


def test_duplicate_rule_resource_rows_are_rejected() -> None:
    df = pd.DataFrame([finding("LG-PUB-01", "f"), finding("LG-PUB-01", "f", status="pass")])
    with pytest.raises(ValueError, match="more than one row"):
        sort_findings(df)


def test_missing_columns_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="remediation"):
        write_findings_json(sample().drop(columns=["remediation"]), tmp_path / "f.json")


def test_atomic_write_leaves_only_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.xlsx"

    def write(temp: Path) -> None:
        assert temp.parent == target.parent and temp.suffix == ".xlsx" and temp != target
        temp.write_bytes(b"complete")

    atomic_write(target, write)
    assert target.read_bytes() == b"complete"
    assert os.listdir(target.parent) == ["report.xlsx"]


def test_atomic_write_failure_keeps_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")

    def broken(temp: Path) -> None:
        temp.write_bytes(b"partial")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["report.pdf"]

    fresh = tmp_path / "never.pdf"
    with pytest.raises(RuntimeError):
        atomic_write(fresh, broken)
    assert not fresh.exists()
    assert os.listdir(tmp_path) == ["report.pdf"]


def test_atomic_write_honours_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "f.json", lambda temp: temp.write_text("x"))
    finally:
        os.umask(old)
    assert (tmp_path / "f.json").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("fail_on", "rows", "expected"),
    [
        (None, [("critical", "fail")], False),
        ("high", [("medium", "fail"), ("low", "fail")], False),
        ("high", [("medium", "fail"), ("high", "fail")], True),
        ("high", [("critical", "fail")], True),
        ("critical", [("critical", "waived"), ("critical", "error"), ("critical", "pass")], False),
        ("low", [("low", "fail")], True),
        ("low", [], False),
    ],
)
def test_fail_on(fail_on: str | None, rows: list[tuple[str, str]], expected: bool) -> None:
    df = pd.DataFrame(
        [finding("R", f"f{i}", status=status, severity=sev) for i, (sev, status) in enumerate(rows)],
        columns=list(FINDING_COLUMNS),
    )
    assert fail_on_exit(df, fail_on) is expected


def test_fail_on_unknown_severity_is_a_user_error() -> None:
    with pytest.raises(UserError, match="--fail-on"):
        fail_on_exit(sample(), "severe")
