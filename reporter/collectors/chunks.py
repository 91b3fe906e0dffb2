"""Resumable reading of a listing in chunks (the Lambda collector's functions).

The listing and each completed chunk are kept in the unit's :class:`UnitProgress`: a retry of the
unit re-reads only the chunks that are missing or met a failure another attempt may heal
(transient, expired credentials), and a unit the crawler gives up on still delivers its kept
chunks (:func:`salvage`), every other listed item becoming an Issue of its own, so its verdicts
are errors, never passes, and nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from reporter.aws.transient import EXPIRED, is_transient_code
from reporter.collectors.base import CollectResult, Issue, Salvage, UnitProgress


class Chunk(NamedTuple):
    result: CollectResult
    values: list[Any]
    """What ``read_one`` returned for each item, in listing order."""

    @property
    def complete(self) -> bool:
        """No read in it met a failure that another attempt may heal."""
        return not any(is_transient_code(i.error_code) or i.error_code in EXPIRED for i in self.result.issues)


def merge(into: CollectResult, part: CollectResult) -> None:
    for table, rows in part.records.items():
        into.records.setdefault(table, []).extend(rows)
    into.issues.extend(part.issues)


def read_chunks(
    progress: UnitProgress,
    listed: list[dict[str, Any]],
    size: int,
    threads: int,
    read_one: Callable[[dict[str, Any], CollectResult], Any],
) -> list[Chunk]:
    """Every chunk of ``listed``, in order: the kept complete ones as they were, the others read now
    (by up to ``threads`` threads; boto3 clients are thread-safe)."""
    count = (len(listed) + size - 1) // size

    def one(index: int) -> Chunk:
        kept: Chunk | None = progress.get(f"chunk-{index}")
        if kept is not None and kept.complete:
            return kept
        chunk = Chunk(CollectResult(), [])
        for item in listed[index * size : (index + 1) * size]:
            chunk.values.append(read_one(item, chunk.result))
        progress.keep(f"chunk-{index}", chunk)
        return chunk

    workers = min(threads, count)
    if workers < 2:
        return [one(i) for i in range(count)]
    # an exception in any chunk fails the attempt; the chunks kept so far stay for the next one
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chunks") as pool:
        return list(pool.map(one, range(count)))


def salvage(
    progress: UnitProgress,
    size: int,
    arn_of: Callable[[dict[str, Any]], str],
    tables: tuple[str, ...],
    unit_tables: tuple[str, ...],
    noun: str,
) -> Salvage | None:
    """The kept chunks of a unit given up on; every other listed item an ``Unread`` Issue on ``tables``.
    ``unit_tables``: what only the whole unit fills (left unread for the unit)."""
    listed: list[dict[str, Any]] | None = progress.get("listed")
    if listed is None:
        return None
    result = CollectResult()
    read = 0
    for index in range((len(listed) + size - 1) // size):
        items = listed[index * size : (index + 1) * size]
        kept: Chunk | None = progress.get(f"chunk-{index}")
        if kept is not None:
            # a chunk kept with failures carries its Issues: those items' verdicts are errors
            merge(result, kept.result)
            read += len(items)
            continue
        result.issues.extend(
            Issue(tables, "Unread", "not read before the unit ended", arn_of(item)) for item in items
        )
    unread = len(listed) - read
    summary = f"read {read} of {len(listed)} listed {noun}; {unread} unjudged (their verdicts are errors)"
    return Salvage(result, read, unread, unit_tables, summary)
