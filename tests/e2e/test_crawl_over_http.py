"""The real CLI against a moto server over HTTP (AWS_ENDPOINT_URL), as it would crawl AWS."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from reporter.demo.server import DemoServer, FaultPlan
from reporter.snapshot import read_snapshot
from tests.e2e.conftest import run_cli, server_env


@pytest.fixture(scope="module")
def crawled(demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoServer, Path]:
    out = tmp_path_factory.mktemp("org")
    regions = ",".join(demo_server.truth.regions)
    proc = run_cli(["--org", "--regions", regions, "--out", str(out), "--format", "json"], server_env(demo_server))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return demo_server, out


def test_every_seeded_function_is_present_with_account_region_and_ou(crawled: tuple[DemoServer, Path]) -> None:
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


def test_a_unit_forced_to_fail_is_an_error_row_while_the_others_are_collected(tmp_path: Path) -> None:
    with DemoServer() as probe:
        victim = next(f for f in probe.truth.functions)
    plan = FaultPlan(fail_units=frozenset({(victim.account_id, victim.region, "lambda")}))
    with DemoServer(faults=plan) as demo:
        regions = ",".join(demo.truth.regions)
        proc = run_cli(["--org", "--regions", regions, "--out", str(tmp_path), "--format", "json"], server_env(demo))
        assert proc.returncode == 0, proc.stderr[-3000:]
        inventory, _, _ = read_snapshot(tmp_path / "evidence")
        coverage = inventory["coverage"]
        failed = coverage[(coverage["status"] == "error") & (coverage["collector"] == "lambda")]
        assert set(zip(failed["account_id"], failed["region"], strict=True)) == {(victim.account_id, victim.region)}
        functions = inventory["functions"]
        assert not ((functions["account_id"] == victim.account_id) & (functions["region"] == victim.region)).any()
        others = {f.function_arn for f in demo.truth.functions
                  if (f.account_id, f.region) != (victim.account_id, victim.region)}
        assert others <= set(functions["function_arn"])
        assert isinstance(functions, pd.DataFrame)
