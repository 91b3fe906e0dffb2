"""The worker side of the Dask executor (dask_exec.py): one crawl unit as one Dask task.

A worker process keeps, per crawl, a per-API limiter and an in-flight gate shared by its tasks,
a session per starting identity (the driver's handed-over keys, or its own credential chain) and
the roles it assumed with it; a task runs the unit through :func:`reporter.aws.crawl.run_here`,
the local crawl's own path, and returns its rows as Arrow IPC streams.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import botocore.config
import pyarrow as pa
from distributed import get_client

from reporter.aws.coverage import coverage_row
from reporter.aws.crawl import CALL_ATTEMPTS, _Run, run_here
from reporter.aws.guard import CallMonitor
from reporter.aws.pacing import Limiter
from reporter.aws.schedule import Gate, Unit
from reporter.aws.session import AccountCredentials, AwsAccess
from reporter.aws.transient import Attempts
from reporter.collectors.base import CollectResult, Issue, error_code, error_message
from reporter.inventory import SCHEMAS
from reporter.settings import Settings

__all__ = ["Handover", "Job", "TaskOutcome", "Ticket", "failed_row", "unit_task"]

KEPT_RUNS = 8
"""Runs whose worker state (sessions, limiters, assumed roles) a worker process keeps."""


@dataclass(frozen=True)
class Handover:
    """The driver's starting credentials for one task; never printed."""

    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    token: str | None = field(repr=False, default=None)


@dataclass(frozen=True)
class Ticket:
    """How the worker enters the unit's account."""

    use_starting_identity: bool
    """The driver read this account as the starting identity (its role could not be assumed)."""
    handover: Handover | None


@dataclass(frozen=True)
class Job:
    """What every task of one crawl shares."""

    token: str
    settings: Settings
    home: str
    partition: str
    endpoint_url: str | None
    gate_limit: int


@dataclass
class TaskOutcome:
    tables: dict[str, bytes]
    """Arrow IPC stream per table; empty (and ``collected`` False) when the unit has no result."""
    issues: list[Issue]
    row: dict[str, Any]
    collected: bool
    calls: Counter[tuple[str, str]]
    refused: Counter[tuple[str, str]]


def failed_row(unit: Unit, code: str, message: str) -> dict[str, Any]:
    """The unit's error row when it produced no outcome of its own."""
    c = unit.collector
    return coverage_row(
        unit.account_id, unit.region, c.name, c.tables, "error", error_code=code, message=message
    )


class _WorkerRun:
    """One crawl's state in one worker process: limiter and gate shared by its tasks, and per
    starting identity a session and the roles assumed with it."""

    def __init__(self, job: Job) -> None:
        self.limiter = Limiter()
        self.gate = Gate(job.gate_limit)
        self.lock = threading.Lock()
        self.access: dict[str, AwsAccess] = {}
        self.accounts: dict[tuple[str, str], AccountCredentials] = {}
        self.account_locks: dict[tuple[str, str], threading.Lock] = {}


_RUNS: OrderedDict[str, _WorkerRun] = OrderedDict()
_RUNS_LOCK = threading.Lock()


def _worker_run(job: Job) -> _WorkerRun:
    with _RUNS_LOCK:
        state = _RUNS.get(job.token)
        if state is None:
            state = _RUNS[job.token] = _WorkerRun(job)
            while len(_RUNS) > KEPT_RUNS:
                _RUNS.popitem(last=False)
        return state


def _access(state: _WorkerRun, job: Job, handover: Handover | None) -> tuple[str, AwsAccess]:
    """The session for the task's starting identity (a new one when the driver's keys changed)."""
    ident = handover.access_key if handover else "chain"
    with state.lock:
        if ident not in state.access:
            workers = job.settings.workers
            if handover is None:
                made = AwsAccess.create(
                    profile=job.settings.profile, endpoint_url=job.endpoint_url, workers=workers
                )
            else:
                session = boto3.Session(
                    aws_access_key_id=handover.access_key,
                    aws_secret_access_key=handover.secret_key,
                    aws_session_token=handover.token,
                    region_name=job.home,
                )
                made = AwsAccess.from_session(session, endpoint_url=job.endpoint_url, workers=workers)
            state.access = {ident: made}  # older keys are superseded: their roles are assumed again
            state.accounts = {k: v for k, v in state.accounts.items() if k[0] == ident}
        return ident, state.access[ident]


def _account(
    state: _WorkerRun, job: Job, ident: str, access: AwsAccess, unit: Unit, ticket: Ticket
) -> AccountCredentials:
    key = (ident, unit.account_id)
    with state.lock:
        lock = state.account_locks.setdefault(key, threading.Lock())
    with lock:  # the account's units on this worker assume its role once
        if key not in state.accounts:
            if ticket.use_starting_identity:
                state.accounts[key] = access.starting_credentials(unit.account_id)
            else:
                settings = job.settings

                def attempt() -> AccountCredentials:
                    with state.gate.hold():  # as the driver's assume: a slot per attempt, not per backoff
                        return access.assume(
                            unit.account_id,
                            role_name=settings.role_name,
                            external_id=settings.external_id,
                            partition=job.partition,
                        )

                state.accounts[key] = Attempts(settings.unit_attempts).run(attempt)
        return state.accounts[key]


def unit_task(job: Job, unit: Unit, ticket: Ticket) -> TaskOutcome:
    """One unit on a worker: the local crawl's unit path, with this worker's session."""
    earlier = _count_start(job.token, unit)
    state = _worker_run(job)
    monitor = CallMonitor()  # this task's calls, returned to the driver's monitor
    outcomes: list[tuple[CollectResult | None, dict[str, Any]]] = []
    try:
        ident, shared = _access(state, job, ticket.handover)
        access = replace(shared, monitor=monitor)
        creds = _account(state, job, ident, access, unit, ticket)
    except Exception as exc:
        message = f"cannot assume {job.settings.role_name} on the Dask worker: {error_message(exc)}"
        outcomes.append((None, failed_row(unit, error_code(exc), message)))
    else:
        config = access.config.merge(
            botocore.config.Config(retries={"mode": "standard", "total_max_attempts": CALL_ATTEMPTS})
        )
        run = _Run(access, job.settings, job.home, job.partition, state.gate, config, state.limiter)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unit")
        abandoned = True
        try:
            abandoned = run_here(
                run, [unit], {unit.account_id: creds}, pool, 1, lambda _u, c, r: outcomes.append((c, r))
            )
        finally:
            # a unit given up on (timeout) stops at its next request; do not wait for it
            pool.shutdown(wait=not abandoned, cancel_futures=True)
    collected, row = outcomes[0]
    if earlier:
        note = f"retried on another Dask worker after {earlier} lost attempt(s)"
        row = {**row, "message": f"{row['message']}; {note}" if row["message"] else note}
    tables = {t: _to_ipc(t, rows) for t, rows in collected.records.items()} if collected else {}
    return TaskOutcome(
        tables=tables,
        issues=list(collected.issues) if collected else [],
        row=row,
        collected=collected is not None,
        calls=Counter(monitor.calls),
        refused=Counter(monitor.refused),
    )


def _count_start(token: str, unit: Unit) -> int:
    """How many times this unit started before (on workers that died); kept by the scheduler."""
    client = get_client()
    key = ["reporter", token, unit.label]
    earlier = int(client.get_metadata(key, default=0) or 0)
    client.set_metadata(key, earlier + 1)
    return earlier


def _to_ipc(table: str, rows: list[dict[str, Any]]) -> bytes:
    """Rows as an Arrow IPC stream under the inventory's schema (what Inventory.from_records applies)."""
    names = set(SCHEMAS[table].names)
    for row in rows:
        if extra := set(row) - names:  # the check inventory.frame makes: a column nobody declared
            raise KeyError(f"{table}: unknown columns {sorted(extra)}")
    arrow = pa.Table.from_pylist(rows, schema=SCHEMAS[table])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return bytes(sink.getvalue().to_pybytes())
