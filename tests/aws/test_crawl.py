from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from reporter.aws.crawl import crawl
from reporter.aws.discover import Account, Targets
from reporter.aws.session import AwsAccess
from reporter.collectors.base import Collector, CollectResult, Issue, UnitContext
from reporter.inventory import frame
from reporter.settings import Settings

REGIONS = ("us-east-1", "eu-west-1")


def _account(account_id: str, status: str = "ACTIVE") -> Account:
    return Account(account_id, f"acct-{account_id}", "", status, "Root", "r-1", None, {}, False)


@pytest.fixture
def targets() -> Iterator[Targets]:
    with mock_aws():
        org = boto3.client("organizations", region_name="us-east-1")
        org.create_organization(FeatureSet="ALL")
        ids = [
            org.create_account(AccountName=f"a{i}", Email=f"a{i}@x.com")["CreateAccountStatus"]["AccountId"]
            for i in range(3)
        ]
        caller = boto3.client("sts", region_name="us-east-1").get_caller_identity()
        accounts = (*[_account(i) for i in ids], _account("000000000009", "SUSPENDED"))
        yield Targets(caller["Arn"], caller["Account"], "aws", "o-test", caller["Account"], accounts, REGIONS)


def _who_am_i(ctx: UnitContext) -> CollectResult:
    """Records the account the credentials really land in, to prove per-account isolation."""
    seen = ctx.client("sts").get_caller_identity()["Account"]
    result = CollectResult()
    result.add(
        "log_groups",
        {
            "account_id": ctx.account_id,
            "region": ctx.region,
            "log_group": seen,
            "function_name": "f",
            "retention_days": None,
            "stored_bytes": 0,
        },
    )
    return result


PROBE = Collector("logs", "regional", ("log_groups",), ("sts:GetCallerIdentity",), _who_am_i)


def _access() -> AwsAccess:
    return AwsAccess.from_session(boto3.Session(), endpoint_url=None, workers=4)


def test_every_unit_has_a_coverage_row_and_credentials_land_in_the_right_account(targets: Targets) -> None:
    result = crawl(_access(), targets, Settings(workers=4), [PROBE])
    rows = result.records["log_groups"]
    assert len(rows) == 3 * len(REGIONS)
    assert all(r["account_id"] == r["log_group"] for r in rows)
    ok = [c for c in result.coverage if c["status"] == "ok"]
    assert len(ok) == 3 * len(REGIONS)
    assert all(c["api_calls"] == 1 for c in ok)
    skipped = [c for c in result.coverage if c["status"] == "skipped"]
    assert [c["account_id"] for c in skipped] == ["000000000009"]
    frame("coverage", result.coverage)
    frame("accounts", result.records["accounts"])


def test_a_failing_unit_is_recorded_and_the_others_are_collected(targets: Targets) -> None:
    bad = targets.accounts[1].account_id

    def flaky(ctx: UnitContext) -> CollectResult:
        if ctx.account_id == bad and ctx.region == "eu-west-1":
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "nope"}}, "ListFunctions"
            )
        return _who_am_i(ctx)

    collector = replace(PROBE, collect=flaky)
    result = crawl(_access(), targets, Settings(workers=4), [collector])
    errors = [c for c in result.coverage if c["status"] == "error"]
    assert [(c["account_id"], c["region"], c["error_code"]) for c in errors] == [
        (bad, "eu-west-1", "AccessDeniedException")
    ]
    assert errors[0]["tables"] == ["log_groups"]
    assert len(result.records["log_groups"]) == 3 * len(REGIONS) - 1


def test_retryable_errors_are_retried_then_recorded(targets: Targets) -> None:
    calls: dict[tuple[str, str], int] = {}
    lock = threading.Lock()

    def throttled_once(ctx: UnitContext) -> CollectResult:
        with lock:
            calls[(ctx.account_id, ctx.region)] = calls.get((ctx.account_id, ctx.region), 0) + 1
            n = calls[(ctx.account_id, ctx.region)]
        if n == 1 or ctx.region == "eu-west-1":
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "ListFunctions"
            )
        return _who_am_i(ctx)

    result = crawl(
        _access(), targets, Settings(workers=4, unit_attempts=2), [replace(PROBE, collect=throttled_once)]
    )
    errors = [c for c in result.coverage if c["status"] == "error"]
    assert {c["region"] for c in errors} == {"eu-west-1"}
    assert all("after 2 attempts" in c["message"] for c in errors)
    assert len(result.records["log_groups"]) == 3


def test_issues_become_resource_level_coverage_rows(targets: Targets) -> None:
    def partial(ctx: UnitContext) -> CollectResult:
        result = _who_am_i(ctx)
        result.issues.append(
            Issue(("function_policies",), "HTTP500", "boom", "arn:aws:lambda:x:1:function:f")
        )
        return result

    result = crawl(_access(), targets, Settings(workers=4), [replace(PROBE, collect=partial)])
    narrow = [c for c in result.coverage if c["resource_arn"]]
    assert len(narrow) == 3 * len(REGIONS)
    assert all(c["status"] == "error" and c["tables"] == ["function_policies"] for c in narrow)


def test_a_hung_unit_times_out_without_blocking_the_run(targets: Targets) -> None:
    slow = targets.accounts[0].account_id

    def hangs(ctx: UnitContext) -> CollectResult:
        if ctx.account_id == slow and ctx.region == "us-east-1":
            time.sleep(3)
        return _who_am_i(ctx)

    result = crawl(
        _access(), targets, Settings(workers=4, unit_timeout_s=1.0), [replace(PROBE, collect=hangs)]
    )
    timeouts = [c for c in result.coverage if c["error_code"] == "Timeout"]
    assert [(c["account_id"], c["region"]) for c in timeouts] == [(slow, "us-east-1")]
    assert len(result.records["log_groups"]) == 3 * len(REGIONS) - 1


def test_an_account_whose_role_cannot_be_assumed_is_one_error_row(
    targets: Targets, monkeypatch: pytest.MonkeyPatch
) -> None:
    denied = targets.accounts[2].account_id
    access = _access()
    real = access.assume

    def assume(account_id: str, **kwargs: object) -> object:
        if account_id == denied:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "no"}}, "AssumeRole"
            )
        return real(account_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(access, "assume", assume)
    result = crawl(access, targets, Settings(workers=4), [PROBE])
    errors = [c for c in result.coverage if c["status"] == "error"]
    assert [(c["account_id"], c["collector"], c["region"], c["error_code"]) for c in errors] == [
        (denied, "assume", "global", "AccessDenied")
    ]
    assert errors[0]["tables"] == ["log_groups"]
    assert {r["account_id"] for r in result.records["log_groups"]} == {
        a.account_id for a in targets.accounts[:2]
    }
