"""Month-over-month history: same identities, and a quarter of remediation that does what it says.

The oracle is the seeding intent (DemoTruth, derived from the specs with RULES.md's semantics) held
against what reporter.demo.quarter declares about each change.
"""

from __future__ import annotations

import datetime as dt

import pytest

from reporter.demo import DemoServer
from reporter.demo.catalog import standard_org
from reporter.demo.changes import Absent, ConfigWas, Existed, RoleWas, Was
from reporter.demo.model import DemoTruth, Expectation
from reporter.demo.quarter import CHANGES, demo_waivers
from reporter.rules.engine import load_catalog
from reporter.waivers import parse_waivers
from tests.rules.helpers import RULE_IDS

Key = tuple[str, str]


@pytest.fixture(scope="module")
def truths() -> dict[int, DemoTruth]:
    found: dict[int, DemoTruth] = {}
    for month in (0, 1, 2):
        with DemoServer(seed=7, month=month) as demo:
            found[month] = demo.truth
    return found


def _stable(e: Expectation) -> bool:
    # Config evaluations of roles are keyed by role id, which moto draws anew for every seeding.
    return "/AWS::IAM::Role/" not in e.resource_id


def _failing(truth: DemoTruth, keep: set[Key] | None = None) -> dict[Key, str]:
    """(rule, resource) → account id of every stable expected failure (within ``keep``)."""
    return {
        (e.rule_id, e.resource_id): e.account_id
        for e in truth.expectations
        if e.status == "fail" and _stable(e) and (keep is None or (e.rule_id, e.resource_id) in keep)
    }


def _keys(truths: tuple[DemoTruth, ...], account: str, region: str | None, resources: set[str]) -> set[Key]:
    """Expectations about ``resources`` in ``account``; with ``region``, also the Config evaluations
    of that account-region (a recorder that starts judges the functions there)."""
    return {
        (e.rule_id, e.resource_id)
        for truth in truths
        for e in truth.expectations
        if _stable(e)
        and e.account_id == account
        and (e.resource_id in resources or (e.rule_id == "LG-CFG-04" and e.region == region))
    }


def test_history_months_keep_identities(truths: dict[int, DemoTruth]) -> None:
    old, mid, new = truths[0], truths[1], truths[2]
    assert (old.month, mid.month, new.month) == (0, 1, 2)
    # Every rule has something to pass and to fail in the first month; month 1 clears public access
    # and the HighRisk breakers entirely, so the last month's regressions bring them back.
    cleared = {"LG-PUB-01", "LG-PUB-02", "LG-COST-01"}
    assert all(old.expected(r, "pass") and old.expected(r, "fail") for r in RULE_IDS)
    assert {r for r in RULE_IDS if not mid.expected(r, "fail")} == cleared
    assert all(mid.expected(r, "pass") for r in RULE_IDS)
    # media-prod (issue 12's cases) joins in the standard month; every other account stays
    assert [a.account_id for a in old.accounts] == [
        a.account_id for a in new.accounts if a.name != "media-prod"
    ]
    assert [a.name for a in new.accounts if a.account_id not in {o.account_id for o in old.accounts}] == [
        "media-prod"
    ]
    arns = [{f.name: f.function_arn for f in t.functions} for t in (old, mid, new)]
    common = arns[0].keys() & arns[2].keys()
    assert len(common) >= 60 and all(arns[0][n] == arns[2][n] for n in common)
    assert set(arns[0]) - set(arns[1]) == {"orders-legacy-cron"}
    assert set(arns[1]) - set(arns[0]) == {"data-etl-loader"}
    media = new.account_named("media-prod").account_id
    joined = {f.name for f in new.functions if f.account_id == media}
    assert set(arns[2]) - set(arns[1]) == {"payments-webhook-public"} | joined
    # A role keeps its id (Config reports roles by id): orders-prod's roles did not change in
    # month 2, so Config reports the same ones; month 0 also had the shared role and the legacy
    # cron job's role.
    prod = new.account_named("orders-prod").account_id

    def role_ids(truth: DemoTruth) -> set[str]:
        return {
            e.resource_id.rsplit("/", 1)[1]
            for e in truth.expectations
            if e.account_id == prod and "/AWS::IAM::Role/" in e.resource_id
        }

    assert role_ids(mid) == role_ids(new) and len(role_ids(new)) >= 10
    assert len(role_ids(old) - role_ids(new)) == 2


def test_every_change_fixes_or_regresses_as_its_intent_says(truths: dict[int, DemoTruth]) -> None:
    assert [c.month for c in CHANGES] == sorted(c.month for c in CHANGES)  # rewind relies on it
    for change in CHANGES:
        before, after = truths[change.month - 1], truths[change.month]
        spec = standard_org(7).account(change.account)
        account = (
            after.management_account_id if spec.management else after.account_named(spec.name).account_id
        )
        mine: set[Key] = set()
        for step in change.before:
            if isinstance(step, ConfigWas):
                scope = {f"{account}/{step.region}", account}
                mine |= _keys((before, after), account, step.region, scope)
                continue
            fn = (before if isinstance(step, Existed) else after).function(step.function)
            keys = _keys((before, after), account, None, {fn.function_arn})
            # One function may change twice in a month: a role change answers for the role rules,
            # a change of settings for the others.
            if isinstance(step, RoleWas):
                keys = {k for k in keys if k[0].startswith("LG-IAM-")}
            elif isinstance(step, Was):
                keys = {k for k in keys if not k[0].startswith("LG-IAM-")}
            mine |= keys
            # A function's reservation also moves its account-region's unreserved concurrency.
            mine.add(("LG-COST-03", f"{account}/{fn.region}"))
            if isinstance(step, Absent):
                assert step.function not in {f.name for f in before.functions}, change.intent
        then, now = _failing(before, mine), _failing(after, mine)
        resolved, new = then.keys() - now.keys(), now.keys() - then.keys()
        assert bool(resolved) == (change.effect in ("fix", "both")), (change.intent, resolved)
        assert bool(new) == (change.effect in ("regression", "both")), (change.intent, new)


def test_each_month_fixes_and_regresses_in_several_accounts(truths: dict[int, DemoTruth]) -> None:
    for month in (1, 2):
        then, now = _failing(truths[month - 1]), _failing(truths[month])
        fixed_in = {then[k] for k in then.keys() - now.keys()}
        new_in = {now[k] for k in now.keys() - then.keys()}
        assert len(fixed_in) >= 3 and len(new_in) >= 3, (month, fixed_in, new_in)
    # The regressing account of the story: a public function URL and a HighRisk function without
    # its breaker, both new in the last month.
    webhook = truths[2].function("payments-webhook-public")
    assert {"LG-PUB-01", "LG-PUB-02", "LG-COST-01"} <= webhook.expected_failures


def test_the_demo_waiver_lapses_between_the_last_two_runs() -> None:
    last = dt.date(2026, 11, 28)
    waivers = parse_waivers(demo_waivers("123456789012", last), "demo", [r.id for r in load_catalog()])
    assert len(waivers) == 1
    previous = dt.date(2026, 10, 28)
    assert waivers[0].active_on(previous) and not waivers[0].active_on(last)
