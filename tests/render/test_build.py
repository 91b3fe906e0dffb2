"""build_model: every ReportModel field with its documented columns, from hand-built inputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reporter.findings import FINDING_COLUMNS
from reporter.inventory import Inventory
from reporter.model import HistoryView, RunMeta
from reporter.render.build import build_model, risk_sentence
from reporter.render.model import ReportModel
from reporter.rules.catalog import catalog_frame, load_catalog
from reporter.scoring import score
from reporter.settings import Settings
from reporter.summary import summary_text
from reporter.waivers import Waiver, apply_waivers

PROD, DEV, SANDBOX, GONE = "111111111111", "222222222222", "333333333333", "444444444444"
RUN = dt.date(2026, 11, 30)
JUDGED = ("LG-PUB-01", "LG-IAM-06", "LG-IAM-04", "LG-CFG-01", "LG-RT-02")
UNJUDGED = "LG-PERF-01"  # in the catalog, no finding: its controls row and section read n/a
CATALOG = catalog_frame([r for r in load_catalog() if r.id in (*JUDGED, UNJUDGED)])
SECTION = dict(zip(CATALOG["id"], CATALOG["guide_section"], strict=True))
SEVERITY = dict(zip(CATALOG["id"], CATALOG["severity"], strict=True))


def at(frame: pd.DataFrame, key: str, column: str) -> Any:
    """One cell (typed Any: the stubs cannot know a column's type)."""
    return frame.at[key, column]


def arn(account: str, name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{account}:function:{name}"


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def inventory() -> Inventory:
    accounts = [
        (PROD, "Prod", "ACTIVE", "Root/Workloads/Prod"),
        (DEV, "Dev", "ACTIVE", "Root/Workloads/Dev"),
        (SANDBOX, "Sandbox", "ACTIVE", "Root/Sandbox"),
        (GONE, "Closed", "SUSPENDED", "Root/Workloads/Prod"),
    ]
    functions = [
        (PROD, "api", "shared"),
        (PROD, "worker", "shared"),
        (DEV, "hook", "hook-role"),
        (DEV, "idle", None),
    ]
    return Inventory.from_records(
        {
            "accounts": [{"account_id": a, "name": n, "status": s, "ou_path": o} for a, n, s, o in accounts],
            "functions": [
                {
                    "account_id": a,
                    "region": "us-east-1",
                    "function_arn": arn(a, n),
                    "name": n,
                    "role_arn": role(a, r) if r else None,
                    "tags": {"Team": "x"},
                }
                for a, n, r in functions
            ],
            "roles": [
                {"account_id": PROD, "role_arn": role(PROD, "shared"), "role_name": "shared"},
                {"account_id": DEV, "role_arn": role(DEV, "hook-role"), "role_name": "hook-role"},
                {"account_id": DEV, "role_arn": role(DEV, "unused"), "role_name": "unused"},
            ],
            "role_facts": [
                {
                    "account_id": PROD,
                    "role_arn": role(PROD, "shared"),
                    "admin_like": True,
                    "has_boundary": False,
                },
            ],
            "coverage": [
                {"account_id": PROD, "region": "us-east-1", "collector": "lambda", "status": "ok"},
                {
                    "account_id": SANDBOX,
                    "region": "eu-west-1",
                    "collector": "config",
                    "status": "error",
                    "error_code": "AccessDenied",
                    "message": "not authorized",
                },
                {"account_id": GONE, "region": "global", "collector": "discover", "status": "skipped"},
            ],
        }
    )


def finding(rule: str, status: str, account: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FINDING_COLUMNS)
    names = {PROD: ("Prod", "Root/Workloads/Prod"), DEV: ("Dev", "Root/Workloads/Dev")}
    names[SANDBOX] = ("Sandbox", "Root/Sandbox")
    row |= {
        "rule_id": rule,
        "title": str(CATALOG.set_index("id").at[rule, "title"]),
        "severity": SEVERITY[rule],
        "status": status,
        "account_id": account,
        "account_name": names[account][0],
        "ou_path": names[account][1],
        "region": "us-east-1",
        "resource_type": "function" if name else "account-region",
        "resource_id": name or f"{account}/us-east-1",
        "resource_arn": arn(account, name) if name else None,
        "reason": "r",
        "remediation": "fix",
        "guide_section": SECTION[rule],
    }
    return row | extra


def inputs() -> dict[str, Any]:
    rows = [
        # LG-PUB-01 (critical, 10): 1 open → 10 open weight
        finding("LG-PUB-01", "fail", PROD, "api"),
        finding("LG-PUB-01", "pass", PROD, "worker"),
        finding("LG-PUB-01", "pass", DEV, "hook"),
        # LG-IAM-06 (medium, 3): 3 open in 2 accounts → 9 open weight; one more waived below
        finding("LG-IAM-06", "fail", PROD, "api"),
        finding("LG-IAM-06", "fail", PROD, "worker"),
        finding("LG-IAM-06", "fail", DEV, "hook"),
        finding("LG-IAM-06", "fail", DEV, "idle"),
        # LG-IAM-04 (high, 5): 2 open → 10 open weight, ties with LG-PUB-01 (critical ranks first)
        finding("LG-IAM-04", "fail", PROD, "api"),
        finding("LG-IAM-04", "fail", PROD, "worker"),
        # LG-CFG-01 (high, 5): one account-region failing, one error (never a pass)
        finding("LG-CFG-01", "fail", SANDBOX),
        finding("LG-CFG-01", "error", PROD),
        # LG-RT-02: only passes → not a risk
        finding("LG-RT-02", "pass", DEV, "hook"),
    ]
    findings = pd.DataFrame(rows, columns=[*FINDING_COLUMNS, "guide_section"])
    waiver = Waiver("W-1", "LG-IAM-06", DEV, "*", "idle", "legacy", "ops", dt.date(2027, 1, 1), 1)
    expired = Waiver("W-0", "LG-PUB-01", "*", "*", "*", "old", "ops", dt.date(2026, 1, 1), 2)
    findings, waivers = apply_waivers(findings, [waiver, expired], RUN)
    started = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)
    meta = RunMeta(
        organization_id="o-test",
        caller_arn="arn:aws:sts::999999999999:assumed-role/Audit/x",
        started_at=started,
        finished_at=started + dt.timedelta(minutes=3),
        tool_version="0.1.0",
        schema_version=1,
        rule_catalog_version="v1",
        accounts_targeted=4,
        regions=("us-east-1",),
        evidence_manifest_sha256="ab" * 32,
        period="2026-11",
    )
    return {
        "inventory": inventory(),
        "findings": findings,
        "catalog": CATALOG,
        "scores": score(findings, Settings()),
        "waivers": waivers,
        "meta": meta,
    }


@pytest.fixture(scope="module")
def model() -> ReportModel:
    return build_model(**inputs())


DOCUMENTED = {
    "findings": [*FINDING_COLUMNS, "guide_section"],
    "controls": "rule_id title severity guide_section frameworks remediation "
    "pass fail error waived pass_rate",
    "accounts": "account_id account_name ou_path status score grade "
    "critical high medium low waived errors delta",
    "ous": "ou_path accounts score grade critical high medium low waived errors delta",
    "sections": "guide_section score grade pass fail error waived",
    "waivers": "waiver_id rule account region resource reason owner expires state matched",
    "trend": "run_id run_at scope scope_id score grade",
    "deltas": "account_id account_name rule_id new fixed still_failing score_delta",
}


def test_every_field_is_present_with_documented_columns(model: ReportModel) -> None:
    for f in dataclasses.fields(ReportModel):
        assert getattr(model, f.name) is not None, f.name
    for name, columns in DOCUMENTED.items():
        expected = columns.split() if isinstance(columns, str) else columns
        assert getattr(model, name).columns.tolist() == expected, name
    inventory_functions = inventory()["functions"].columns.tolist()
    assert model.functions.columns.tolist() == [*inventory_functions, "score", "grade"]
    roles = inventory()["roles"].columns.tolist()
    facts = [c for c in inventory()["role_facts"].columns if c not in ("account_id", "role_arn")]
    assert model.roles.columns.tolist() == [*roles, *facts, "functions"]
    coverage = inventory()["coverage"].columns.tolist()
    assert model.coverage.columns.tolist() == [coverage[0], "account_name", *coverage[1:]]
    assert model.trend.empty and model.deltas.empty


def test_accounts_include_suspended_and_unscored(model: ReportModel) -> None:
    accounts = model.accounts.set_index("account_id")
    assert set(accounts.index) == {PROD, DEV, SANDBOX, GONE}
    assert at(accounts, GONE, "status") == "SUSPENDED"
    assert pd.isna(at(accounts, GONE, "score")) and at(accounts, GONE, "grade") == "n/a"
    assert at(accounts, GONE, "critical") == 0 and pd.isna(at(accounts, GONE, "delta"))
    # Prod: PUB fail 10 + pass 10, IAM-06 fail 3 + 3, IAM-04 fail 5 + 5; CFG error excluded
    #       applicable 36, failing 26 → 100 × 10/36 = 27.8 → F; 1 open critical, 2 high, 2 medium
    assert at(accounts, PROD, "score") == 100 * 10 / 36
    assert at(accounts, PROD, "grade") == "F"
    prod = [at(accounts, PROD, c) for c in ("critical", "high", "medium", "low", "waived", "errors")]
    assert prod == [1, 2, 2, 0, 0, 1]
    # Dev: PUB pass 10, IAM-06 fail 3 (+ idle waived), RT-02 pass 1 → 100 × 11/14 = 78.6 → C
    assert at(accounts, DEV, "score") == 100 * 11 / 14
    assert at(accounts, DEV, "waived") == 1
    # Sandbox: only a failing CFG-01 → 0 → F
    assert at(accounts, SANDBOX, "grade") == "F"


def test_ous_roll_up_and_count_accounts(model: ReportModel) -> None:
    ous = model.ous.set_index("ou_path")
    assert model.ous["ou_path"].tolist() == [
        "Root",
        "Root/Sandbox",
        "Root/Workloads",
        "Root/Workloads/Dev",
        "Root/Workloads/Prod",
    ]
    assert at(ous, "Root", "accounts") == 4
    assert at(ous, "Root/Workloads", "accounts") == 3
    assert at(ous, "Root/Workloads/Prod", "accounts") == 2  # the suspended account is still in the OU
    # Root/Workloads = Prod + Dev: applicable 36 + 14 = 50, failing 26 + 3 = 29 → 42
    assert at(ous, "Root/Workloads", "score") == 42.0


def test_controls_sections_functions_roles_coverage(model: ReportModel) -> None:
    controls = model.controls.set_index("rule_id")
    assert model.controls["rule_id"].tolist() == CATALOG["id"].tolist()
    assert [at(controls, "LG-IAM-06", c) for c in ("pass", "fail", "error", "waived")] == [0, 3, 0, 1]
    assert at(controls, "LG-PUB-01", "pass_rate") == 2 / 3
    assert at(controls, "LG-IAM-06", "pass_rate") == 0  # the waived finding is not in the rate
    assert at(controls, "LG-CFG-01", "pass_rate") == 0  # 1 fail, 1 error: the error is no pass
    assert pd.isna(at(controls, UNJUDGED, "pass_rate"))
    assert [at(controls, UNJUDGED, c) for c in ("pass", "fail", "error", "waived")] == [0, 0, 0, 0]
    assert at(controls, "LG-PUB-01", "frameworks") == CATALOG.set_index("id").at["LG-PUB-01", "frameworks"]

    sections = model.sections.set_index("guide_section")
    # the catalog's order: its rules sorted by id, each section where its first rule is
    assert model.sections["guide_section"].tolist() == [
        "Detective Controls with AWS Config",  # LG-CFG-01
        "Preventive Controls: Safely Delegating with Permissions Boundaries",  # LG-IAM-04
        "Expert-Level Serverless Governance Best Practices",  # LG-IAM-06, LG-RT-02
        'High "Cold Start" Latency',  # LG-PERF-01
        "Serverless Governance: A Paradigm Shift",  # LG-PUB-01
    ]
    assert at(sections, "Detective Controls with AWS Config", "error") == 1
    cold = 'High "Cold Start" Latency'
    assert at(sections, cold, "grade") == "n/a" and pd.isna(at(sections, cold, "score"))

    functions = model.functions.set_index("function_arn")
    # api: PUB fail 10, IAM-06 fail 3, IAM-04 fail 5 → 0, capped anyway
    assert at(functions, arn(PROD, "api"), "score") == 0.0
    # idle: only a waived finding → nothing applicable
    assert at(functions, arn(DEV, "idle"), "grade") == "n/a"

    roles = model.roles.set_index("role_name")
    assert at(roles, "shared", "functions") == 2 and bool(at(roles, "shared", "admin_like")) is True
    assert at(roles, "unused", "functions") == 0 and pd.isna(at(roles, "unused", "admin_like"))

    coverage = model.coverage
    assert coverage["account_name"].tolist() == ["Prod", "Sandbox", "Closed"]

    assert model.waivers[["waiver_id", "state", "matched"]].values.tolist() == [
        ["W-1", "active", 1],
        ["W-0", "expired", 0],
    ]
    assert model.findings["rule_id"].is_monotonic_increasing
    assert model.organization.counts == {"pass": 3, "fail": 7, "error": 1, "waived": 1}


def test_top_risks_ranked_by_open_weight(model: ReportModel) -> None:
    # open weight: PUB-01 10 (critical), IAM-04 10 (high), IAM-06 9, CFG-01 5; RT-02 has none
    assert [r.rule_id for r in model.top_risks] == ["LG-PUB-01", "LG-IAM-04", "LG-IAM-06", "LG-CFG-01"]
    pub, _, iam06, cfg = model.top_risks
    assert (pub.failing, pub.accounts, pub.severity) == (1, 1, "critical")
    assert pub.plain == "1 function in 1 account can be invoked by anyone on the internet"
    assert iam06.plain == "3 functions in 2 accounts have execution roles without a permissions boundary"
    assert iam06.owner == "Platform IAM team"
    assert cfg.plain == (
        "1 region in 1 account has no AWS Config recorder covering functions and roles, "
        "so changes go unrecorded"
    )
    assert cfg.owner == "Cloud security (AWS Config)"


def test_top_risks_keep_five() -> None:
    data = inputs()
    extra = [finding("LG-RT-02", "fail", DEV, f"old{i}") for i in range(30)]
    data["findings"] = pd.concat([data["findings"], pd.DataFrame(extra)], ignore_index=True)
    data["scores"] = score(data["findings"], Settings())
    risks = build_model(**data).top_risks
    # LG-RT-02: 30 low failures → open weight 30, the largest
    assert [r.rule_id for r in risks] == ["LG-RT-02", "LG-PUB-01", "LG-IAM-04", "LG-IAM-06", "LG-CFG-01"]
    assert risks[0].plain == "30 functions in 1 account run on a runtime that reaches end of support soon"
    assert risks[0].owner == "Function owners"


def test_risk_sentence_fills_the_rules_template() -> None:
    text = risk_sentence(
        '{count}{where} fail{s} the control "{title}"', "Something new", 2, 1, "config-resource"
    )
    assert text == '2 resources in 1 account fail the control "Something new"'
    assert risk_sentence("{count}{where} run{s}", "t", 1, 1, "function") == "1 function in 1 account runs"
    cfg03 = next(r for r in load_catalog() if r.id == "LG-CFG-03").risk
    assert risk_sentence(cfg03, "t", 3, 3, "account").startswith("3 accounts have no AWS Config rule")


def test_history_fills_trend_deltas_and_account_deltas() -> None:
    trend = pd.DataFrame(
        {
            "run_id": ["2026-10", "2026-11"],
            "run_at": pd.to_datetime(["2026-10-31", "2026-11-30"], utc=True),
            "scope": ["organization"] * 2,
            "scope_id": ["o-test"] * 2,
            "score": [40.0, 45.0],
            "grade": ["F", "F"],
        }
    )
    deltas = pd.DataFrame(
        [(PROD, "Prod", "LG-PUB-01", 1, 0, 0, -5.0)],
        columns="account_id account_name rule_id new fixed still_failing score_delta".split(),
    )
    view = HistoryView(trend, deltas, score_delta={PROD: -5.0, GONE: 3.0}, ou_score_delta={"Root": 1.5})
    model = build_model(**inputs(), history=view)
    accounts = model.accounts.set_index("account_id")
    assert at(accounts, PROD, "delta") == -5.0
    assert pd.isna(at(accounts, DEV, "delta"))
    assert pd.isna(at(accounts, GONE, "delta"))  # no score now → no change to show
    assert model.ous.set_index("ou_path").at["Root", "delta"] == 1.5
    assert model.trend is trend and model.deltas is deltas


def test_rules_missing_from_catalog_are_an_error() -> None:
    data = inputs()
    data["catalog"] = CATALOG[CATALOG["id"] != "LG-CFG-01"]
    with pytest.raises(ValueError, match="LG-CFG-01"):
        build_model(**data)


def test_summary_text(model: ReportModel) -> None:
    text = summary_text(model, [Path("reports/findings.json"), Path("reports/audit-report.pdf")])
    lines = text.splitlines()
    # organization: applicable 36 + 14 + 5 = 55, failing 26 + 3 + 5 = 34 → 100 × 21/55 = 38.18 → 38.1, F
    assert lines[0] == "Lambda governance, organization o-test, period 2026-11"
    assert lines[1].startswith("Scope: ") and lines[1].endswith(" ok, 1 error, 1 skipped")
    del lines[1]
    assert lines[1] == "Organization score: 38.1 (grade F)"
    assert lines[2] == "Findings: 12 (3 pass, 7 fail, 1 waived, 1 error)"
    assert lines[3] == "Open findings by severity: critical 1, high 3, medium 3, low 0"
    assert lines[4] == "Top failing rules:"
    assert lines[5] == (
        "  1. LG-PUB-01 [critical] 1 open: 1 function in 1 account can be invoked by anyone on the internet"
        " (owner: Function owners, with Cloud security)"
    )
    assert "Coverage errors: 1 (and 1 unit skipped, e.g. suspended accounts)" in lines
    assert f"  {SANDBOX} (Sandbox) eu-west-1 config: AccessDenied, not authorized" in lines
    assert lines[-3:] == ["Outputs:", "  reports/findings.json", "  reports/audit-report.pdf"]


def test_summary_shortens_long_coverage_messages() -> None:
    data = inputs()
    coverage = data["inventory"]["coverage"].copy()
    coverage["message"] = coverage["message"].where(coverage["status"] != "error", "x" * 500)
    data["inventory"]["coverage"] = coverage
    line = next(x for x in summary_text(build_model(**data), []).splitlines() if "AccessDenied" in x)
    assert line.endswith("x…") and len(line) < 200
