"""Fan-out of units of work over a thread pool, with a coverage row for every unit.

A unit is (account, region, collector); global collectors run once per account with region
"global". Every unit ends with its records *and* an ok coverage row, or with an error coverage
row and no records at all: a result that broke half-way is never presented as complete.

Scheduling: units are interleaved across account-regions (Lambda, the largest, first) and at
most ``PER_KEY_LIMIT`` units of one account-region run at once, so one big account neither
serializes the run nor makes the crawler throttle itself.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from reporter.aws.discover import Account, Targets
from reporter.aws.session import HOME_REGIONS, AccountCredentials, AwsAccess
from reporter.collectors.base import Collector, CollectResult, UnitContext, error_code, error_message
from reporter.inventory import GLOBAL_REGION
from reporter.settings import Settings

PER_KEY_LIMIT = 2
"""Units of one (account, region) allowed to run at the same time."""

RETRYABLE = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "ConnectionError",
        "Timeout",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }
)
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})


def _retryable(code: str) -> bool:
    return code in RETRYABLE or code.startswith("HTTP5")


@dataclass(frozen=True)
class Unit:
    account_id: str
    region: str
    collector: Collector

    @property
    def key(self) -> tuple[str, str]:
        return (self.account_id, self.region)

    @property
    def label(self) -> str:
        return f"{self.account_id}/{self.region}/{self.collector.name}"


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, unit: Unit, ok: bool) -> None: ...
    def finish(self) -> None: ...


@dataclass
class CrawlResult:
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    coverage: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        self.records.setdefault(table, []).extend(rows)


def coverage_row(
    account_id: str,
    region: str,
    collector: str,
    tables: Sequence[str],
    status: str,
    *,
    error_code: str | None = None,
    message: str | None = None,
    resource_arn: str | None = None,
    api_calls: int = 0,
    seconds: float = 0.0,
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "region": region,
        "collector": collector,
        "tables": list(tables),
        "resource_arn": resource_arn,
        "status": status,
        "error_code": error_code,
        "message": message,
        "api_calls": api_calls,
        "seconds": round(seconds, 3),
    }


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def inc(self) -> None:
        self.n += 1  # one unit's calls run on one thread at a time


def crawl(
    access: AwsAccess,
    targets: Targets,
    settings: Settings,
    collectors: Sequence[Collector],
    progress: Progress | None = None,
) -> CrawlResult:
    result = CrawlResult()
    result.extend("accounts", (a.record() for a in targets.accounts))
    all_tables = sorted({t for c in collectors for t in c.tables})
    crawlable = [a for a in targets.accounts if a.crawlable]
    for acct in targets.accounts:
        if not acct.crawlable:
            result.coverage.append(
                coverage_row(
                    acct.account_id,
                    GLOBAL_REGION,
                    "discover",
                    [],
                    "skipped",
                    message=f"account status is {acct.status}; not crawled",
                )
            )
    with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="crawl") as pool:
        creds = _assume_all(access, targets, settings, crawlable, pool, result, all_tables)
        units = _plan(creds, targets.regions, collectors)
        if progress:
            progress.start(len(units))
        _run_units(access, targets, settings, units, creds, pool, result, progress)
    if progress:
        progress.finish()
    return result


def _assume_all(
    access: AwsAccess,
    targets: Targets,
    settings: Settings,
    accounts: Sequence[Account],
    pool: ThreadPoolExecutor,
    result: CrawlResult,
    all_tables: list[str],
) -> dict[str, AccountCredentials]:
    def one(acct: Account) -> AccountCredentials:
        try:
            return access.assume(
                acct.account_id,
                role_name=settings.role_name,
                external_id=settings.external_id,
                partition=targets.partition,
            )
        except Exception:
            # The management account may lack the role: read it as the starting identity.
            if acct.account_id == targets.caller_account:
                return access.starting_credentials(acct.account_id)
            raise

    futures = {pool.submit(one, a): a for a in accounts}
    creds: dict[str, AccountCredentials] = {}
    for fut, acct in futures.items():
        started = time.monotonic()
        try:
            creds[acct.account_id] = fut.result()
        except Exception as exc:
            result.coverage.append(
                coverage_row(
                    acct.account_id,
                    GLOBAL_REGION,
                    "assume",
                    all_tables,
                    "error",
                    error_code=error_code(exc),
                    message=f"cannot assume {settings.role_name}: {error_message(exc)}",
                    seconds=time.monotonic() - started,
                )
            )
    return creds


def _plan(
    creds: dict[str, AccountCredentials], regions: Sequence[str], collectors: Sequence[Collector]
) -> list[Unit]:
    """Round-robin over account-regions, biggest collectors first (Lambda makes most calls)."""
    weight = {"lambda": 0}
    ordered = sorted(collectors, key=lambda c: (weight.get(c.name, 1), c.name))
    units: list[Unit] = []
    for collector in ordered:
        scopes = [GLOBAL_REGION] if collector.scope == "global" else list(regions)
        for region in scopes:
            units.extend(Unit(account_id, region, collector) for account_id in sorted(creds))
    return units


def _run_units(
    access: AwsAccess,
    targets: Targets,
    settings: Settings,
    units: list[Unit],
    creds: dict[str, AccountCredentials],
    pool: ThreadPoolExecutor,
    result: CrawlResult,
    progress: Progress | None,
) -> None:
    pending: deque[Unit] = deque(units)
    running: dict[Future[tuple[CollectResult | None, dict[str, Any]]], tuple[Unit, float]] = {}
    per_key: dict[tuple[str, str], int] = {}
    home = HOME_REGIONS.get(targets.partition, "us-east-1")

    def launch() -> None:
        skipped: list[Unit] = []
        while pending and len(running) < settings.workers:
            unit = pending.popleft()
            if per_key.get(unit.key, 0) >= PER_KEY_LIMIT:
                skipped.append(unit)
                continue
            per_key[unit.key] = per_key.get(unit.key, 0) + 1
            fut = pool.submit(_run_unit, access, unit, creds[unit.account_id], settings, home)
            running[fut] = (unit, time.monotonic())
        pending.extendleft(reversed(skipped))

    def record(unit: Unit, collected: CollectResult | None, row: dict[str, Any]) -> None:
        per_key[unit.key] -= 1
        result.coverage.append(row)
        if collected is not None:
            for table, rows in collected.records.items():
                result.extend(table, rows)
            for issue in collected.issues:
                result.coverage.append(
                    coverage_row(
                        unit.account_id,
                        unit.region,
                        unit.collector.name,
                        issue.tables,
                        "error",
                        error_code=issue.error_code,
                        message=issue.message,
                        resource_arn=issue.resource_arn,
                    )
                )
        if progress:
            progress.advance(unit, row["status"] == "ok")

    launch()
    while running:
        done, _ = wait(list(running), timeout=1.0, return_when=FIRST_COMPLETED)
        for fut in done:
            unit, _started = running.pop(fut)
            collected, row = fut.result()
            record(unit, collected, row)
        now = time.monotonic()
        for fut, (unit, started) in list(running.items()):
            if now - started > settings.unit_timeout_s:
                # The thread cannot be killed; its late result is dropped, never half-used.
                fut.cancel()
                running.pop(fut)
                record(
                    unit,
                    None,
                    coverage_row(
                        unit.account_id,
                        unit.region,
                        unit.collector.name,
                        unit.collector.tables,
                        "error",
                        error_code="Timeout",
                        message=f"unit did not finish within {settings.unit_timeout_s:.0f} s",
                        seconds=now - started,
                    ),
                )
        launch()


def _run_unit(
    access: AwsAccess, unit: Unit, creds: AccountCredentials, settings: Settings, home: str
) -> tuple[CollectResult | None, dict[str, Any]]:
    """Collect one unit with bounded retries; never raises."""
    counter = _Counter()
    started = time.monotonic()
    client_region = home if unit.region == GLOBAL_REGION else unit.region
    attempts = max(1, settings.unit_attempts)
    code, message = "", ""
    for attempt in range(1, attempts + 1):
        clients: dict[str, Any] = {}

        def client(service: str, _clients: dict[str, Any] = clients) -> Any:
            if service not in _clients:
                _clients[service] = access.client(service, client_region, creds, on_call=counter.inc)
            return _clients[service]

        ctx = UnitContext(account_id=unit.account_id, region=unit.region, client=client)
        try:
            collected = unit.collector.collect(ctx)
        except Exception as exc:
            code, message = error_code(exc), error_message(exc)
            if code in EXPIRED:
                creds.force_refresh()
            elif not _retryable(code):
                break
            if attempt < attempts:
                time.sleep(_backoff(attempt))
            continue
        return collected, coverage_row(
            unit.account_id,
            unit.region,
            unit.collector.name,
            unit.collector.tables,
            "ok",
            api_calls=counter.n,
            seconds=time.monotonic() - started,
        )
    if attempts > 1 and (_retryable(code) or code in EXPIRED):
        message = f"{message} (after {attempts} attempts)"
    return None, coverage_row(
        unit.account_id,
        unit.region,
        unit.collector.name,
        unit.collector.tables,
        "error",
        error_code=code,
        message=message,
        api_calls=counter.n,
        seconds=time.monotonic() - started,
    )


def _backoff(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Full jitter, capped: the clients' own adaptive retries already absorbed short bursts."""
    return float(min(10.0, 0.5 * 2**attempt) * rng())
