"""The rules stage's DuckDB: one in-memory database, capped and spilling when the settings say so.

``settings.rules_memory_limit`` becomes DuckDB's ``memory_limit``, which bounds its buffer manager
only (https://duckdb.org/docs/2.0/operations_manual/limits.html: default 80 % of RAM, "This limit
only applies to the buffer manager"): the Arrow tables the rules read (registered zero-copy) and
the rows they return are outside it. Past the limit, DuckDB's out-of-core operators (hash joins,
aggregates, sorts) spill to ``temp_directory``, whose default for an in-memory database is
``.tmp`` in the working directory (``current_setting('temp_directory')``, DuckDB 2.0). Sizes
are DuckDB's: "1GB" is 10^9 bytes, "1GiB" 2^30.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from reporter.settings import Settings


@contextmanager
def database(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """One in-memory DuckDB for the run: every batch uses it through a cursor of its own, so
    DuckDB's buffer pool (and the memory its allocator keeps) is one, however many batches."""
    # Rows are sorted per rule: insertion order need not be kept, which lets DuckDB work in parallel.
    config: dict[str, Any] = {"preserve_insertion_order": False}
    if settings.rules_memory_limit is not None:
        config["memory_limit"] = settings.rules_memory_limit
    with spill_dir(settings) as spill:
        if spill is not None:
            config["temp_directory"] = str(spill)
        db = duckdb.connect(config=config)
        try:
            yield db
        finally:
            db.close()


@contextmanager
def spill_dir(settings: Settings) -> Iterator[Path | None]:
    """Where DuckDB spills: ``settings.spill_dir``, or with a memory limit and no directory named,
    a fresh one in the system temp, removed afterwards (an in-memory DuckDB would otherwise spill
    to ``.tmp`` in the working directory). Without a limit DuckDB keeps its defaults."""
    if settings.spill_dir is not None:
        settings.spill_dir.mkdir(parents=True, exist_ok=True)
        yield settings.spill_dir
    elif settings.rules_memory_limit is not None:
        with tempfile.TemporaryDirectory(prefix="reporter-spill-") as path:
            yield Path(path)
    else:
        yield None
