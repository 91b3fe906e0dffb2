"""A rule added as one SQL file reaches every report: no renderer or builder edit is needed."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reporter.inventory import Inventory
from reporter.model import RunMeta
from reporter.render.build import build_model
from reporter.render.excel.workbook import write_workbook
from reporter.render.model import ReportModel
from reporter.render.pdf import render as pdf
from reporter.rules.catalog import RULES_DIR, catalog_frame, load_catalog
from reporter.rules.engine import run_rules
from reporter.scoring import score
from reporter.settings import Settings
from reporter.summary import summary_text
from reporter.waivers import apply_waivers
from tests.render.synthetic import synthetic_model

NEW_RULE = """-- id: LG-OBS-01
-- title: Functions are traced with AWS X-Ray
-- severity: critical
-- scope: function
-- guide: Troubleshooting Advanced Lambda Issues
-- frameworks: none
-- reads: functions
-- risk: {count}{where} {are} untraced, so nobody can follow a failing request through them
-- owner: Observability guild
-- remediation: aws lambda update-function-configuration --function-name {name} --tracing-config Mode=Active

select account_id, region, 'function' as resource_type, name as resource_id, function_arn as resource_arn,
       case when tracing_mode = 'Active' then 'pass' else 'fail' end as status,
       name || ' tracing is ' || coalesce(tracing_mode, 'unset') as reason,
       name
from functions
"""
SENTENCE = "2 functions in 1 account are untraced, so nobody can follow a failing request through them"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> ReportModel:
    rules_dir = tmp_path_factory.mktemp("rules")
    for path in RULES_DIR.glob("*.sql"):
        shutil.copy(path, rules_dir / path.name)
    (rules_dir / "LG-OBS-01.sql").write_text(NEW_RULE, encoding="utf-8")
    catalog = load_catalog(rules_dir)
    functions = [
        {
            "account_id": ACCOUNT,
            "region": "us-east-1",
            "function_arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}",
            "name": name,
            "tracing_mode": mode,
            "role_arn": ROLE,
        }
        for name, mode in (("api", "PassThrough"), ("worker", None), ("traced", "Active"))
    ]
    accounts = [{"account_id": ACCOUNT, "name": "Prod", "status": "ACTIVE", "ou_path": "Root/Prod"}]
    roles = [{"account_id": ACCOUNT, "role_arn": ROLE, "role_name": "app", "trust_policy": "{}"}]
    inventory = Inventory.from_records({"accounts": accounts, "functions": functions, "roles": roles})
    settings = Settings()
    findings, waivers = apply_waivers(
        run_rules(inventory, settings, rules=catalog), [], dt.date(2026, 11, 30)
    )
    started = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)
    meta = RunMeta(
        "o-test", "arn:aws:sts::1:assumed-role/a/b", started, started, "0", 1, "v1", 1, ("us-east-1",), "ab"
    )
    return build_model(
        inventory=inventory,
        findings=findings,
        catalog=catalog_frame(catalog),
        scores=score(findings, settings),
        waivers=waivers,
        meta=meta,
    )


def test_the_new_rule_is_in_the_model(model: ReportModel) -> None:
    controls = model.controls.set_index("rule_id")
    assert list(controls.loc["LG-OBS-01", ["pass", "fail"]]) == [1, 2]
    assert "Troubleshooting Advanced Lambda Issues" in set(model.sections["guide_section"])
    top = model.top_risks[0]  # the only open critical rule of this inventory
    assert (top.rule_id, top.failing, top.plain, top.owner) == (
        "LG-OBS-01",
        2,
        SENTENCE,
        "Observability guild",
    )


def test_the_new_rule_is_in_every_report(model: ReportModel, tmp_path: Path) -> None:
    write_workbook(model, tmp_path / "report.xlsx")
    workbook = load_workbook(tmp_path / "report.xlsx")
    cells = {
        str(c.value) for name in ("Controls", "Findings") for row in workbook[name].iter_rows() for c in row
    }
    assert "LG-OBS-01" in cells
    assert (
        "aws lambda update-function-configuration --function-name api --tracing-config Mode=Active" in cells
    )

    pdf.write_audit_report(model, tmp_path / "audit.pdf")
    pdf.write_scorecard(model, tmp_path / "scorecard.pdf")
    for name in ("audit.pdf", "scorecard.pdf"):
        text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(tmp_path / name).pages))
        assert re.sub(r"\s+", "", SENTENCE) in text, name
        assert "Observabilityguild" in text, name

    assert f"LG-OBS-01 [critical] 2 open: {SENTENCE} (owner: Observability guild)" in summary_text(model, [])


def test_synthetic_models_follow_the_catalog_they_are_given(tmp_path: Path) -> None:
    (tmp_path / "LG-OBS-01.sql").write_text(NEW_RULE, encoding="utf-8")
    (rule,) = load_catalog(tmp_path)
    model = synthetic_model(findings=300, accounts=3, rules=[rule])
    assert set(model.findings["rule_id"]) == {"LG-OBS-01"}
    assert model.controls["rule_id"].tolist() == ["LG-OBS-01"]
    assert [r.owner for r in model.top_risks] == ["Observability guild"]
