"""Fan-out of units of work over a thread pool, with a coverage row for every unit.

A unit is (account, region, collector); global collectors run once per account with region
"global". Every unit ends with its records *and* an ok coverage row, or with an error coverage
row and no records at all: a result that broke half-way (a listing whose second page failed, a
dropped connection mid-pagination) is never presented as complete.

Resilience, from the innermost layer out:

- each request: botocore's standard retries (8 attempts, jittered exponential backoff) of the
  failures transient.py calls transient (throttling, 429, 5xx, dropped connections, answers
  that cannot be read); throttling also slows that API's own bucket (pacing.py);
- assuming a role: up to ``Settings.unit_attempts`` attempts while the failure is transient;
- each unit: up to ``Settings.unit_attempts`` attempts with fresh clients when the failure is
  transient, or when a per-function read kept a transient failure as an Issue; ``ExpiredToken``
  (which botocore does not retry: the clients hold frozen keys) refreshes the account's
  credentials once and re-runs the unit with clients built from them, also when a collector met
  it on a per-function call and kept it as an Issue;
- each unit is given up after ``Settings.unit_timeout_s`` plus the collector's time per item it
  announced (a region's listed functions): its coverage row says Timeout, its late result is
  dropped, and its next request raises so its thread stops;
- resumable collectors (Lambda) keep completed chunks in the unit's ``UnitProgress``: a retry
  re-reads only the missing ones, and a unit given up on (timeout, attempts spent) still
  delivers its completed chunks, with a row saying how many functions were read and an Issue
  per unjudged function (its verdicts become errors).

Pacing: every unit client waits for a token of its API's own bucket (pacing.py, AWS's published
quotas, adapting to throttling) before it takes an in-flight slot; botocore's standard retry
mode, not adaptive, so one throttled API does not slow a client's other APIs.

Throughput: see schedule.py (largest first, per-account-region limit, in-flight gate of
``Settings.workers`` requests over a larger pool of threads). A unit's clients are built from
client classes and service models made once per service (client_cache.py), and the collector
runs with fewer cyclic-garbage collections (gc_tuning.py, applied by acquire.py): on the
2-core machine where the crawl benchmark runs, both were CPU the crawler spent with the
interpreter lock held while answers waited to be read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import botocore.config
import botocore.exceptions

from reporter.aws import aggregator
from reporter.aws.coverage import coverage_row, discovery_rows, salvaged
from reporter.aws.discover import Account, Targets
from reporter.aws.pacing import Limiter
from reporter.aws.regions import enabled_regions
from reporter.aws.schedule import Gate, Scheduler, Unit, plan, run_scheduled
from reporter.aws.session import HOME_REGIONS, AccountCredentials, AwsAccess
from reporter.aws.transient import EXPIRED, Attempts, backoff, is_transient, is_transient_code
from reporter.collectors.base import (
    Collector,
    CollectResult,
    UnitContext,
    UnitProgress,
    error_code,
    error_message,
)
from reporter.inventory import GLOBAL_REGION
from reporter.settings import Settings

__all__ = ["CrawlResult", "Progress", "Unit", "coverage_row", "crawl"]

PER_KEY_LIMIT = 2
"""Units of one (account, region) allowed to run at the same time."""
THREADS_PER_WORKER = 4
"""Pool threads per in-flight request slot: threads waiting for their client's pace or in a
retry backoff hold no slot, so others can use it (bounded by MAX_THREADS)."""
MAX_THREADS = 512
CALL_ATTEMPTS = 8
"""botocore attempts per request (the first try included)."""


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


class _Counter:
    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()

    def inc(self) -> None:
        # a collector may spread one unit's calls over a few threads
        with self._lock:
            self.n += 1


@dataclass
class _Run:
    """What every unit of one crawl shares."""

    access: AwsAccess
    settings: Settings
    home: str
    partition: str
    gate: Gate
    config: botocore.config.Config
    limiter: Limiter


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
        result.coverage.extend(discovery_rows(acct))
    run = _Run(
        access=access,
        settings=settings,
        home=HOME_REGIONS.get(targets.partition, "us-east-1"),
        partition=targets.partition,
        gate=Gate(settings.workers),
        limiter=Limiter(),
        config=access.config.merge(
            botocore.config.Config(retries={"mode": "standard", "total_max_attempts": CALL_ATTEMPTS})
        ),
    )
    threads = min(MAX_THREADS, settings.workers * THREADS_PER_WORKER)
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="crawl")
    abandoned = False
    try:
        creds = _assume_all(run, targets, crawlable, pool, result, all_tables)
        gated = run.gate.hold
        enabled = enabled_regions(
            access, gated, run.home, run.config, targets.regions, creds, pool, result.coverage
        )
        units = [
            u
            for u in plan(list(creds), targets.regions, collectors)
            if u.region == GLOBAL_REGION or u.region in enabled[u.account_id]
        ]
        # compliance an organization aggregator holds replaces those account-regions' units
        probe = [run.home, *sorted(enabled.get(targets.caller_account, ()))]
        agg = aggregator.read(access, targets.caller_account, list(dict.fromkeys(probe)), units, run.config)
        units = [u for u in units if not agg.covers(u)]
        if progress:
            progress.start(len(units))
        abandoned = _run_units(run, units, creds, pool, threads, result, progress)
        agg.finish(result.records, result.coverage)  # its details, for the rules config_rules scopes
    finally:
        # Units given up on (timeout) stop at their next request; do not wait for them here.
        pool.shutdown(wait=not abandoned, cancel_futures=True)
    if progress:
        progress.finish()
    return result


def _assume_all(
    run: _Run,
    targets: Targets,
    accounts: Sequence[Account],
    pool: ThreadPoolExecutor,
    result: CrawlResult,
    all_tables: list[str],
) -> dict[str, AccountCredentials]:
    settings = run.settings

    def one(acct: Account, tries: Attempts) -> AccountCredentials:
        def attempt() -> AccountCredentials:
            with run.gate.hold():  # per attempt: a thread waiting out its backoff holds no slot
                return run.access.assume(
                    acct.account_id,
                    role_name=settings.role_name,
                    external_id=settings.external_id,
                    partition=targets.partition,
                )

        try:
            return tries.run(attempt)
        except Exception:
            # The management account may lack the role: read it as the starting identity.
            if acct.account_id == targets.caller_account:
                return run.access.starting_credentials(acct.account_id)
            raise

    tried = {a.account_id: Attempts(settings.unit_attempts) for a in accounts}
    futures = {pool.submit(one, a, tried[a.account_id]): (a, time.monotonic()) for a in accounts}
    creds: dict[str, AccountCredentials] = {}
    for fut, (acct, started) in futures.items():
        try:
            creds[acct.account_id] = fut.result()
        except Exception as exc:
            message = f"cannot assume {settings.role_name}: {error_message(exc)}"
            made = tried[acct.account_id].made
            result.coverage.append(
                coverage_row(
                    acct.account_id,
                    GLOBAL_REGION,
                    "assume",
                    all_tables,
                    "error",
                    error_code=error_code(exc),
                    # one attempt goes unsaid: the message is part of the findings' reasons
                    message=f"{message} (after {made} attempts)" if made > 1 else message,
                    seconds=time.monotonic() - started,
                )
            )
    return creds


def _run_units(
    run: _Run,
    units: list[Unit],
    creds: dict[str, AccountCredentials],
    pool: ThreadPoolExecutor,
    threads: int,
    result: CrawlResult,
    progress: Progress | None,
) -> bool:
    """Run every unit; True when some were given up on and may still hold a thread."""

    def record(unit: Unit, collected: CollectResult | None, row: dict[str, Any]) -> None:
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

    if run.settings.executor != "local":
        # Dask is optional: imported only when asked for (preflight checked it is installed)
        from reporter.aws.dask_exec import run_on_dask

        run_on_dask(run, units, creds, record)
        return False
    return run_here(run, units, creds, pool, threads, record)


def run_here(
    run: _Run,
    units: list[Unit],
    creds: dict[str, AccountCredentials],
    pool: ThreadPoolExecutor,
    threads: int,
    record: Callable[[Unit, CollectResult | None, dict[str, Any]], None],
) -> bool:
    """Run ``units`` on ``pool`` in this process (a local crawl, or one task on a Dask worker),
    handing each unit's outcome to ``record``; True when some were given up on."""
    timeout = run.settings.unit_timeout_s
    progresses = {unit: UnitProgress() for unit in units}

    def timed_out(unit: Unit, seconds: float) -> None:
        allowed = timeout + extra(unit)
        row = coverage_row(
            unit.account_id,
            unit.region,
            unit.collector.name,
            unit.collector.tables,
            "error",
            error_code="Timeout",
            message=f"unit did not finish within {allowed:.0f} s",
            seconds=seconds,
        )
        record(unit, *salvaged(progresses[unit], row))

    def extra(unit: Unit) -> float:
        return progresses[unit].expected * unit.collector.seconds_per_item

    return run_scheduled(
        Scheduler(units, PER_KEY_LIMIT),
        pool,
        threads,
        timeout,
        lambda unit, cancelled: pool.submit(
            _run_unit, run, unit, creds[unit.account_id], cancelled, progresses[unit]
        ),
        lambda unit, outcome: record(unit, *outcome),
        timed_out,
        extra,
    )


def _run_unit(
    run: _Run, unit: Unit, creds: AccountCredentials, cancelled: threading.Event, progress: UnitProgress
) -> tuple[CollectResult | None, dict[str, Any]]:
    """Collect one unit with bounded retries; never raises."""
    counter = _Counter()
    started = time.monotonic()
    client_region = run.home if unit.region == GLOBAL_REGION else unit.region
    attempts = max(1, run.settings.unit_attempts)
    refreshed = False
    code, message = "", ""
    attempt = 0
    while attempt < attempts and not cancelled.is_set():
        attempt += 1
        generation = creds.generation
        try:
            context = _context(run, unit, creds, client_region, counter, cancelled)
            context.progress = progress
            collected = unit.collector.collect(context)
        except Exception as exc:
            code, message = error_code(exc), error_message(exc)
            if code in EXPIRED and not refreshed:
                # Refreshing is the remedy, not waiting: this attempt does not count.
                refreshed, attempt = True, attempt - 1
                failure = _refresh(creds, generation)
                if failure is None:
                    continue
                message = f"{message}; refreshing the credentials failed: {failure}"
                break
            if not is_transient(exc, code) or attempt >= attempts:
                break
            cancelled.wait(backoff(attempt))
            continue
        finally:
            run.gate.release_held()
        expired = next((i for i in collected.issues if i.error_code in EXPIRED), None)
        if expired is not None and not refreshed:
            # A per-function call met the expiry: those rows are missing, so read the unit again.
            refreshed = True
            if _refresh(creds, generation) is None:
                attempt -= 1
                continue
            # refreshing failed: keep this reading, its Issues already mark the missing rows
        transient = next((i for i in collected.issues if is_transient_code(i.error_code)), None)
        if transient is not None and attempt < attempts and not cancelled.is_set():
            # a per-function read failed all its requests' retries: its rows would be unread
            code, message = transient.error_code, transient.message
            cancelled.wait(backoff(attempt))
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
    if attempt > 1 and is_transient_code(code):
        message = f"{message} (after {attempt} attempts)"
    if cancelled.is_set():  # given up on by the crawler, which has recorded the unit already
        return None, coverage_row(unit.account_id, unit.region, unit.collector.name, [], "error")
    return salvaged(
        progress,
        coverage_row(
            unit.account_id,
            unit.region,
            unit.collector.name,
            unit.collector.tables,
            "error",
            error_code=code or "Cancelled",
            message=message or "the crawler gave up on this unit",
            api_calls=counter.n,
            seconds=time.monotonic() - started,
        ),
    )


def _refresh(creds: AccountCredentials, generation: int) -> str | None:
    """Refresh the account's credentials (unless another unit already did); None, or why it failed."""
    try:
        creds.force_refresh(generation)
    except Exception as exc:
        return f"{error_code(exc)}: {error_message(exc)}"
    return None


def _context(
    run: _Run,
    unit: Unit,
    creds: AccountCredentials,
    region: str,
    counter: _Counter,
    cancelled: threading.Event,
) -> UnitContext:
    """A UnitContext whose clients are built once per attempt, from the current credentials."""
    clients: dict[str, Any] = {}
    lock = threading.Lock()

    def client(service: str) -> Any:
        with lock:
            if service not in clients:
                made = run.access.client(service, region, creds, on_call=counter.inc, config=run.config)
                # pacing first: a request waiting for its API's token holds no in-flight slot
                run.limiter.attach(made, unit.account_id, region, cancelled)
                run.gate.attach(made, cancelled)
                clients[service] = made
            return clients[service]

    return UnitContext(account_id=unit.account_id, region=unit.region, client=client, partition=run.partition)
