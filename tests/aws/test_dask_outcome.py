"""What the driver records for a Dask task that delivered no outcome, and the Arrow hand-back."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from distributed.scheduler import KilledWorker

from reporter.aws.dask_exec import _outcome, _pin
from reporter.aws.dask_worker import TaskOutcome, _to_ipc
from reporter.aws.guard import CallMonitor
from reporter.aws.schedule import Unit
from reporter.collectors import by_name

UNIT = Unit("111111111111", "eu-west-1", by_name("lambda"))


class Done:
    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value, self.error = value, error

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


def test_a_unit_whose_workers_all_died_is_an_error_row_with_no_records() -> None:
    last_worker: Any = SimpleNamespace(address="tcp://10.0.0.9:1")  # only its address is read
    lost = KilledWorker("reporter-unit-x-1", last_worker, 3)
    collected, row = _outcome(Done(error=lost), UNIT, CallMonitor())
    assert collected is None
    assert (row["status"], row["error_code"]) == ("error", "WorkerLost")
    assert (
        row["message"] == "the Dask workers running this unit died 4 times (the scheduler's allowed-failures)"
    )
    assert row["tables"] == list(UNIT.collector.tables)  # every table of the unit is unread


def test_a_task_that_raised_is_an_error_row_with_its_reason() -> None:
    collected, row = _outcome(
        Done(error=ModuleNotFoundError("No module named 'reporter'")), UNIT, CallMonitor()
    )
    assert collected is None
    assert (row["status"], row["error_code"], row["message"]) == (
        "error",
        "ModuleNotFoundError",
        "No module named 'reporter'",
    )


def test_rows_come_back_under_the_inventory_schema_and_calls_are_merged() -> None:
    rows = [{"account_id": "111111111111", "region": "eu-west-1", "name": "fn-a"}]
    out = TaskOutcome(
        tables={"functions": _to_ipc("functions", rows)},
        issues=[],
        row={"status": "ok"},
        collected=True,
        calls=Counter({("lambda", "ListFunctions"): 2}),
        refused=Counter(),
    )
    monitor = CallMonitor()
    collected, row = _outcome(Done(out), UNIT, monitor)
    assert collected is not None and row == {"status": "ok"}
    (back,) = collected.records["functions"]
    assert (back["account_id"], back["region"], back["name"]) == ("111111111111", "eu-west-1", "fn-a")
    assert back["memory_mb"] is None  # a column the collector left out reads as null, as in frame()
    assert monitor.total() == 2


def test_an_undeclared_column_fails_the_task_as_inventory_frame_does() -> None:
    with pytest.raises(KeyError, match="unknown columns"):
        _to_ipc("functions", [{"account_id": "1", "not_a_column": 1}])


def test_units_of_one_account_region_go_to_one_worker() -> None:
    workers = ["tcp://a:1", "tcp://b:1", "tcp://c:1"]
    picks = {_pin(("111111111111", region), workers) for region in ("eu-west-1",) * 5}
    assert len(picks) == 1
    spread = {_pin((f"{n:012d}", "eu-west-1"), workers) for n in range(60)}
    assert spread == set(workers)  # the hash spreads account-regions over every worker
