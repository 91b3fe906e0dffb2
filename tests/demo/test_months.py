"""Month-over-month history: same identities, evolving findings."""

from __future__ import annotations

from reporter.demo import DemoServer
from reporter.demo.model import DemoTruth
from tests.rules.helpers import RULE_IDS


def _truth(month: int) -> DemoTruth:
    with DemoServer(seed=7, month=month) as demo:
        return demo.truth


def test_history_months_fix_and_regress_with_stable_identities() -> None:
    old, mid = _truth(0), _truth(1)
    assert (old.month, mid.month) == (0, 1)
    for truth in (old, mid):  # every month's report has something to pass and to fail for every rule
        assert all(truth.expected(r, "pass") and truth.expected(r, "fail") for r in RULE_IDS)
    assert [a.account_id for a in old.accounts] == [a.account_id for a in mid.accounts]
    old_arns = {f.name: f.function_arn for f in old.functions}
    mid_arns = {f.name: f.function_arn for f in mid.functions}
    common = old_arns.keys() & mid_arns.keys()
    assert len(common) >= 60 and all(old_arns[n] == mid_arns[n] for n in common)
    assert set(old_arns) - set(mid_arns) == {"orders-legacy-cron"}
    assert set(mid_arns) - set(old_arns) == {"data-etl-loader"}
    # Fixed in month 1: a concurrency cap, a boundary, log retention, an alarm.
    assert "LG-COST-01" in old.function("payments-refunds").expected_failures
    assert "LG-COST-01" in mid.function("payments-refunds").expected_passes
    assert "LG-IAM-06" in old.function("payments-dev-worker").expected_failures
    assert "LG-COST-04" in mid.function("orders-worker").expected_passes
    # Regressed in month 1: a secret in the environment, a starved account-region, a leaky boundary.
    assert "LG-RT-03" in old.function("payments-api-apac").expected_passes
    assert "LG-RT-03" in mid.function("payments-api-apac").expected_failures
    assert "LG-IAM-07" in mid.function("payments-dev-worker").expected_failures
    prod = old.account_named("payments-prod").account_id
    assert [e.status for e in old.expected("LG-COST-03") if e.resource_id == f"{prod}/us-east-1"] == ["pass"]
    assert [e.status for e in mid.expected("LG-COST-03") if e.resource_id == f"{prod}/us-east-1"] == ["fail"]
    # Still failing until the latest month: SnapStart arrives in month 2.
    assert "LG-PERF-01" in mid.function("data-pricing-engine").expected_failures
