"""Fault injection: deterministic decisions, and every fault observable from boto3 without retries."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace

import boto3
import botocore.exceptions
import pytest
from botocore.retries import adaptive, standard

from reporter.acquire import collect
from reporter.aws import quotas
from reporter.aws.discover import Targets, discover
from reporter.aws.session import AwsAccess
from reporter.aws.transient import INCOMPLETE
from reporter.demo import DemoServer, FaultPlan
from reporter.demo.faults import (
    BODY_EMPTY,
    BODY_HTML,
    BODY_TEXT,
    CUT_CLOSED,
    CUT_SHORT,
    ERROR_5XX,
    RATE_LIMITED,
    TRUNCATED,
    UNREADABLE_5XX,
    FaultInjector,
)
from reporter.demo.wire import Call
from reporter.settings import Settings
from tests.demo.conftest import NO_RETRIES, Clients

MEMBER_REGION = "us-east-1"


def _call(service: str, operation: str, protocol: str = "json", rank_key: str = "111111111111") -> Call:
    return Call(
        method="POST",
        path="/",
        query={},
        content_type="application/x-amz-json-1.1",
        target=f"X.{operation}",
        body=b"",
        access_key="AKIDEXAMPLE",
        account_id=rank_key,
        region="eu-west-1",
        service=service,
        protocol=protocol,
        operation=operation,
    )


def _kinds(plan: FaultPlan, calls: int) -> list[str | None]:
    injector = FaultInjector(plan)
    call = _call("logs", "DescribeLogGroups")
    return [(d.kind if (d := injector.decide(call, rank)) else None) for rank in range(1, calls + 1)]


def test_decisions_are_a_function_of_seed_key_and_rank() -> None:
    plan = FaultPlan(seed=11, throttle_rate=0.3, error_5xx_rate=0.2, drop_rate=0.1)
    first, second = _kinds(plan, 400), _kinds(plan, 400)
    assert first == second
    assert _kinds(FaultPlan(seed=12, throttle_rate=0.3, error_5xx_rate=0.2, drop_rate=0.1), 400) != first
    share = {kind: first.count(kind) / len(first) for kind in ("throttle", "error_5xx", "drop")}
    assert 0.22 < share["throttle"] < 0.38
    assert 0.13 < share["error_5xx"] < 0.27
    assert 0.05 < share["drop"] < 0.16


def test_discovery_is_spared_unless_asked() -> None:
    plan = FaultPlan(throttle_rate=1.0)
    assert FaultInjector(plan).decide(_call("sts", "AssumeRole", "query"), 1) is None
    assert FaultInjector(plan).decide(_call("organizations", "ListAccounts"), 1) is None
    loud = FaultPlan(throttle_rate=1.0, discovery_faults=True)
    decision = FaultInjector(loud).decide(_call("organizations", "ListAccounts"), 1)
    assert decision is not None and decision.code == "ThrottlingException"


def test_unreadable_and_truncated_answers_at_their_rates() -> None:
    injector = FaultInjector(FaultPlan(seed=3, error_5xx_rate=0.5, unreadable_share=0.5, truncated_rate=0.3))
    call = _call("logs", "DescribeLogGroups")
    decisions = [injector.decide(call, rank) for rank in range(1, 2001)]
    kinds = Counter(d.kind if d else None for d in decisions)
    assert 0.2 < kinds[ERROR_5XX] / 2000 < 0.3 and 0.2 < kinds[UNREADABLE_5XX] / 2000 < 0.3
    assert 0.25 < kinds[TRUNCATED] / 2000 < 0.35
    bodies = Counter(d.body for d in decisions if d and d.kind == UNREADABLE_5XX)
    assert set(bodies) == {BODY_TEXT, BODY_HTML, BODY_EMPTY} and min(bodies.values()) > 100
    cuts = [d for d in decisions if d and d.kind == TRUNCATED]
    assert {d.body for d in cuts} == {CUT_CLOSED, CUT_SHORT} and all(0.1 <= d.cut <= 0.9 for d in cuts)
    # plans without them meet the same faults as before they existed
    assert _kinds(FaultPlan(seed=11, throttle_rate=0.3, error_5xx_rate=0.2), 400) == _kinds(
        FaultPlan(seed=11, throttle_rate=0.3, error_5xx_rate=0.2, unreadable_share=0.0), 400
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"throttle_rate": 1.5},
        {"throttle_rate": 0.6, "drop_rate": 0.6},
        {"throttle_rate": 0.6, "truncated_rate": 0.6},
        {"unreadable_share": 1.5},
        {"latency_ms": -1.0},
    ],
)
def test_invalid_plans_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FaultPlan(**kwargs)  # type: ignore[arg-type]


# --- through the server ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> Iterator[DemoServer]:
    with DemoServer.scaled(accounts=2, regions=2, functions_per_region=2, seed=3) as server:
        yield server


@pytest.fixture
def use(tiny: DemoServer) -> Iterator[Callable[[FaultPlan], None]]:
    def apply(plan: FaultPlan) -> None:
        tiny.stats.reset()
        tiny.set_faults(plan)

    yield apply
    tiny.set_faults(FaultPlan())


@pytest.fixture
def aws(tiny: DemoServer) -> Clients:
    return Clients(tiny, NO_RETRIES)


def _member(tiny: DemoServer) -> str:
    return next(a.account_id for a in tiny.truth.reachable_accounts if not a.is_management)


def _client_error(fn: Callable[[], object]) -> botocore.exceptions.ClientError:
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        fn()
    return exc.value


def test_throttling_per_protocol(tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]) -> None:
    member = _member(tiny)
    lam, logs = aws.member(member, "lambda"), aws.member(member, "logs")
    iam, ec2, cw = aws.member(member, "iam"), aws.member(member, "ec2"), aws.member(member, "cloudwatch")
    use(FaultPlan(throttle_rate=1.0))
    err = _client_error(lam.list_functions)
    assert (err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "TooManyRequestsException",
        429,
    )
    for call in (logs.describe_log_groups, iam.list_roles, ec2.describe_subnets, cw.describe_alarms):
        err = _client_error(call)
        assert err.response["Error"]["Code"] == "ThrottlingException", call
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Discovery keeps working: the crawl can still find its targets.
    assert aws.mgmt("organizations").list_accounts()["Accounts"]
    assert aws.mgmt("sts").get_caller_identity()["Account"] == tiny.truth.management_account_id
    assert tiny.stats.fault_counts()["throttle"] == 5


def test_server_errors(tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]) -> None:
    lam, logs = aws.member(_member(tiny), "lambda"), aws.member(_member(tiny), "logs")
    use(FaultPlan(error_5xx_rate=1.0))
    statuses = set()
    for _ in range(6):
        for call in (lam.list_functions, logs.describe_log_groups):
            statuses.add(_client_error(call).response["ResponseMetadata"]["HTTPStatusCode"])
    assert statuses <= {500, 503} and statuses
    assert tiny.stats.fault_counts()["error_5xx"] == 12


def test_dropped_connections(tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]) -> None:
    lam = aws.member(_member(tiny), "lambda")
    use(FaultPlan(drop_rate=1.0))
    with pytest.raises(
        (botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError)
    ):
        lam.list_functions()
    use(FaultPlan())
    assert lam.list_functions()["Functions"]


def test_latency(tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]) -> None:
    lam = aws.member(_member(tiny), "lambda")
    lam.list_functions()
    use(FaultPlan(latency_ms=300))
    for _ in range(3):
        started = time.perf_counter()
        lam.list_functions()
        # the server may shorten a sleep by up to a tenth to make up for its late wake-ups
        assert time.perf_counter() - started >= 0.27
    timed = tiny.stats.answer_times
    assert timed.answers == 3
    assert timed.seconds / timed.answers >= 0.27
    assert timed.late == 0 or timed.late_seconds > 0


def test_answer_times_are_counted_without_latency(
    tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]
) -> None:
    lam = aws.member(_member(tiny), "lambda")
    use(FaultPlan())
    lam.list_functions()
    lam.list_functions()
    timed = tiny.stats.answer_times
    assert (timed.answers, timed.late, timed.late_seconds) == (2, 0, 0.0)


def test_denied_accounts(tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]) -> None:
    member = _member(tiny)
    use(FaultPlan(denied_accounts=frozenset({member})))
    err = _client_error(lambda: aws.assume(member))
    assert err.response["Error"]["Code"] == "AccessDenied"
    assert tiny.stats.fault_counts()["access_denied"] == 1


def test_expired_token_once_per_account(
    tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]
) -> None:
    member = _member(tiny)
    use(FaultPlan(expire_token_once=True))
    fresh = Clients(tiny, NO_RETRIES)
    lam = fresh.member(member, "lambda")
    err = _client_error(lam.list_functions)
    assert err.response["Error"]["Code"] == "ExpiredTokenException"
    assert lam.list_functions()["Functions"]
    again = Clients(tiny, NO_RETRIES).member(member, "iam")  # a new session: already expired once
    assert again.list_roles()["Roles"]
    assert tiny.stats.fault_counts()["expired_token"] == 1


def test_quotas_per_account_region_and_api_answer_as_aws(
    tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]
) -> None:
    member = _member(tiny)
    lam, other_region = aws.member(member, "lambda"), aws.member(member, "lambda", "eu-west-1")
    use(FaultPlan(quotas=True))
    name = lam.list_functions()["Functions"][0]["FunctionName"]
    policy = quotas.quota_for("lambda", "GetPolicy")
    assert policy is not None and (policy.rate, policy.burst) == (15, 15)
    outcomes = []
    for _ in range(40):  # far quicker than 15/s through a local server: the burst, then refusals
        try:
            lam.get_policy(FunctionName=name)
            outcomes.append("ok")
        except botocore.exceptions.ClientError as exc:
            code, status = exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]
            outcomes.append("ok" if code == "ResourceNotFoundException" else f"{code}/{status}")
    assert outcomes[0] == "ok"
    assert outcomes.count("TooManyRequestsException/429") >= 10
    # another API's bucket (GetFunction, 100/s) and another region's are untouched
    assert lam.get_function(FunctionName=name)["Configuration"]
    assert other_region.list_functions()["Functions"]
    ec2 = aws.member(member, "ec2")
    answered = 0
    for _ in range(600):  # EC2: a bucket of 100 per API, refilled at 20/s; 503 RequestLimitExceeded
        try:
            ec2.describe_subnets()
            answered += 1
        except botocore.exceptions.ClientError as exc:
            assert (exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]) == (
                "RequestLimitExceeded",
                503,
            )
            break
    assert 100 <= answered < 600
    assert ec2.describe_route_tables()  # a separate bucket per EC2 API


def test_a_throttling_storm_on_one_api_slows_that_api_only_and_loses_nothing(
    tiny: DemoServer, use: Callable[[FaultPlan], None]
) -> None:
    use(FaultPlan(storm=("lambda", "GetPolicy", 6.0)))
    session = boto3.Session(
        aws_access_key_id=tiny.credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=tiny.credentials["AWS_SECRET_ACCESS_KEY"],
        region_name=tiny.credentials["AWS_DEFAULT_REGION"],
    )
    settings = Settings(org=True, endpoint_url=tiny.endpoint_url, regions=tiny.truth.regions, workers=4)
    inventory = collect(settings, session=session).inventory

    faulted = Counter((e.key.service, e.key.operation) for e in tiny.stats.faults if e.kind == RATE_LIMITED)
    assert set(faulted) == {("lambda", "GetPolicy")} and faulted[("lambda", "GetPolicy")] > 0
    assert set(inventory["coverage"]["status"]) == {"ok"}
    reachable = {a.account_id for a in tiny.truth.accounts if a.reachable}
    seeded = sorted(f.function_arn for f in tiny.truth.functions if f.account_id in reachable)
    assert sorted(inventory["functions"]["function_arn"]) == seeded  # every function, exactly once


def test_fail_units(tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]) -> None:
    member = _member(tiny)
    use(FaultPlan(fail_units=frozenset({(member, MEMBER_REGION, "lambda"), (member, "global", "iam")})))
    err = _client_error(aws.member(member, "lambda", MEMBER_REGION).list_functions)
    assert (err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ServiceException",
        500,
    )
    assert _client_error(aws.member(member, "iam").list_roles).response["Error"]["Code"] == "InternalFailure"
    assert aws.member(member, "lambda", "eu-west-1").list_functions()["Functions"]
    assert aws.member(member, "logs", MEMBER_REGION).describe_log_groups()["logGroups"]


def test_same_plan_same_faults_through_the_server(
    tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]
) -> None:
    member = _member(tiny)
    lam, logs = aws.member(member, "lambda"), aws.member(member, "logs")

    def run(plan: FaultPlan) -> list[str]:
        use(plan)
        seen = []
        for _ in range(15):
            for call in (lam.list_functions, logs.describe_log_groups):
                try:
                    call()
                    seen.append("ok")
                except botocore.exceptions.ClientError as exc:
                    seen.append(str(exc.response["Error"]["Code"]))
        return seen

    plan = FaultPlan(seed=5, throttle_rate=0.3, error_5xx_rate=0.2)
    first = run(plan)
    recorded = [(e.key.operation, e.rank, e.kind) for e in tiny.stats.faults]
    assert first == run(plan)
    assert recorded == [(e.key.operation, e.rank, e.kind) for e in tiny.stats.faults]
    assert "ok" in first and len(set(first)) > 2
    assert run(FaultPlan(seed=6, throttle_rate=0.3, error_5xx_rate=0.2)) != first


def test_unreadable_server_errors(tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]) -> None:
    iam, lam = aws.member(_member(tiny), "iam"), aws.member(_member(tiny), "lambda")
    use(FaultPlan(error_5xx_rate=1.0, unreadable_share=1.0))
    seen: Counter[str] = Counter()
    for _ in range(8):
        with pytest.raises(Exception) as raised:
            iam.list_roles()
        seen[type(raised.value).__name__] += 1
        # botocore names the status as the code: Lambda's body would have named the error
        assert _client_error(lam.list_functions).response["Error"]["Code"] in ("500", "503")
    # what botocore alone makes of a plain-text or HTML 5xx from a query service (not retried)
    assert seen["ResponseParserError"] > 0
    assert tiny.stats.fault_counts()[UNREADABLE_5XX] == 16


def test_truncated_answers(tiny: DemoServer, aws: Clients, use: Callable[[FaultPlan], None]) -> None:
    member = _member(tiny)
    lam = aws.member(member, "lambda")
    assert lam.list_functions()["Functions"]
    use(FaultPlan(seed=4, truncated_rate=1.0))
    # botocore alone reads a cut JSON listing as no listing at all: silently empty
    assert not any(_quietly(lam.list_functions).get("Functions") for _ in range(6))
    # the tool's clients see that the answer is incomplete (and would try again)
    keys = aws.assume(member)
    session = boto3.Session(
        keys["aws_access_key_id"], keys["aws_secret_access_key"], keys["aws_session_token"], MEMBER_REGION
    )
    access = AwsAccess.from_session(session, endpoint_url=tiny.endpoint_url, workers=1)
    checked = access.client("lambda", MEMBER_REGION, config=NO_RETRIES)
    for _ in range(6):
        assert _client_error(checked.list_functions).response["Error"]["Code"] == INCOMPLETE
    assert tiny.stats.fault_counts()[TRUNCATED] >= 12


def _quietly(call: Callable[[], dict[str, object]]) -> dict[str, object]:
    try:
        return call()
    except Exception:  # the XML/JSON cut where botocore does notice
        return {}


def test_discovery_under_faults_finds_the_same_targets(
    tiny: DemoServer, use: Callable[[FaultPlan], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = tiny.credentials
    settings = Settings(org=True, endpoint_url=tiny.endpoint_url, regions=tiny.truth.regions)

    def targets() -> Targets:
        session = boto3.Session(
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            region_name=MEMBER_REGION,
        )
        return discover(AwsAccess.from_session(session, endpoint_url=tiny.endpoint_url, workers=2), settings)

    use(FaultPlan())
    clean = targets()
    # botocore's waits cut short: the decisions are under test, not the sleeping
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(adaptive, "register_retry_handler", lambda client: None)
    plan = FaultPlan(seed=2, throttle_rate=0.3, error_5xx_rate=0.3, truncated_rate=0.2, unreadable_share=0.5)
    use(replace(plan, discovery_faults=True))
    assert targets() == clean
    faulted = {(e.key.service, e.key.operation) for e in tiny.stats.faults}
    assert {
        ("sts", "GetCallerIdentity"),
        ("organizations", "DescribeOrganization"),
        ("organizations", "ListAccounts"),
        ("organizations", "ListRoots"),
        ("ec2", "DescribeRegions"),
    } <= faulted
