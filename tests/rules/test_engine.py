"""run_rules as a whole: ordering, determinism, account metadata, remediation only on failures."""

from __future__ import annotations

import pandas as pd

from reporter.findings import FINDING_COLUMNS
from reporter.inventory import Inventory
from reporter.rules.engine import load_catalog, run_rules
from reporter.settings import Settings
from tests.rules.helpers import ACCT, OTHER_ACCT, REGION, REGION2, RUN_DATE, function, merge, unit, with_role

ACCOUNTS = [
    {"account_id": ACCT, "name": "payments-prod", "status": "ACTIVE", "ou_path": "Root/Workloads/Prod"},
    {"account_id": OTHER_ACCT, "name": "sandbox", "status": "ACTIVE", "ou_path": "Root/Sandbox"},
]


def _inventory() -> Inventory:
    records = merge(
        {"accounts": ACCOUNTS},
        with_role(function("zeta", region=REGION2, tags={"CostControl": "HighRisk"})),
        with_role(function("alpha", runtime="python3.9")),
        with_role(function("mid", account=OTHER_ACCT, subnet_ids=["subnet-1"], vpc_id="vpc-1")),
        {
            "coverage": [
                unit("config", ["config_recorders", "config_rules"]),
                unit("lambda", ["function_urls"], region=REGION2, status="error", error_code="HTTP500"),
            ]
        },
    )
    return Inventory.from_records(records)


def test_findings_are_sorted_and_reproducible() -> None:
    settings = Settings(run_date=RUN_DATE)
    first = run_rules(_inventory(), settings)
    second = run_rules(_inventory(), settings)
    pd.testing.assert_frame_equal(first, second)
    assert first.to_json(orient="records") == second.to_json(orient="records")
    keys = list(
        zip(first["rule_id"], first["account_id"], first["region"], first["resource_id"], strict=True)
    )
    assert keys == sorted(keys)
    assert set(first["rule_id"]) <= {r.id for r in load_catalog()}


def test_metadata_and_columns() -> None:
    findings = run_rules(_inventory(), Settings(run_date=RUN_DATE))
    assert list(findings.columns) == [*FINDING_COLUMNS, "guide_section"]
    assert all(isinstance(dtype, pd.ArrowDtype) for dtype in findings.dtypes)
    row = findings[(findings["rule_id"] == "LG-RT-01") & (findings["resource_id"] == "alpha")].iloc[0]
    assert (row["title"], row["severity"], row["guide_section"]) == (
        "Functions run on a supported runtime",
        "medium",
        "Expert-Level Serverless Governance Best Practices",
    )
    assert (row["account_name"], row["ou_path"]) == ("payments-prod", "Root/Workloads/Prod")
    other = findings[findings["account_id"] == OTHER_ACCT]
    assert set(other["account_name"]) == {"sandbox"}
    assert findings["waiver_id"].isna().all() and findings["waiver_expires"].isna().all()
    assert set(findings["status"]) == {"pass", "fail", "error"}


def test_remediation_only_on_failures() -> None:
    findings = run_rules(_inventory(), Settings(run_date=RUN_DATE))
    failing = findings["status"] == "fail"
    assert findings.loc[failing, "remediation"].notna().all()
    assert findings.loc[~failing, "remediation"].isna().all()
    # every template field was filled: no "{name}"-style placeholder survives
    assert not findings.loc[failing, "remediation"].str.contains(r"\{[a-z_]+\}", regex=True).any()


def test_a_subset_of_rules_runs_alone() -> None:
    rules = [r for r in load_catalog() if r.id in {"LG-NET-01", "LG-RT-01"}]
    findings = run_rules(_inventory(), Settings(run_date=RUN_DATE), rules=rules)
    assert set(findings["rule_id"]) == {"LG-NET-01", "LG-RT-01"}
    assert (findings["region"] == REGION).any()
