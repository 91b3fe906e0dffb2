"""Crawl progress: a rich progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import threading
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reporter.aws.crawl import Unit

log = logging.getLogger("reporter.crawl")


class BarProgress:
    """Units done / total and errors so far, redrawn in place."""

    def __init__(self) -> None:
        self._bar = Progress(
            TextColumn("crawl"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("units, [red]{task.fields[errors]} errors"),
            TimeElapsedColumn(),
            transient=False,
        )
        self._task = self._bar.add_task("crawl", total=0, errors=0)
        self._errors = 0
        self._lock = threading.Lock()

    def start(self, total: int) -> None:
        self._bar.update(self._task, total=total)
        self._bar.start()

    def advance(self, unit: Unit, ok: bool) -> None:
        with self._lock:
            if not ok:
                self._errors += 1
            self._bar.update(self._task, advance=1, errors=self._errors)

    def finish(self) -> None:
        self._bar.stop()


class LogProgress:
    """One line per ~10 % (and every error), for CI logs and pipes."""

    def __init__(self) -> None:
        self._total = 0
        self._done = 0
        self._errors = 0
        self._next = 0
        self._start = time.monotonic()

    def start(self, total: int) -> None:
        self._total = total
        self._next = max(1, total // 10)
        log.info("crawl: %d units", total)

    def advance(self, unit: Unit, ok: bool) -> None:
        self._done += 1
        if not ok:
            self._errors += 1
            log.warning("unit %s failed", unit.label)
        if self._done >= self._next or self._done == self._total:
            log.info(
                "crawl: %d/%d units, %d errors, %.1f s",
                self._done,
                self._total,
                self._errors,
                time.monotonic() - self._start,
            )
            self._next += max(1, self._total // 10)

    def finish(self) -> None:
        log.info("crawl finished: %d units, %d errors", self._done, self._errors)


def make_progress() -> BarProgress | LogProgress:
    return BarProgress() if sys.stderr.isatty() else LogProgress()
