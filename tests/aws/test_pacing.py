"""The quota data file, the token bucket both sides use, and the crawler's per-API limiter."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from reporter.aws import pacing, quotas


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_every_service_names_its_source_throttle_and_a_catch_all_or_listed_buckets() -> None:
    data = json.loads(quotas.QUOTAS_FILE.read_text())["services"]
    for service, spec in data.items():
        assert spec["source"].startswith("https://"), service
        assert spec["throttle"]["code"] in pacing.THROTTLE_CODES, service
        for bucket in spec["buckets"]:
            assert bucket["rate"] > 0 and bucket["burst"] >= 1, (service, bucket["name"])


def test_published_lambda_quotas_and_shared_control_plane_bucket() -> None:
    get_function = quotas.quota_for("lambda", "GetFunction")
    get_policy = quotas.quota_for("lambda", "GetPolicy")
    urls = quotas.quota_for("lambda", "ListFunctionUrlConfigs")
    provisioned = quotas.quota_for("lambda", "ListProvisionedConcurrencyConfigs")
    assert get_function is not None and get_function.rate == 100
    assert get_policy is not None and get_policy.rate == 15
    assert urls is not None and provisioned is not None and urls.bucket == provisioned.bucket
    assert (urls.rate, urls.bucket) == (15, "control-plane")
    # EC2 keeps one bucket per API; Lambda's answer above the quota is a 429
    subnets, routes = (
        quotas.quota_for("ec2", "DescribeSubnets"),
        quotas.quota_for("ec2", "DescribeRouteTables"),
    )
    assert subnets is not None and routes is not None and subnets.bucket != routes.bucket
    assert quotas.throttle_for("lambda") == quotas.Throttle(429, "TooManyRequestsException")
    assert quotas.throttle_for("ec2") == quotas.Throttle(503, "RequestLimitExceeded")
    assert quotas.quota_for("unknown-service", "X") is None


def test_bucket_burst_then_rate() -> None:
    clock = Clock()
    bucket = quotas.TokenBucket(15, 15, clock=clock)
    assert all(bucket.try_take() for _ in range(15))  # the burst
    assert not bucket.try_take()
    clock.now += 1.0
    assert sum(bucket.try_take() for _ in range(100)) == 15  # then the rate
    clock.now += 100.0
    assert sum(bucket.try_take() for _ in range(100)) == 15  # never more than the burst


def test_reserve_spaces_requests_at_the_rate() -> None:
    clock = Clock()
    bucket = quotas.TokenBucket(10, 2, clock=clock)
    waits = [bucket.reserve() for _ in range(6)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    # a client reserving as the server refills is never refused by an identical server bucket
    server = quotas.TokenBucket(10, 2, clock=clock)
    client = quotas.TokenBucket(10, 2, clock=clock)
    start = clock.now
    for _ in range(50):
        clock.now = max(clock.now, start) + client.reserve()
        start = clock.now
        assert server.try_take()


class _Events:
    def __init__(self) -> None:
        self.handlers: dict[str, list[Any]] = {}

    def register(self, name: str, handler: Any) -> None:
        self.handlers.setdefault(name, []).append(handler)

    def emit(self, name: str, **kwargs: Any) -> None:
        for handler in self.handlers.get(name, []):
            handler(**kwargs)


class _Client:
    def __init__(self, service: str) -> None:
        model = type("Model", (), {"service_name": service})()
        self.meta = type("Meta", (), {"service_model": model, "events": _Events()})()


def test_limiter_adapts_per_api_and_recovers_to_the_published_rate() -> None:
    limiter = pacing.Limiter()
    client = _Client("lambda")
    limiter.attach(client, "111111111111", "us-east-1", threading.Event())
    throttled = {"Error": {"Code": "TooManyRequestsException"}}
    for _ in range(3):
        client.meta.events.emit(
            "response-received", event_name="x.lambda.GetPolicy", parsed_response=throttled
        )
    policy = limiter.bucket("111111111111", "us-east-1", "lambda", "GetPolicy")
    function = limiter.bucket("111111111111", "us-east-1", "lambda", "GetFunction")
    other_region = limiter.bucket("111111111111", "eu-west-1", "lambda", "GetPolicy")
    assert policy is not None and function is not None and other_region is not None
    assert policy.bucket.rate == pytest.approx(15 * pacing.DECREASE**3)
    assert function.bucket.rate == 100 and other_region.bucket.rate == 15  # only that API, that region
    assert limiter.throttles[("lambda", "GetPolicy")] == 3
    for _ in range(200):
        client.meta.events.emit("response-received", event_name="x.lambda.GetPolicy", parsed_response={})
    assert policy.bucket.rate == 15  # back to the published rate, never above
    for _ in range(100):
        client.meta.events.emit(
            "response-received", event_name="x.lambda.GetPolicy", parsed_response=throttled
        )
    assert policy.bucket.rate == pytest.approx(15 * pacing.FLOOR)


def test_limiter_waits_for_a_token_before_sending() -> None:
    limiter = pacing.Limiter()
    client = _Client("lambda")
    limiter.attach(client, "111111111111", "us-east-1")
    for _ in range(15):  # the burst goes at once
        client.meta.events.emit("before-send", event_name="before-send.lambda.GetPolicy")
    assert limiter.waited == 0.0
    client.meta.events.emit("before-send", event_name="before-send.lambda.GetPolicy")
    assert limiter.waited > 0.0
    # IAM is paced per account, whatever region its client names
    iam = limiter.bucket("111111111111", "us-east-1", "iam", "ListRoles")
    assert iam is limiter.bucket("111111111111", "eu-west-1", "iam", "ListRoles")
