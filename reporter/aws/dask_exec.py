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
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pyarrow as pa
from distributed import Client, LocalCluster, as_completed
from distributed.scheduler import KilledWorker

import reporter
from reporter.aws.crawl import PER_KEY_LIMIT, _Run
from reporter.aws.dask_worker import Handover, Job, TaskOutcome, Ticket, failed_row, unit_task
from reporter.aws.executors import DASK_EXTRA, parse_executor
from reporter.aws.guard import CallMonitor
from reporter.aws.schedule import Scheduler, Unit
from reporter.aws.session import AccountCredentials
from reporter.collectors.base import CollectResult, error_code, error_message
from reporter.errors import UserError
from reporter.settings import Settings

__all__ = ["run_on_dask"]

log = logging.getLogger("reporter.crawl")

Record = Callable[[Unit, CollectResult | None, dict[str, Any]], None]
CONNECT_TIMEOUT_S = 30


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
                    unit_task,
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
            # forget the start counts; a broken cluster must not hide the crawl's own failure
            with suppress(Exception):
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
        times = exc.allowed_failures + 1
        message = f"the Dask workers running this unit died {times} times (the scheduler's allowed-failures)"
        return None, failed_row(unit, "WorkerLost", message)
    except Exception as exc:  # the task itself failed (e.g. a worker that cannot import reporter)
        return None, failed_row(unit, error_code(exc), error_message(exc))
    monitor.merge(out.calls, out.refused)
    if not out.collected:
        return None, out.row
    records = {table: pa.ipc.open_stream(data).read_all().to_pylist() for table, data in out.tables.items()}
    return CollectResult(records=records, issues=out.issues), out.row
