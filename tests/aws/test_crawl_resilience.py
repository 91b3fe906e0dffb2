"""The crawler under hostile conditions, against a scripted AWS answering in botocore's before-send.

No moto here: every request is answered by :class:`FakeAws` from the access key it is signed
with (``AK-<account>-<generation>``), so each test can say exactly which call fails, how, and
with which credentials, and then check what reached the inventory and the coverage rows.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import botocore.credentials
import botocore.exceptions
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from reporter.aws import crawl as crawl_module
from reporter.aws import pacing
from reporter.aws.crawl import crawl
from reporter.aws.discover import Account, Targets
from reporter.aws.schedule import Gate, Scheduler, Unit, plan
from reporter.aws.session import AccountCredentials, AwsAccess
from reporter.collectors import COLLECTORS, lambda_
from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.settings import Settings

A, B, C = "111111111111", "222222222222", "333333333333"
REGIONS = ("us-east-1", "eu-west-1")
LAMBDA_PREFIX = "/2015-03-31/functions"


@dataclass(frozen=True)
class Request:
    account_id: str
    generation: int
    region: str
    operation: str
    path: str
    query: dict[str, str]


@dataclass
class Answer:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    drop: bool = False


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def functions_of(account_id: str, region: str, count: int = 3) -> list[dict[str, Any]]:
    return [
        {
            "FunctionName": f"fn-{i}",
            "FunctionArn": f"arn:aws:lambda:{region}:{account_id}:function:fn-{i}",
            "Runtime": "python3.12",
            "Role": f"arn:aws:iam::{account_id}:role/r",
        }
        for i in range(count)
    ]


def lambda_world(request: Request, per_page: int = 2, count: int = 3) -> Answer:
    """A healthy Lambda: ``count`` functions listed ``per_page`` at a time, one policy each."""
    listed = functions_of(request.account_id, request.region, count)
    if request.operation == "ListFunctions":
        start = int(request.query.get("Marker", "0"))
        page: dict[str, Any] = {"Functions": listed[start : start + per_page]}
        if start + per_page < len(listed):
            page["NextMarker"] = str(start + per_page)
        return Answer(body=page)
    name = request.path.removeprefix(LAMBDA_PREFIX + "/").split("/")[0]
    config = next(f for f in listed if f["FunctionName"] == name) if name else {}
    if request.operation == "GetFunction":
        return Answer(body={"Configuration": config, "Tags": {"Team": "a"}})
    if request.operation == "GetPolicy":
        statement = {"Sid": "s", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}}
        return Answer(body={"Policy": json.dumps({"Statement": [statement]})})
    if request.operation == "ListAliases":
        return Answer(body={"Aliases": []})
    if request.operation == "ListFunctionUrlConfigs":
        return Answer(body={"FunctionUrlConfigs": []})
    if request.operation == "ListProvisionedConcurrencyConfigs":
        return Answer(body={"ProvisionedConcurrencyConfigs": []})
    if request.operation == "GetAccountSettings":
        return Answer(body={"AccountLimit": {"ConcurrentExecutions": 1000}})
    raise AssertionError(f"unexpected {request.operation}")


_REGIONS_XML = (
    '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><regionInfo>'
    + "".join(
        f"<item><regionName>{r}</regionName><optInStatus>opt-in-not-required</optInStatus></item>"
        for r in REGIONS
    )
    + "</regionInfo></DescribeRegionsResponse>"
).encode()


class FakeAws:
    """Answers Lambda's REST-JSON requests from ``script``; records every attempt."""

    def __init__(self, script: Callable[[Request], Answer]) -> None:
        self.script = script
        self.requests: list[Request] = []
        self.renewals: Counter[str] = Counter()
        self._lock = threading.Lock()

    def before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse:
        credential = str(request.headers["Authorization"]).split("Credential=")[1].split("/")
        account_id, generation = credential[0].rsplit("-", 2)[1:]
        url = urlsplit(request.url)
        seen = Request(
            account_id=account_id,
            generation=int(generation),
            region=credential[2],
            operation=event_name.rsplit(".", 1)[-1],
            path=unquote(url.path),
            query={k: v[0] for k, v in parse_qs(url.query).items()},
        )
        if seen.operation == "DescribeRegions":
            # each account's enabled regions (crawl reads them once per account): every run region
            return AWSResponse(request.url, 200, HTTPHeaders(), _Raw(_REGIONS_XML))
        with self._lock:
            self.requests.append(seen)
        answer = self.script(seen)
        if answer.drop:
            raise botocore.exceptions.ConnectionClosedError(endpoint_url=request.url)
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/json"
        if answer.error:
            headers["x-amzn-ErrorType"] = answer.error
            answer.body = {"message": answer.error}
        return AWSResponse(request.url, answer.status, headers, _Raw(json.dumps(answer.body).encode()))

    def assume(self, account_id: str, **_: Any) -> AccountCredentials:
        def renew() -> botocore.credentials.Credentials:
            with self._lock:
                self.renewals[account_id] += 1
                return _keys(account_id, self.renewals[account_id])

        return AccountCredentials(account_id, _keys(account_id, 0), renew=renew)

    def calls(self, operation: str | None = None, account_id: str | None = None) -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if operation in (None, r.operation) and account_id in (None, r.account_id)
            ]


def _keys(account_id: str, generation: int) -> botocore.credentials.Credentials:
    return botocore.credentials.Credentials(f"AK-{account_id}-{generation}", "secret", "token")


def _targets(*accounts: str) -> Targets:
    members = tuple(Account(a, f"n{a}", "", "ACTIVE", "Root", "r", None, {}, False) for a in accounts)
    return Targets("arn:aws:iam::999999999999:user/me", "999999999999", "aws", "o-1", "999", members, REGIONS)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two attempts per request instead of eight: the same logic, a fraction of the backoff sleeps."""
    monkeypatch.setattr(crawl_module, "CALL_ATTEMPTS", 2)


def _access(fake: FakeAws, monkeypatch: pytest.MonkeyPatch) -> AwsAccess:
    session = boto3.Session(
        aws_access_key_id="AK-start-0", aws_secret_access_key="s", region_name="us-east-1"
    )
    access = AwsAccess.from_session(session, endpoint_url="http://aws.invalid", workers=4)
    real_client = access.client

    def client(service: str, region: str, creds: AccountCredentials | None = None, **kwargs: Any) -> Any:
        made = real_client(service, region, creds, **kwargs)
        # last: the crawler's pacing and in-flight gate run first, as they would before a real send
        made.meta.events.register_last("before-send", fake.before_send)
        return made

    monkeypatch.setattr(access, "client", client)
    monkeypatch.setattr(access, "assume", fake.assume)
    return access


def _lambda_rows(result: Any, table: str, account_id: str, region: str) -> list[dict[str, Any]]:
    return [
        r for r in result.records.get(table, []) if (r["account_id"], r["region"]) == (account_id, region)
    ]


def _unit_rows(result: Any) -> list[dict[str, Any]]:
    return [r for r in result.coverage if r["resource_arn"] is None and r["collector"] == "lambda"]


# --- partial results are never complete -------------------------------------------------------


def test_connection_dropped_mid_pagination_is_a_unit_error_without_partial_rows(
    monkeypatch: pytest.MonkeyPatch, fast_retries: None
) -> None:
    def script(request: Request) -> Answer:
        if (request.account_id, request.region) == (A, "eu-west-1") and request.query.get("Marker"):
            return Answer(drop=True)  # page 2 of the listing, every attempt
        return lambda_world(request)

    fake = FakeAws(script)
    result = crawl(
        _access(fake, monkeypatch), _targets(A, B), Settings(workers=4, unit_attempts=2), [lambda_.COLLECTOR]
    )

    broken = [r for r in _unit_rows(result) if (r["account_id"], r["region"]) == (A, "eu-west-1")]
    assert [(r["status"], r["error_code"]) for r in broken] == [("error", "ConnectionError")]
    assert "after 2 attempts" in broken[0]["message"]
    assert broken[0]["tables"] == list(lambda_.COLLECTOR.tables)
    # page 1 was read (twice: once per unit attempt) yet none of its functions is presented
    first_pages = [
        r for r in fake.calls("ListFunctions", A) if r.region == "eu-west-1" and "Marker" not in r.query
    ]
    assert len(first_pages) == 2
    for table in lambda_.COLLECTOR.tables:
        assert _lambda_rows(result, table, A, "eu-west-1") == []
    # every other unit is complete
    ok = {(r["account_id"], r["region"]) for r in _unit_rows(result) if r["status"] == "ok"}
    assert ok == {(A, "us-east-1"), (B, "us-east-1"), (B, "eu-west-1")}
    for account_id, region in ok:
        assert len(_lambda_rows(result, "functions", account_id, region)) == 3
        assert len(_lambda_rows(result, "function_policies", account_id, region)) == 3


def test_a_drop_on_one_attempt_is_healed_by_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    dropped: set[tuple[str, str]] = set()

    def script(request: Request) -> Answer:
        key = (request.account_id, request.region)
        if request.query.get("Marker") and key not in dropped:
            dropped.add(key)
            return Answer(drop=True)
        return lambda_world(request)

    result = crawl(
        _access(FakeAws(script), monkeypatch), _targets(A), Settings(workers=2), [lambda_.COLLECTOR]
    )
    assert {r["status"] for r in result.coverage} == {"ok"}
    assert len(result.records["functions"]) == 3 * len(REGIONS)


def test_lambda_429_too_many_requests_is_retried_and_slows_only_that_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    throttled: set[tuple[str, str]] = set()

    def script(request: Request) -> Answer:
        key = (request.account_id, request.region)
        if request.operation == "GetFunction" and key not in throttled:
            throttled.add(key)
            return Answer(status=429, error="TooManyRequestsException")
        return lambda_world(request)

    fake = FakeAws(script)
    limiters: list[pacing.Limiter] = []

    class Recording(pacing.Limiter):
        def __init__(self) -> None:
            super().__init__()
            limiters.append(self)

    monkeypatch.setattr(crawl_module, "Limiter", Recording)
    result = crawl(_access(fake, monkeypatch), _targets(A), Settings(workers=2), [lambda_.COLLECTOR])

    assert {r["status"] for r in result.coverage} == {"ok"}
    assert len(result.records["functions"]) == 3 * len(REGIONS)
    # one extra attempt per account-region, made by botocore (the unit counted one operation each)
    assert len(fake.calls("GetFunction")) == 3 * len(REGIONS) + len(REGIONS)
    assert {r["api_calls"] for r in _unit_rows(result)} == {
        2 + 3 * 4 + 1
    }  # four calls per function (issue 12 added ListAliases)
    # the 429 cut GetFunction's own bucket in each region, and no other API's
    (limiter,) = limiters
    assert limiter.throttles == Counter({("lambda", "GetFunction"): len(REGIONS)})
    for region in REGIONS:
        get_function = limiter.bucket(A, region, "lambda", "GetFunction")
        get_policy = limiter.bucket(A, region, "lambda", "GetPolicy")
        assert get_function is not None and get_policy is not None
        assert get_function.bucket.rate < get_function.quota.rate
        assert get_policy.bucket.rate == get_policy.quota.rate


# --- expired credentials ----------------------------------------------------------------------


def test_expired_token_refreshes_once_per_account_and_every_unit_succeeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def script(request: Request) -> Answer:
        # as in AWS once the session expired: every call signed with the first keys fails
        if request.generation == 0:
            return Answer(status=403, error="ExpiredTokenException")
        return lambda_world(request)

    fake = FakeAws(script)
    result = crawl(_access(fake, monkeypatch), _targets(A, B), Settings(workers=4), [lambda_.COLLECTOR])

    assert {(r["status"], r["error_code"]) for r in result.coverage} == {("ok", None)}
    assert len(result.records["functions"]) == 2 * 3 * len(REGIONS)
    # two units per account met the expiry; the account's role was assumed again only once
    assert fake.renewals == Counter({A: 1, B: 1})
    # the retried units signed with the refreshed keys
    assert {r.generation for r in fake.calls("GetFunction")} == {1}
    # botocore does not retry ExpiredToken itself: one refused request per unit, then the refresh
    assert len([r for r in fake.requests if r.generation == 0]) == 2 * len(REGIONS)


def test_expired_token_met_mid_unit_reads_the_unit_again(monkeypatch: pytest.MonkeyPatch) -> None:
    def script(request: Request) -> Answer:
        # the listing and GetFunction still pass; the session expires before GetPolicy
        if request.generation == 0 and request.operation == "GetPolicy":
            return Answer(status=403, error="ExpiredTokenException")
        return lambda_world(request)

    fake = FakeAws(script)
    result = crawl(_access(fake, monkeypatch), _targets(A), Settings(workers=2), [lambda_.COLLECTOR])

    # the collector kept the failure as an Issue; the crawler refreshed and read the unit again
    assert {(r["status"], r["error_code"]) for r in result.coverage} == {("ok", None)}
    assert len(result.records["function_policies"]) == 3 * len(REGIONS)
    assert len(result.records["functions"]) == 3 * len(REGIONS)
    assert fake.renewals == Counter({A: 1})


def test_credentials_that_cannot_be_refreshed_end_as_an_error_row(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeAws(lambda request: Answer(status=403, error="ExpiredTokenException"))
    result = crawl(_access(fake, monkeypatch), _targets(A), Settings(workers=2), [lambda_.COLLECTOR])

    rows = _unit_rows(result)
    assert len(rows) == len(REGIONS)
    assert {(r["status"], r["error_code"]) for r in rows} == {("error", "ExpiredTokenException")}
    assert "functions" not in result.records
    # refreshed once, retried once with the new keys, then given up (no endless refresh loop)
    assert fake.renewals == Counter({A: 1})


# --- timeouts --------------------------------------------------------------------------------


def test_a_unit_given_up_on_stops_at_its_next_request(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    stopped = threading.Event()
    requests_after_release: list[str] = []

    def script(request: Request) -> Answer:
        if release.is_set():
            requests_after_release.append(request.operation)
        return lambda_world(request)

    def slow(ctx: UnitContext) -> CollectResult:
        client = ctx.client("lambda")
        try:
            client.get_account_settings()
            # stands for a call that hangs past the unit's deadline
            release.wait(timeout=30)
            client.get_account_settings()
            return CollectResult()
        finally:
            stopped.set()

    collector = Collector("lambda", "regional", lambda_.COLLECTOR.tables, (), slow)
    settings = Settings(workers=2, unit_timeout_s=0.5, regions=REGIONS[:1])
    result = crawl(
        _access(FakeAws(script), monkeypatch),
        replace(_targets(A), regions=REGIONS[:1]),
        settings,
        [collector],
    )

    assert [(r["status"], r["error_code"]) for r in result.coverage] == [("error", "Timeout")]
    release.set()
    assert stopped.wait(timeout=30)
    # the abandoned unit's next request was refused before it reached AWS
    assert requests_after_release == []


# --- scheduling (logic, no timing) -----------------------------------------------------------


def test_plan_puts_the_largest_collectors_first_and_interleaves_accounts() -> None:
    units = plan([B, A, C], REGIONS, COLLECTORS)
    names = [u.collector.name for u in units]
    assert names[: 3 * len(REGIONS)] == ["lambda"] * 3 * len(REGIONS)
    assert names.index("config") < names.index("ec2") < names.index("logs")
    # consecutive units belong to different account-regions
    assert all(a.key != b.key for a, b in zip(units, units[1:], strict=False) if a.collector == b.collector)
    assert [u.account_id for u in units[:3]] == [A, B, C]
    iam = [u for u in units if u.collector.name == "iam"]
    assert {u.region for u in iam} == {"global"} and len(iam) == 3
    assert len(units) == 3 * (len(REGIONS) * 6 + 1)  # six regional collectors (config split in two)


def test_plan_orders_by_the_rank_each_collector_declares() -> None:
    big = Collector("zz-big", "regional", (), (), lambda ctx: CollectResult(), size_rank=0)
    small = Collector("aa-small", "regional", (), (), lambda ctx: CollectResult())
    assert [u.collector.name for u in plan([A], ["us-east-1"], [small, big])] == ["zz-big", "aa-small"]


def _units(account_id: str, count: int) -> list[Unit]:
    return [
        Unit(account_id, "us-east-1", Collector(f"c{i}", "regional", (), (), lambda ctx: CollectResult()))
        for i in range(count)
    ]


def test_scheduler_does_not_let_a_big_account_region_serialize_the_others() -> None:
    big, small = _units(A, 5), _units(B, 2)
    scheduler = Scheduler([*big, *small], per_key_limit=2)
    started = [scheduler.next(), scheduler.next(), scheduler.next(), scheduler.next()]
    # A is at its limit after two units: B's units start next, ahead of A's three others
    assert started == [big[0], big[1], small[0], small[1]]
    assert scheduler.next() is None
    scheduler.done(big[0])
    assert scheduler.next() == big[2]
    assert scheduler.running((A, "us-east-1")) == 2
    assert len(scheduler) == 2


def test_crawl_runs_other_accounts_while_one_unit_is_still_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    others_done = threading.Event()
    finished: list[str] = []
    lock = threading.Lock()
    expected_others = 2 * len(REGIONS) + len(REGIONS) - 1

    def collect(ctx: UnitContext) -> CollectResult:
        if (ctx.account_id, ctx.region) == (A, REGIONS[0]):
            # the big unit ends only once every other unit has finished: a crawl that queued
            # the others behind it would never get there (the timeout below is a guard only)
            assert others_done.wait(timeout=30), "the other units were held up behind one unit"
        else:
            with lock:
                finished.append(ctx.account_id)
                if len(finished) == expected_others:
                    others_done.set()
        return CollectResult()

    collector = Collector("lambda", "regional", ("functions",), (), collect)
    result = crawl(
        _access(FakeAws(lambda_world), monkeypatch), _targets(A, B, C), Settings(workers=1), [collector]
    )
    assert {r["status"] for r in result.coverage} == {"ok"}
    assert len(result.coverage) == 3 * len(REGIONS)


def test_gate_bounds_and_fills_the_requests_in_flight() -> None:
    gate = Gate(3)
    entered: list[int] = []
    release = threading.Event()
    all_in = threading.Event()
    lock = threading.Lock()

    def worker(i: int) -> None:
        with gate.hold():
            with lock:
                entered.append(i)
                if len(entered) == gate.limit:
                    all_in.set()
            release.wait(timeout=30)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    assert all_in.wait(timeout=30)
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert sorted(entered) == list(range(8))
    assert gate.peak == 3


def test_a_big_region_is_read_by_several_threads_with_rows_in_listing_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count = lambda_.CHUNK * 2
    # the first GetFunction of each chunk must be in flight together, or this barrier breaks
    barrier = threading.Barrier(2, timeout=30)

    def script(request: Request) -> Answer:
        if request.operation == "GetFunction" and request.path.endswith(("/fn-0", f"/fn-{lambda_.CHUNK}")):
            barrier.wait()
        return lambda_world(request, per_page=lambda_.CHUNK + 5, count=count)

    fake = FakeAws(script)
    settings = Settings(workers=4, regions=REGIONS[:1])
    result = crawl(
        _access(fake, monkeypatch), replace(_targets(A), regions=REGIONS[:1]), settings, [lambda_.COLLECTOR]
    )

    assert [(r["status"], r["api_calls"]) for r in result.coverage] == [("ok", 2 + count * 4 + 1)]
    names = [r["name"] for r in result.records["functions"]]
    assert names == [f"fn-{i}" for i in range(count)]
    assert [r["function_arn"].rsplit(":", 1)[1] for r in result.records["function_policies"]] == names
    # four calls per function (none has a published version), the listing, the account settings
    per_operation = Counter(r.operation for r in fake.requests)
    assert per_operation == Counter(
        {
            "ListFunctions": 2,
            "GetFunction": count,
            "GetPolicy": count,
            "ListAliases": count,
            "ListFunctionUrlConfigs": count,
            "GetAccountSettings": 1,
        }
    )
