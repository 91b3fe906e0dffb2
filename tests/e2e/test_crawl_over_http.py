"""The real CLI against a moto server over HTTP (AWS_ENDPOINT_URL), as it would crawl AWS."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from reporter.demo.server import DemoServer, FaultPlan
from reporter.inventory import COLLECTED_TABLES, DERIVED_TABLES
from reporter.snapshot import read_snapshot
from tests.e2e.conftest import run_cli, server_env


@pytest.fixture(scope="module")
def crawled(demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoServer, Path]:
    out = tmp_path_factory.mktemp("org")
    regions = ",".join(demo_server.truth.regions)
    proc = run_cli(
        ["--org", "--regions", regions, "--out", str(out), "--format", "json"], server_env(demo_server)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return demo_server, out


def test_every_seeded_function_is_present_with_account_region_and_ou(
    crawled: tuple[DemoServer, Path],
) -> None:
    demo, out = crawled
    inventory, manifest, _ = read_snapshot(out / "evidence")
    functions = inventory["functions"]
    accounts = inventory["accounts"].set_index("account_id")
    got = {(r.account_id, r.region, r.function_arn) for r in functions.itertuples()}
    want = {(f.account_id, f.region, f.function_arn) for f in demo.truth.functions}
    assert want <= got
    assert len(want) >= 60
    for f in demo.truth.functions:
        assert accounts.loc[f.account_id, "ou_path"] == f.ou_path
    assert manifest.organization_id == demo.truth.organization_id


def test_every_evidence_file_opens_in_pandas_with_defaults(crawled: tuple[DemoServer, Path]) -> None:
    _, out = crawled
    inventory, _, _ = read_snapshot(out / "evidence")
    assert sorted(p.stem for p in (out / "evidence").glob("*.parquet")) == sorted(COLLECTED_TABLES)
    for table in COLLECTED_TABLES:
        plain = pd.read_parquet(out / "evidence" / f"{table}.parquet")
        assert list(plain.columns) == [c for c in inventory[table].columns if c in plain.columns], table
        assert len(plain) == len(inventory[table]), table
    assert not any((out / "evidence" / f"{t}.parquet").exists() for t in DERIVED_TABLES)


def test_denied_and_suspended_accounts_are_in_coverage(crawled: tuple[DemoServer, Path]) -> None:
    demo, out = crawled
    inventory, _, _ = read_snapshot(out / "evidence")
    coverage = inventory["coverage"]
    denied = [a.account_id for a in demo.truth.accounts if a.denied]
    suspended = [a.account_id for a in demo.truth.accounts if a.status == "SUSPENDED"]
    assert denied and suspended
    rows = coverage[coverage["account_id"].isin(denied)]
    assert set(rows["status"]) == {"error"}
    assert set(rows["error_code"]) == {"AccessDenied"}
    rows = coverage[coverage["account_id"].isin(suspended)]
    assert set(rows["status"]) == {"skipped"}
    findings = json.loads((out / "findings.json").read_text())
    assert {f["status"] for f in findings if f["account_id"] in denied} == {"error"}


def test_a_unit_forced_to_fail_is_an_error_row_while_the_others_are_collected(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    victim = demo_server.truth.functions[0]
    demo_server.set_faults(FaultPlan(fail_units=frozenset({(victim.account_id, victim.region, "lambda")})))
    try:
        regions = ",".join(demo_server.truth.regions)
        args = ["--org", "--regions", regions, "--out", str(tmp_path), "--format", "json"]
        proc = run_cli(args, server_env(demo_server))
    finally:
        demo_server.set_faults(FaultPlan())
    assert proc.returncode == 0, proc.stderr[-3000:]
    inventory, _, _ = read_snapshot(tmp_path / "evidence")
    coverage = inventory["coverage"]
    failed = coverage[(coverage["status"] == "error") & (coverage["collector"] == "lambda")]
    assert set(zip(failed["account_id"], failed["region"], strict=True)) == {
        (victim.account_id, victim.region)
    }
    functions = inventory["functions"]
    assert not ((functions["account_id"] == victim.account_id) & (functions["region"] == victim.region)).any()
    others = {
        f.function_arn
        for f in demo_server.truth.functions
        if (f.account_id, f.region) != (victim.account_id, victim.region)
    }
    assert others <= set(functions["function_arn"])
    findings = json.loads((tmp_path / "findings.json").read_text())
    unit_errors = [
        f for f in findings if f["resource_type"] == "unit" and f["account_id"] == victim.account_id
    ]
    assert unit_errors and all(f["status"] == "error" for f in unit_errors)


def test_findings_match_the_seeding_intent(crawled: tuple[DemoServer, Path]) -> None:
    """Every seeded expectation (rule, resource, status) holds in findings.json."""
    demo, out = crawled
    findings = json.loads((out / "findings.json").read_text())
    # Function expectations name the function by ARN; findings carry the name as resource_id.
    # Account-scope rows (LG-CFG-03) are matched without their region: one row per account.
    got = {
        (
            f["rule_id"],
            f["account_id"],
            "" if f["resource_type"] == "account" else f["region"],
            f["resource_type"],
            f["resource_arn"] if f["resource_type"] == "function" else f["resource_id"],
        ): f["status"]
        for f in findings
    }
    expectations = demo.truth.expectations
    assert len(expectations) > 500
    wrong = []
    for e in expectations:
        region = "" if e.resource_type == "account" else e.region
        key = (e.rule_id, e.account_id, region, e.resource_type, e.resource_id)
        if got.get(key) != e.status:
            wrong.append((key, e.status, got.get(key)))
    assert not wrong[:20]


# Function-scope findings the demo truth makes no expectation about: (rule, status) → why that
# verdict is right without one. Empty today: the truth states a verdict for every function row
# the tool returns (LG-PUB-01/02 included, for functions without a policy or a URL). A rule whose
# applicability the truth cannot predict goes here, with its reason, never silently.
NO_EXPECTATION: dict[tuple[str, str], str] = {}


def test_every_function_finding_matches_the_truth_or_is_listed(crawled: tuple[DemoServer, Path]) -> None:
    """Two-way oracle: no function-scope verdict the seeding did not intend goes unnoticed."""
    demo, out = crawled
    findings = json.loads((out / "findings.json").read_text())
    expected = {
        (e.rule_id, e.resource_id): e.status for e in demo.truth.expectations if e.resource_type == "function"
    }
    unreachable = {f.function_arn for f in demo.truth.unreachable_functions}
    unexplained = []
    for f in findings:
        if f["resource_type"] != "function" or f["resource_arn"] in unreachable:
            continue
        want = expected.get((f["rule_id"], f["resource_arn"]))
        if want == f["status"]:
            continue
        if want is None and (f["rule_id"], f["status"]) in NO_EXPECTATION:
            continue
        unexplained.append((f["rule_id"], f["resource_id"], f["status"], want, f["reason"][:120]))
    assert not unexplained[:30], f"{len(unexplained)} function findings the truth does not explain"


def test_issue_12_cases_show_the_verdicts_a_user_expects(crawled: tuple[DemoServer, Path]) -> None:
    demo, out = crawled
    inventory, _, _ = read_snapshot(out / "evidence")
    coverage = inventory["coverage"]
    media = next(a.account_id for a in demo.truth.accounts if a.name == "media-prod")
    not_enabled = coverage[(coverage["region"] == "eu-south-1") & (coverage["status"] == "skipped")]
    reachable = {a.account_id for a in demo.truth.accounts if a.reachable}
    assert set(not_enabled["account_id"]) == reachable - {media}
    assert set(not_enabled["message"]) == {"region not enabled in this account"}
    milan = coverage[(coverage["region"] == "eu-south-1") & (coverage["account_id"] == media)]
    assert set(milan["status"]) == {"ok"}
    assert not (coverage[coverage["region"] == "eu-south-1"]["status"] == "error").any()

    findings = {(f["rule_id"], f["resource_id"]): f for f in json.loads((out / "findings.json").read_text())}
    public = findings[("LG-PUB-01", "media-preview-api")]
    assert public["status"] == "fail" and "public-preview on qualifier live" in public["reason"]
    assert "--qualifier live" in public["remediation"]
    tgw = findings[("LG-NET-02", "media-transcoder")]
    assert tgw["status"] == "pass" and "Transit Gateway tgw-" in tgw["reason"]
    excluded = findings[("LG-CFG-01", f"{media}/eu-west-1")]
    assert excluded["status"] == "fail" and "but not AWS::Lambda::Function" in excluded["reason"]
