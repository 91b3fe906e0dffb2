"""The crawl's units as Dask tasks (``--executor dask-local[:N]`` or ``dask://HOST:PORT``).

Imported only when a Dask executor is asked for (executors.py checks the extra is installed).
The driver (this process) has already discovered the organization, assumed every account's role
and read the enabled regions, as a local crawl does; it then submits one task per unit, in the
local crawl's order and with its per-account-region limit (schedule.Scheduler), and records each
unit's outcome exactly as the local crawl does (crawl._run_units' ``record``).

A task runs on a worker:

- the worker builds its own session: from the driver's starting credentials, handed over with
  every task (frozen keys, read afresh from the driver's session at each submit, so they follow
  its refreshes; ``--worker-credentials handover``), or from its own standard credential chain
  (``chain``). It assumes the account's role itself (``AwsAccess.assume``, refreshable), once per
  worker process and account, or uses the starting identity where the driver had to (the
  management account without the role);
- it runs the unit with :func:`reporter.aws.crawl.run_here`, the local crawl's own path: the
  read-only guard, per-API pacing, the in-flight gate, retries, ExpiredToken refresh, the unit
  timeout and the salvage of resumable units are the same code;
- it returns the unit's rows as Arrow IPC streams (under the inventory's schemas) with its Issues,
  its coverage row and the calls it made (merged into the driver's call monitor).

Credentials stay in memory: they travel as task arguments (the scheduler and workers keep task
specs in memory; Dask spills only task *results* and scattered data to disk, and results here
hold records, never keys). ``dask-local`` starts its workers with ``memory_limit=0``, which turns
Dask's memory management, spilling included, off. The handed-over keys' ``repr`` is redacted, so
a task's appearance in a log or a traceback does not print them.

Quotas: units of one account-region are pinned to one worker (a hash of the account-region over
the workers present at the start; ``allow_other_workers`` lets them run elsewhere if that worker
dies), and each worker process keeps its own per-API limiter (pacing.py): the buckets of an
account-region then live where all its requests are made, with no scheduler round trip per call.
A limiter shared through the scheduler (a Dask Semaphore or Variable per bucket) would cost a
round trip of about a millisecond per AWS call (measured in the branch's report).

A worker that dies mid-unit: Dask reschedules its tasks on the others (up to the scheduler's
``allowed-failures``, 3 by default; beyond that the unit's coverage row says WorkerLost). The
lost attempt returned nothing, so nothing is counted twice; a task counts its starts in the
scheduler's metadata, and the coverage row of a unit started more than once says it was retried.
Resumable units are one task: a unit retried on another worker reads its region from the start
(its kept chunks were in the dead worker's memory).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import botocore.config
import pyarrow as pa
from distributed import Client, LocalCluster, as_completed, get_client
from distributed.scheduler import KilledWorker

import reporter
from reporter.aws.coverage import coverage_row
from reporter.aws.crawl import CALL_ATTEMPTS, PER_KEY_LIMIT, _Run, run_here
from reporter.aws.executors import DASK_EXTRA, parse_executor
from reporter.aws.guard import CallMonitor
from reporter.aws.pacing import Limiter
from reporter.aws.schedule import Gate, Scheduler, Unit
from reporter.aws.session import AccountCredentials, AwsAccess
from reporter.aws.transient import Attempts
from reporter.collectors.base import CollectResult, Issue, error_code, error_message
from reporter.errors import UserError
from reporter.inventory import SCHEMAS
from reporter.settings import Settings

__all__ = ["run_on_dask"]

log = logging.getLogger("reporter.crawl")

Record = Callable[[Unit, CollectResult | None, dict[str, Any]], None]
CONNECT_TIMEOUT_S = 30
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


# --- driver ------------------------------------------------------------------------------------


def run_on_dask(run: _Run, units: list[Unit], creds: dict[str, AccountCredentials], record: Record) -> None:
    """Run ``units`` as Dask tasks and hand each outcome to ``record`` (in completion order)."""
    spec = parse_executor(run.settings.executor)
    token = uuid.uuid4().hex
    with _connect(spec.kind, spec.address, spec.workers, run.settings) as client:
        nthreads = client.nthreads()
        workers = sorted(nthreads)
        _check_workers(client, workers)
        job = Job(
            token=token,
            settings=run.settings,
            home=run.home,
            partition=run.partition,
            endpoint_url=run.access.endpoint_url,
            gate_limit=max(1, math.ceil(run.settings.workers / len(workers))),
        )
        scheduler = Scheduler(units, PER_KEY_LIMIT)
        capacity = 2 * sum(nthreads.values())  # a queued task per thread keeps every worker busy
        running: dict[Any, Unit] = {}
        finished = as_completed()

        def launch() -> None:
            while len(running) < capacity:
                unit = scheduler.next()
                if unit is None:
                    return
                future = client.submit(
                    _unit_task,
                    job,
                    unit,
                    _ticket(run, creds[unit.account_id]),
                    key=f"reporter-unit-{token}-{len(units) - len(scheduler)}",
                    pure=False,
                    workers=[_pin(unit.key, workers)],
                    allow_other_workers=True,
                )
                running[future] = unit
                finished.add(future)

        try:
            launch()
            for future in finished:
                unit = running.pop(future)
                scheduler.done(unit)
                record(unit, *_outcome(future, unit, run.access.monitor))
                future.release()
                launch()
        finally:
            client.set_metadata(["reporter", token], None)


@contextmanager
def _connect(kind: str, address: str, processes: int, settings: Settings) -> Iterator[Client]:
    # Dask logs every connection at INFO; the crawl's own progress lines are what the user reads
    logging.getLogger("distributed").setLevel(logging.WARNING)
    if kind == "dask-local":
        threads = max(1, math.ceil(settings.workers / processes)) * 2
        # memory_limit=0: no memory management, so nothing a worker holds is ever spilled to disk
        with (
            LocalCluster(
                n_workers=processes,
                threads_per_worker=threads,
                processes=True,
                memory_limit=0,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise UserError(f"--executor: cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        if not client.nthreads():
            try:
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            except TimeoutError:
                raise UserError(f"--executor: the Dask scheduler at {address} has no workers") from None
        yield client


def _check_workers(client: Client, workers: list[str]) -> None:
    """Every worker imports this reporter version (tasks name its functions, not their code)."""
    want = reporter.__version__
    try:
        versions = client.run(_reporter_version)
    except Exception as exc:
        raise UserError(
            f"--executor: the Dask workers cannot run reporter ({type(exc).__name__}: {exc}); "
            f"install reporter {want} on them: {DASK_EXTRA}"
        ) from None
    wrong = sorted(f"{w} has {v}" for w, v in versions.items() if v != want)
    if wrong:
        raise UserError(f"--executor: Dask workers need reporter {want}: {', '.join(wrong)}")
    log.info("dask: %d workers, %d threads", len(workers), sum(client.nthreads().values()))


def _reporter_version() -> str:
    return reporter.__version__


def _pin(key: tuple[str, str], workers: list[str]) -> str:
    """The worker an account-region's units run on: a stable hash, the same in every process."""
    digest = hashlib.sha256("/".join(key).encode()).digest()
    return workers[int.from_bytes(digest[:8], "big") % len(workers)]


def _ticket(run: _Run, creds: AccountCredentials) -> Ticket:
    starting = creds.is_starting_identity
    if run.settings.worker_credentials != "handover":
        return Ticket(starting, None)
    source = run.access.session.get_credentials()
    if source is None:
        raise UserError("no AWS credentials to hand over to the Dask workers")
    frozen = source.get_frozen_credentials()  # refreshed by botocore when close to expiry
    return Ticket(starting, Handover(str(frozen.access_key), str(frozen.secret_key), frozen.token))


def _outcome(future: Any, unit: Unit, monitor: CallMonitor) -> tuple[CollectResult | None, dict[str, Any]]:
    try:
        out: TaskOutcome = future.result()
    except KilledWorker as exc:
        return None, _failed(unit, "WorkerLost", f"every Dask worker that ran this unit died ({exc})")
    except Exception as exc:  # the task itself failed (e.g. a worker that cannot import reporter)
        return None, _failed(unit, error_code(exc), error_message(exc))
    monitor.merge(out.calls, out.refused)
    if not out.collected:
        return None, out.row
    records = {table: pa.ipc.open_stream(data).read_all().to_pylist() for table, data in out.tables.items()}
    return CollectResult(records=records, issues=out.issues), out.row


def _failed(unit: Unit, code: str, message: str) -> dict[str, Any]:
    c = unit.collector
    return coverage_row(
        unit.account_id, unit.region, c.name, c.tables, "error", error_code=code, message=message
    )


# --- worker ------------------------------------------------------------------------------------


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
                state.accounts[key] = Attempts(settings.unit_attempts).run(
                    lambda: access.assume(
                        unit.account_id,
                        role_name=settings.role_name,
                        external_id=settings.external_id,
                        partition=job.partition,
                    )
                )
        return state.accounts[key]


def _unit_task(job: Job, unit: Unit, ticket: Ticket) -> TaskOutcome:
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
        outcomes.append((None, _failed(unit, error_code(exc), message)))
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
