"""The demo organization crawled over HTTP, without and with faults, through collect().

Failure paths (``runs``): 20 % of calls throttled (Lambda answers 429 TooManyRequestsException),
5 % answered 500/503, one more account whose role cannot be assumed, the first call made with
each account's first session answering ExpiredToken, and one unit whose every call fails.
Requests get four attempts instead of eight there, so that some calls do exhaust their retries
and the failure paths run too, at a fraction of the backoff time. The contract checked: a unit
that succeeded in both runs has identical rows (minus the rows a narrower failure marked as
unread); every unit that did not succeed is in coverage with its reason; no planned unit is
missing from coverage; a refused AssumeRole is attempted once.

Transient faults only (``verdict_run``, three seeds): 20 % throttled, 5 % 5xx (half of them
with a body that is not the service's format), 2 % of answers cut short, discovery and AssumeRole
included, with the tool's own retry settings. Every verdict of the clean run must come back.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.retries import adaptive, standard

from reporter.acquire import collect
from reporter.aws import crawl as crawl_module
from reporter.collectors import COLLECTORS, by_name
from reporter.demo.faults import (
    ACCESS_DENIED,
    ERROR_5XX,
    EXPIRED_TOKEN,
    THROTTLE,
    TRUNCATED,
    UNREADABLE_5XX,
    FaultPlan,
)
from reporter.demo.server import DemoServer
from reporter.inventory import GLOBAL_REGION, Inventory
from reporter.rules.engine import run_rules
from reporter.settings import Settings

UnitKey = tuple[str, str, str]
"""(account id, region, collector); region is "global" for IAM."""


@dataclass(frozen=True)
class Runs:
    baseline: Inventory
    faulty: Inventory
    faults: Counter[str]
    clean_faults: Counter[str]
    """What the server counted during the clean run (its refusals of AssumeRole)."""
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


@dataclass(frozen=True)
class Clean:
    inventory: Inventory
    faults: Counter[str]

    @functools.cached_property
    def verdicts(self) -> list[str]:
        return _verdicts(self.inventory)


@pytest.fixture(scope="module")
def clean(demo_server: DemoServer) -> Clean:
    demo_server.set_faults(FaultPlan())
    demo_server.stats.reset()
    inventory = _crawl(demo_server)
    return Clean(inventory, demo_server.stats.fault_counts())


@pytest.fixture(scope="module")
def runs(demo_server: DemoServer, clean: Clean) -> Iterator[Runs]:
    truth = demo_server.truth
    management = {a.account_id for a in truth.accounts if a.is_management}
    denied = next(a.account_id for a in truth.accounts if a.reachable and a.account_id not in management)
    baseline = clean.inventory
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(crawl_module, "CALL_ATTEMPTS", 4)
        try:
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
        clean.faults,
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
    # the demo's refusals and the plan's denied account, each met by one AssumeRole attempt
    assert runs.clean_faults[ACCESS_DENIED] >= 1
    assert runs.faults[ACCESS_DENIED] == runs.clean_faults[ACCESS_DENIED] + 1
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
    assert "attempts" not in denied[0]["message"]  # one attempt (more would be said)
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


# --- transient faults only: every verdict comes back -----------------------------------------

VERDICT_SEEDS = (7, 1812, 20261204)


@dataclass(frozen=True)
class VerdictRun:
    inventory: Inventory
    faults: Counter[str]
    faulted_operations: frozenset[tuple[str, str]]


@pytest.fixture(scope="module", params=VERDICT_SEEDS)
def verdict_run(
    request: pytest.FixtureRequest, demo_server: DemoServer, clean: Clean
) -> Iterator[VerdictRun]:
    plan = FaultPlan(
        seed=request.param,
        throttle_rate=0.2,
        error_5xx_rate=0.05,
        unreadable_share=0.5,
        truncated_rate=0.02,
        discovery_faults=True,
    )
    try:
        demo_server.set_faults(plan)
        demo_server.stats.reset()
        with pytest.MonkeyPatch.context() as patch:
            # The tool's attempts and rule decide; botocore's waiting is cut short (a tenth of its
            # backoff, no adaptive pacing, which slows a throttled client to ~0.5 request/s):
            # a third of the time.
            scales = {"throttling_base_scale": 0.1, "non_throttling_base_scale": 0.005}
            patch.setattr(standard.ExponentialBackoff, "_DEFAULT_BACKOFF_CONFIG", scales)
            patch.setattr(adaptive, "register_retry_handler", lambda client: None)
            inventory = _crawl(demo_server)
        events = demo_server.stats.faults
    finally:
        demo_server.set_faults(FaultPlan())
    operations = frozenset((e.key.service, e.key.operation) for e in events)
    yield VerdictRun(inventory, Counter(e.kind for e in events), operations)


def _verdicts(inventory: Inventory) -> list[str]:
    findings = run_rules(inventory, Settings())
    return sorted(findings.astype(str).to_json(orient="records", lines=True).splitlines())


def test_a_transient_fault_never_costs_a_verdict(clean: Clean, verdict_run: VerdictRun) -> None:
    faults = verdict_run.faults
    assert faults[THROTTLE] > 100 and faults[ERROR_5XX] > 10
    assert faults[UNREADABLE_5XX] > 10 and faults[TRUNCATED] > 5
    # discovery, the assume step and paginated reads met faults too
    # (each discovery call is made once: tests/demo/test_faults.py covers every one of them)
    for operation in (
        ("sts", "AssumeRole"),
        ("organizations", "ListTagsForResource"),
        ("lambda", "ListFunctions"),
        ("lambda", "GetFunction"),
    ):
        assert operation in verdict_run.faulted_operations, operation
    expected, got = clean.verdicts, _verdicts(verdict_run.inventory)
    assert len(expected) > 1000
    differing = [(a, b) for a, b in zip(expected, got, strict=False) if a != b]
    assert (len(got), differing[:3]) == (len(expected), [])
    # and the coverage says the same: the same units, the same outcomes
    outcome = ["account_id", "region", "collector", "resource_arn", "status", "error_code"]
    assert sorted(map(str, _records(verdict_run.inventory["coverage"][outcome]))) == sorted(
        map(str, _records(clean.inventory["coverage"][outcome]))
    )
