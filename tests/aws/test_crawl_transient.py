"""The crawler when assuming a role or a per-function read fails transiently (the rule: transient.py).

Same scripted AWS as test_crawl_resilience.py; assuming is scripted by wrapping ``access.assume``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import botocore.exceptions
import botocore.parsers
import pytest

from reporter.aws import crawl as crawl_module
from reporter.aws import transient
from reporter.aws.crawl import crawl
from reporter.aws.session import AccountCredentials, AwsAccess
from reporter.collectors import lambda_
from reporter.settings import Settings
from tests.aws.test_crawl_resilience import (
    REGIONS,
    A,
    Answer,
    B,
    C,
    FakeAws,
    Request,
    _access,
    _targets,
    _unit_rows,
    fast_retries,
    lambda_world,
)

__all__ = ["fast_retries"]  # a fixture, used by name


# --- assuming a role, and per-function reads, under transient failures -------------------------


def _failing_assume(
    access: AwsAccess, monkeypatch: pytest.MonkeyPatch, failures: dict[str, list[BaseException]]
) -> Counter[str]:
    """``access.assume`` raising each account's ``failures`` in turn, then assuming; counts attempts."""
    attempts: Counter[str] = Counter()
    assume = access.assume

    def flaky(account_id: str, **kwargs: Any) -> AccountCredentials:
        attempts[account_id] += 1
        pending = failures.get(account_id) or []
        if pending:
            raise pending.pop(0)
        return assume(account_id, **kwargs)

    monkeypatch.setattr(access, "assume", flaky)
    monkeypatch.setattr(transient, "backoff", lambda attempt: 0.0)
    return attempts


def _answer_error(code: str, status: int, body: Any = None) -> botocore.exceptions.ClientError:
    error = {"Code": code, "Message": body or code}
    response: Any = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}
    return botocore.exceptions.ClientError(response, "AssumeRole")


def test_a_transient_assume_failure_is_retried_and_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    access = _access(FakeAws(lambda_world), monkeypatch)
    unparsed = botocore.parsers.ResponseParserError("Unable to parse response, invalid XML received")
    attempts = _failing_assume(access, monkeypatch, {A: [unparsed], B: [_answer_error("503", 503)]})
    result = crawl(access, _targets(A, B), Settings(workers=4, unit_attempts=2), [lambda_.COLLECTOR])

    assert attempts == Counter({A: 2, B: 2})
    assert {(r["status"], r["error_code"]) for r in result.coverage} == {("ok", None)}
    assert len(result.records["functions"]) == 2 * 3 * len(REGIONS)


def test_access_denied_on_assume_is_the_accounts_error_after_one_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    access = _access(FakeAws(lambda_world), monkeypatch)
    denied = _answer_error("AccessDenied", 403, "not authorized to perform: sts:AssumeRole")
    throttled: list[BaseException] = [_answer_error("Throttling", 400) for _ in range(5)]
    attempts = _failing_assume(access, monkeypatch, {A: [denied], B: throttled})
    result = crawl(access, _targets(A, B, C), Settings(workers=4, unit_attempts=3), [lambda_.COLLECTOR])

    assert attempts == Counter({A: 1, B: 3, C: 1})
    rows = {r["account_id"]: r for r in result.coverage if r["collector"] == "assume"}
    assert sorted(rows) == [A, B]
    assert (rows[A]["status"], rows[A]["error_code"]) == ("error", "AccessDenied")
    assert "attempts" not in rows[A]["message"]  # one attempt goes unsaid
    assert (rows[B]["error_code"], rows[B]["message"][-18:]) == ("Throttling", "(after 3 attempts)")
    for row in rows.values():
        assert row["tables"] == sorted(lambda_.COLLECTOR.tables)
    # neither account's data is present, C's is whole
    assert {r["account_id"] for r in result.records["functions"]} == {C}
    assert {r["account_id"] for r in _unit_rows(result)} == {C}


def test_a_per_function_read_that_spent_its_retries_reads_the_unit_again(
    monkeypatch: pytest.MonkeyPatch, fast_retries: None
) -> None:
    failed: Counter[str] = Counter()

    def script(request: Request) -> Answer:
        # fn-1's policy: a 5xx on both requests of the unit's first reading
        if request.operation == "GetPolicy" and request.path.endswith("/fn-1/policy"):
            failed[request.region] += 1
            if failed[request.region] <= 2:
                return Answer(status=503, error="ServiceException")
        return lambda_world(request)

    monkeypatch.setattr(crawl_module, "backoff", lambda attempt: 0.0)
    fake = FakeAws(script)
    result = crawl(_access(fake, monkeypatch), _targets(A), Settings(workers=2), [lambda_.COLLECTOR])

    assert {(r["status"], r["error_code"]) for r in result.coverage} == {("ok", None)}
    assert len(result.records["function_policies"]) == 3 * len(REGIONS)
    # the listing is kept across the unit's attempts: only the chunk holding fn-1 is read again
    assert len(fake.calls("ListFunctions")) == 2 * len(REGIONS)
    assert len(fake.calls("GetFunction")) == 2 * 3 * len(REGIONS)
