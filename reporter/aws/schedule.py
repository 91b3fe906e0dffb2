"""Scheduling for the crawl: unit order, per-account-region limits, the in-flight gate.

Three mechanisms, each answering one way a large crawl loses time:

- :func:`plan` orders units largest first (Lambda makes ~4 calls per function, the others a
  handful per region) and interleaves account-regions, so the long units start early and the
  run does not end on one account's big unit started last.
- :class:`Scheduler` starts at most ``per_key_limit`` units of one (account, region) at a time:
  AWS throttles per account and region, and piling a whole account onto the pool would only
  earn throttles while other accounts wait.
- :class:`Gate` bounds the requests in flight across the run to ``workers``. The pool has more
  threads than that, so a thread that waits for its API's token (pacing.py) or sleeps in a
  retry backoff does not idle a worker slot that another account could use.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from reporter.collectors.base import Collector
from reporter.inventory import GLOBAL_REGION

T = TypeVar("T")


class UnitCancelled(Exception):
    """Raised into a unit's next request once the crawler has given up on it (timeout)."""


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


def plan(accounts: Sequence[str], regions: Sequence[str], collectors: Sequence[Collector]) -> list[Unit]:
    """Every unit, largest collectors first; within a collector, round-robin over accounts.

    Consecutive units then belong to different account-regions, which is what lets the
    per-key limit fill the pool from many accounts at once.
    """
    ordered = sorted(collectors, key=lambda c: (c.size_rank, c.name))
    units: list[Unit] = []
    for collector in ordered:
        scopes = [GLOBAL_REGION] if collector.scope == "global" else list(regions)
        for region in scopes:
            units.extend(Unit(account_id, region, collector) for account_id in sorted(accounts))
    return units


class Scheduler:
    """Hands out units in plan order, at most ``per_key_limit`` running per (account, region)."""

    def __init__(self, units: Sequence[Unit], per_key_limit: int) -> None:
        self._pending: deque[Unit] = deque(units)
        self._running: dict[tuple[str, str], int] = {}
        self._limit = max(1, per_key_limit)

    def __len__(self) -> int:
        return len(self._pending)

    def next(self) -> Unit | None:
        """The first pending unit whose account-region has room (now marked running), else None."""
        for index, unit in enumerate(self._pending):
            if self._running.get(unit.key, 0) < self._limit:
                del self._pending[index]
                self._running[unit.key] = self._running.get(unit.key, 0) + 1
                return unit
        return None

    def done(self, unit: Unit) -> None:
        self._running[unit.key] -= 1

    def running(self, key: tuple[str, str]) -> int:
        return self._running.get(key, 0)


class Gate:
    """At most ``limit`` requests in flight across every client attached to it.

    A slot is taken in ``before-send`` after botocore's own handlers and the crawler's per-API
    limiter (pacing.py; so after its wait: a paced thread holds none) and given back in
    ``before-parse``, once the answer has been read off the wire, so parsing it (CPU, and a wait
    for the interpreter lock among many threads) holds no slot; ``response-received``, which
    botocore emits after every attempt, failed or not, gives it back when no answer came: retry
    backoffs hold no slot either.
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._slots = threading.BoundedSemaphore(self.limit)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._in_flight = 0
        self.peak = 0

    def attach(self, client: Any, cancelled: threading.Event | None = None) -> None:
        def before_send(**_: Any) -> None:
            if cancelled is not None and cancelled.is_set():
                raise UnitCancelled("the crawler gave up on this unit")
            self._acquire()

        client.meta.events.register("before-send", before_send)
        client.meta.events.register("before-parse", lambda **_: self.release_held())
        client.meta.events.register("response-received", lambda **_: self.release_held())

    @contextmanager
    def hold(self) -> Iterator[None]:
        """One slot for work that is not a unit client's request (assuming a role)."""
        self._acquire()
        try:
            yield
        finally:
            self.release_held()

    def _acquire(self) -> None:
        self._slots.acquire()
        self._local.held = True
        with self._lock:
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)

    def release_held(self) -> None:
        """Give back the calling thread's slot, if it holds one (safe to call twice)."""
        if getattr(self._local, "held", False):
            self._local.held = False
            with self._lock:
                self._in_flight -= 1
            self._slots.release()


@dataclass
class _Running:
    unit: Unit
    started: float
    cancelled: threading.Event


def run_scheduled(
    scheduler: Scheduler,
    pool: ThreadPoolExecutor,
    threads: int,
    timeout: float,
    submit: Callable[[Unit, threading.Event], Future[T]],
    on_done: Callable[[Unit, T], None],
    on_timeout: Callable[[Unit, float], None],
    extra: Callable[[Unit], float] = lambda _: 0.0,
) -> bool:
    """Keep up to ``threads`` units running until all are done; True if some were abandoned.

    A unit running longer than ``timeout`` seconds is given up on: its cancel event is set (its
    next request raises :class:`UnitCancelled`), ``on_timeout`` reports it, and its late result
    is dropped. Its thread stays busy until then, so it still counts against ``threads``.
    ``extra(unit)`` lengthens a unit's timeout by what it announced it has to read (a region's
    listed functions), so a large region is not held to a small region's deadline.
    """
    running: dict[Future[T], _Running] = {}
    abandoned: set[Future[T]] = set()

    def launch() -> None:
        abandoned.difference_update([f for f in abandoned if f.done()])
        while len(running) + len(abandoned) < threads:
            unit = scheduler.next()
            if unit is None:
                return
            cancelled = threading.Event()
            running[submit(unit, cancelled)] = _Running(unit, time.monotonic(), cancelled)

    launch()
    while running:
        until_deadline = min(r.started + extra(r.unit) for r in running.values()) + timeout - time.monotonic()
        wake = max(0.05, min(1.0, until_deadline))
        done, _ = wait(list(running), timeout=wake, return_when=FIRST_COMPLETED)
        for fut in done:
            state = running.pop(fut)
            scheduler.done(state.unit)
            on_done(state.unit, fut.result())
        now = time.monotonic()
        for fut, state in list(running.items()):
            if now - state.started > timeout + extra(state.unit):
                # A thread cannot be killed: its next request raises and its late result is dropped.
                state.cancelled.set()
                running.pop(fut)
                if not fut.cancel():
                    abandoned.add(fut)
                scheduler.done(state.unit)
                on_timeout(state.unit, now - state.started)
        launch()
    return any(not f.done() for f in abandoned)
