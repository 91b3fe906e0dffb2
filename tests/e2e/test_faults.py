"""The demo organization crawled twice over HTTP, without and with faults, through collect().

Faults (deterministic from the plan's seed): 20 % of calls throttled (Lambda answers 429
TooManyRequestsException), 5 % answered 500/503, one more account whose role cannot be assumed,
and the first call made with each account's first session answering ExpiredToken. Requests get
four attempts instead of eight here, so that some calls do exhaust their retries and the
failure paths run too, at a fraction of the backoff time.

The contract checked: a unit that succeeded in both runs has identical rows (minus the rows a
narrower failure marked as unread); every unit that did not succeed is in coverage with its
reason; and no planned unit is missing from coverage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pandas as pd
import pytest

from reporter.acquire import collect
from reporter.aws import crawl as crawl_module
from reporter.collectors import COLLECTORS, by_name
from reporter.demo.faults import ACCESS_DENIED, ERROR_5XX, EXPIRED_TOKEN, THROTTLE, FaultPlan
from reporter.demo.server import DemoServer
from reporter.inventory import GLOBAL_REGION, Inventory
from reporter.settings import Settings

UnitKey = tuple[str, str, str]
"""(account id, region, collector); region is "global" for IAM."""


@dataclass(frozen=True)
class Runs:
    baseline: Inventory
    faulty: Inventory
    faults: Counter[str]
    denied: str
    """The account the fault plan denies (on top of the demo's own denied account)."""
    failing: tuple[str, str]
    """The (account, region) whose logs unit fails on every call."""
    reachable: frozenset[str]
    members: frozenset[str]
    """Reachable accounts the crawl assumes a role into (the management account is read directly)."""
    regions: tuple[str, ...]


def _crawl(demo: DemoServer) -> Inventory:
    session = boto3.Session(
        aws_access_key_id=demo.credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=demo.credentials["AWS_SECRET_ACCESS_KEY"],
        region_name=demo.credentials["AWS_DEFAULT_REGION"],
    )
    settings = Settings(org=True, endpoint_url=demo.endpoint_url, regions=demo.truth.regions, workers=8)
    return collect(settings, session=session).inventory


@pytest.fixture(scope="module")
def runs(demo_server: DemoServer) -> Iterator[Runs]:
    truth = demo_server.truth
    management = {a.account_id for a in truth.accounts if a.is_management}
    denied = next(a.account_id for a in truth.accounts if a.reachable and a.account_id not in management)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(crawl_module, "CALL_ATTEMPTS", 4)
        try:
            demo_server.set_faults(FaultPlan())
            baseline = _crawl(demo_server)
            victim = next(
                (str(r["account_id"]), str(r["region"]))
                for r in _records(baseline["log_groups"])
                if r["account_id"] not in {denied, *management}
            )
            plan = FaultPlan(
                seed=20261128,
                throttle_rate=0.2,
                error_5xx_rate=0.05,
                denied_accounts=frozenset({denied}),
                expire_token_once=True,
                # one unit whose every call fails: it must end as an error row, its rows absent
                fail_units=frozenset({(*victim, "logs")}),
            )
            demo_server.set_faults(plan)
            demo_server.stats.reset()
            faulty = _crawl(demo_server)
            faults = demo_server.stats.fault_counts()
        finally:
            demo_server.set_faults(FaultPlan())
    yield Runs(
        baseline,
        faulty,
        faults,
        denied,
        victim,
        frozenset(a.account_id for a in truth.accounts if a.reachable),
        frozenset(a.account_id for a in truth.accounts if a.reachable and a.account_id not in management),
        truth.regions,
    )


ARN_COLUMN = {
    "functions": "function_arn",
    "function_policies": "function_arn",
    "function_urls": "function_arn",
    "provisioned_concurrency": "function_arn",
    "roles": "role_arn",
    "policy_documents": "policy_arn",
}
"""The column naming the resource of a narrower failure's ``resource_arn``."""

Row = dict[str, Any]


def _records(df: pd.DataFrame) -> list[Row]:
    return [{str(k): v for k, v in r.items()} for r in df.to_dict("records")]


def _is_unit_row(row: Row) -> bool:
    """A unit's own row: no resource, all the collector's tables (an Issue names fewer)."""
    if row["collector"] in ("assume", "discover") or not pd.isna(row["resource_arn"]):
        return False
    return list(row["tables"]) == list(by_name(str(row["collector"])).tables)


def _unit_rows(inventory: Inventory) -> list[Row]:
    return [r for r in _records(inventory["coverage"]) if _is_unit_row(r)]


def _key(row: Row) -> UnitKey:
    return (str(row["account_id"]), str(row["region"]), str(row["collector"]))


def _status(inventory: Inventory) -> dict[UnitKey, str]:
    # one row per unit: checked by test_no_planned_unit_is_missing_from_coverage
    return {_key(r): str(r["status"]) for r in _unit_rows(inventory)}


def _narrow_failures(inventory: Inventory) -> set[tuple[str, str, str, str, str]]:
    """(account, region, collector, table, resource ARN or "") of failures narrower than a unit."""
    found: set[tuple[str, str, str, str, str]] = set()
    for r in _records(inventory["coverage"]):
        if r["status"] != "error" or r["collector"] in ("assume", "discover") or _is_unit_row(r):
            continue
        arn: str = "" if pd.isna(r["resource_arn"]) else str(r["resource_arn"])
        account_id, region, collector = _key(r)
        found.update((account_id, region, collector, str(table), arn) for table in r["tables"])
    return found


def _rows(inventory: Inventory, table: str, account_id: str, region: str, skip: set[str]) -> list[str]:
    """The table's rows of one unit as sorted JSON lines, without the resources in ``skip``."""
    df = inventory[table]
    mask = df["account_id"] == account_id
    if region != GLOBAL_REGION and "region" in df.columns:
        mask &= df["region"] == region
    picked = df[mask]
    if skip:
        picked = picked[~picked[ARN_COLUMN[table]].isin(skip)]
    return sorted(picked.to_json(orient="records", lines=True, date_format="iso").splitlines())


def test_the_faults_really_happened(runs: Runs) -> None:
    assert runs.faults[THROTTLE] > 20
    assert runs.faults[ERROR_5XX] > 5
    assert runs.faults[ACCESS_DENIED] >= 2  # the demo's denied account and the plan's
    # once per account whose role was assumed
    assert runs.faults[EXPIRED_TOKEN] == len(runs.members - {runs.denied})


def test_units_that_succeeded_in_both_runs_have_identical_rows(runs: Runs) -> None:
    before, after = _status(runs.baseline), _status(runs.faulty)
    narrow = _narrow_failures(runs.baseline) | _narrow_failures(runs.faulty)
    both_ok = sorted(k for k, status in after.items() if status == "ok" and before.get(k) == "ok")
    # nearly all of them: the faults cost a unit only when one call failed all its attempts
    comparable = [k for k, status in before.items() if status == "ok" and k[0] != runs.denied]
    assert len(both_ok) >= 0.9 * len(comparable)
    compared = 0
    for account_id, region, name in both_ok:
        for table in by_name(name).tables:
            unread = {n[4] for n in narrow if n[:4] == (account_id, region, name, table)}
            if "" in unread:
                continue  # the whole table is unread for this unit (and says so in coverage)
            left = _rows(runs.baseline, table, account_id, region, unread)
            right = _rows(runs.faulty, table, account_id, region, unread)
            assert left == right, (account_id, region, name, table)
            compared += len(left)
    assert compared > 200


def test_every_unit_that_did_not_succeed_is_listed_with_its_reason(runs: Runs) -> None:
    failed = [r for r in _records(runs.faulty["coverage"]) if r["status"] == "error"]
    assert all(r["error_code"] and r["message"] for r in failed)
    denied = [r for r in failed if r["account_id"] == runs.denied]
    assert [(r["collector"], r["error_code"]) for r in denied] == [("assume", "AccessDenied")]
    assert set(denied[0]["tables"]) == {t for c in COLLECTORS for t in c.tables}
    # the denied account's data is absent, never a pass
    assert not (runs.faulty["functions"]["account_id"] == runs.denied).any()
    # the unit whose every call failed: an error after its retries, and none of its rows
    unit_errors = [r for r in failed if _is_unit_row(r)]
    [logs] = [r for r in unit_errors if _key(r) == (*runs.failing, "logs")]
    assert logs["error_code"] == "InternalFailure" and "after 2 attempts" in logs["message"]
    groups = runs.faulty["log_groups"]
    account_id, region = runs.failing
    assert not ((groups["account_id"] == account_id) & (groups["region"] == region)).any()
    # nothing failed for the expiry itself; a unit the faults cost says it was retried
    baseline = _status(runs.baseline)
    for row in unit_errors:
        assert row["error_code"] not in ("ExpiredToken", "ExpiredTokenException")
        if baseline.get(_key(row)) != "error":
            assert "attempts" in row["message"], row


def test_no_planned_unit_is_missing_from_coverage(runs: Runs) -> None:
    for inventory, assumed in (
        (runs.baseline, runs.reachable),
        (runs.faulty, runs.reachable - {runs.denied}),
    ):
        # regions an account has not enabled are skipped rows, not units (the demo's opt-in region)
        not_enabled = {
            (str(r["account_id"]), str(r["region"]))
            for r in _records(inventory["coverage"])
            if r["collector"] == "discover" and r["status"] == "skipped" and r["region"] != GLOBAL_REGION
        }
        assert {region for _, region in not_enabled} <= {"eu-south-1"}
        planned = Counter(
            (account_id, region, c.name)
            for account_id in assumed
            for c in COLLECTORS
            for region in ([GLOBAL_REGION] if c.scope == "global" else runs.regions)
            if (account_id, region) not in not_enabled
        )
        assert Counter(_key(r) for r in _unit_rows(inventory)) == planned
