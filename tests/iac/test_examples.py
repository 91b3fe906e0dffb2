"""Acceptance: examples/iac as a user runs it, through the real CLI entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest

from reporter.cli import main
from reporter.iac.sarif import SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "iac"


def _expected() -> set[tuple[str, ...]]:
    lines = (EXAMPLES / "expected-findings.tsv").read_text(encoding="utf-8").splitlines()
    return {tuple(line.split("\t")) for line in lines if line and not line.startswith("#")}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, str]:
    out = tmp_path_factory.mktemp("scan")
    import contextlib
    import io
    import os

    buffer = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)  # paths in the findings are as given: examples/iac/...
    try:
        with contextlib.redirect_stdout(buffer):
            code = main(["scan", "examples/iac/", "--out", str(out), "--fail-on", "high"])
    finally:
        os.chdir(cwd)
    return code, out, buffer.getvalue()


def test_prints_exactly_the_expected_findings(scanned: tuple[int, Path, str]) -> None:
    code, out, printed = scanned
    rows = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    found = {
        (r["file"], r["line"], r["rule_id"], r["status"], r["resource_id"])
        for r in rows
        if r["status"] != "pass"
    }
    assert found == _expected()
    for file, line, rule_id, _status, resource in _expected():
        assert f"{file}:{line}: " in printed and f"{rule_id} {resource}:" in printed
    assert {r["source"] for r in rows} == {"iac"}
    assert (
        "Not applicable to code (need a live account): LG-CFG-01, LG-CFG-02, LG-CFG-03, LG-CFG-04, LG-COST-03"
        in printed
    )


def test_fail_on_high_exits_1(scanned: tuple[int, Path, str]) -> None:
    assert scanned[0] == 1


def test_guide_example_passes_the_iam_rules_and_reports_its_dead_grant(
    scanned: tuple[int, Path, str],
) -> None:
    rows = json.loads((scanned[1] / "findings.json").read_text(encoding="utf-8"))
    guide = {r["rule_id"]: r for r in rows if r["resource_id"] == "GuideFunction"}
    assert {f"LG-IAM-0{i}": "pass" for i in range(1, 9)} == {
        k: v["status"] for k, v in guide.items() if k in {f"LG-IAM-0{i}" for i in range(1, 9)}
    }
    assert guide["LG-IAM-09"]["status"] == "fail"
    assert guide["LG-IAM-09"]["reason"].endswith("blocks (dead grants): dynamodb:UpdateItem")


def test_sarif_is_schema_valid_with_file_and_line_for_each(scanned: tuple[int, Path, str]) -> None:
    log = json.loads((scanned[1] / "findings.sarif").read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)
    results = log["runs"][0]["results"]
    assert {
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            str(r["locations"][0]["physicalLocation"]["region"]["startLine"]),
        )
        for r in results
    } == {(rule, file, line) for file, line, rule, _s, _r in _expected()}
    assert {r["level"] for r in results if r["ruleId"] in ("LG-COST-01", "LG-PUB-02")} == {"error"}
    iam06 = next(r for r in results if r["ruleId"] == "LG-IAM-06")
    related = iam06["relatedLocations"][0]["physicalLocation"]
    assert (related["artifactLocation"]["uri"], related["region"]["startLine"]) == (
        "examples/iac/orders-api.yaml",
        83,  # OrdersRole:
    )
    assert log["runs"][0]["properties"]["notApplicableRules"] == [
        "LG-CFG-01",
        "LG-CFG-02",
        "LG-CFG-03",
        "LG-CFG-04",
        "LG-COST-03",
    ]


def test_sarif_schema_rejects_a_broken_log() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate({"version": "2.1.0", "runs": [{"results": []}]})


def test_csv_carries_source_and_file(scanned: tuple[int, Path, str]) -> None:
    with (scanned[1] / "findings.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["source"] == "iac" and r["file"].startswith("examples/iac/") for r in rows)
