"""Resumable regions: a retry re-reads only the chunks it lacks; a unit given up on keeps its
completed chunks, and says exactly how many functions it read and which ones are unjudged."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

import pytest

from reporter.aws.crawl import crawl
from reporter.collectors import lambda_
from reporter.settings import Settings
from tests.aws.test_crawl_resilience import (
    REGIONS,
    A,
    Answer,
    FakeAws,
    Request,
    _access,
    _targets,
    fast_retries,  # noqa: F401  (fixture)
    lambda_world,
)

REGION = REGIONS[0]


def _index(request: Request) -> int | None:
    """The listed position of the function a per-function request names."""
    tail = request.path.rsplit("/functions/", 1)[-1].split("/")[0]
    return int(tail.removeprefix("fn-")) if tail.startswith("fn-") else None


def test_connection_killed_after_chunk_k_rereads_only_the_missing_chunk(
    monkeypatch: pytest.MonkeyPatch,
    fast_retries: None,  # noqa: F811
) -> None:
    count, k = lambda_.CHUNK * 4, 2
    broken = range(k * lambda_.CHUNK, (k + 1) * lambda_.CHUNK)
    first_attempt_over = threading.Event()

    def script(request: Request) -> Answer:
        if request.operation == "GetAccountSettings":
            first_attempt_over.set()
        index = _index(request)
        if index in broken and not first_attempt_over.is_set():
            return Answer(drop=True)  # the connection dies on every attempt at chunk k's functions
        return lambda_world(request, per_page=lambda_.CHUNK, count=count)

    fake = FakeAws(script)
    settings = Settings(workers=4, regions=(REGION,), unit_attempts=2)
    result = crawl(
        _access(fake, monkeypatch), replace(_targets(A), regions=(REGION,)), settings, [lambda_.COLLECTOR]
    )

    assert [(r["status"], r["error_code"]) for r in result.coverage] == [("ok", None)]
    names = Counter(r["name"] for r in result.records["functions"])
    assert names == Counter({f"fn-{i}": 1 for i in range(count)})  # every function exactly once
    assert len(result.records["function_policies"]) == count
    # the listing was read once; only chunk k's functions were read again
    assert len(fake.calls("ListFunctions")) == 4
    reads = Counter(_index(r) for r in fake.calls("GetFunction"))
    assert {i for i, n in reads.items() if n != 1} == set(broken)
    # dropped on each request attempt (botocore's retry quota may cut them short), then read once
    assert {reads[i] for i in broken} <= {2, 3}


def test_a_unit_given_up_on_keeps_its_completed_chunks_and_names_the_unjudged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count = lambda_.CHUNK * 2
    hang = threading.Event()

    def script(request: Request) -> Answer:
        if _index(request) == lambda_.CHUNK:
            hang.wait(timeout=60)  # chunk 1 never finishes while the crawler waits
        return lambda_world(request, per_page=50, count=count)

    fake = FakeAws(script)
    collector = replace(lambda_.COLLECTOR, seconds_per_item=0.0)
    settings = Settings(workers=4, regions=(REGION,), unit_timeout_s=8)
    try:
        result = crawl(
            _access(fake, monkeypatch), replace(_targets(A), regions=(REGION,)), settings, [collector]
        )
    finally:
        hang.set()

    (unit,) = [r for r in result.coverage if r["resource_arn"] is None]
    assert (unit["status"], unit["error_code"]) == ("error", "Timeout")
    assert unit["tables"] == ["account_concurrency"]
    assert f"read {lambda_.CHUNK} of {count} listed functions; {lambda_.CHUNK} unjudged" in unit["message"]
    read = [r["name"] for r in result.records["functions"]]
    assert read == [f"fn-{i}" for i in range(lambda_.CHUNK)]
    unjudged = [r for r in result.coverage if r["resource_arn"] is not None]
    assert sorted(r["resource_arn"].rsplit(":", 1)[1] for r in unjudged) == sorted(
        f"fn-{i}" for i in range(lambda_.CHUNK, count)
    )
    assert {(r["status"], r["error_code"]) for r in unjudged} == {("error", "Unread")}
    assert all(set(r["tables"]) == set(lambda_.FUNCTION_TABLES) for r in unjudged)
    # nothing counted twice: read and unjudged functions are disjoint and cover the listing
    assert not set(read) & {r["resource_arn"].rsplit(":", 1)[1] for r in unjudged}
