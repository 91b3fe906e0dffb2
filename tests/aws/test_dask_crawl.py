"""The crawl on a Dask cluster (issue 16): a worker killed mid-crawl loses nothing and counts
nothing twice; workers may use their own credential chain.

These tests start their own DemoServer (one per process): they live here, not in tests/e2e, whose
session-wide demo server is started later in a full run."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from dataclasses import replace
from typing import Any

import boto3
import pyarrow as pa
import pytest
from distributed import Client

from reporter.acquire import collect
from reporter.aws.schedule import Unit
from reporter.demo.faults import FaultPlan
from reporter.demo.server import DemoServer
from reporter.inventory import SCHEMAS, TABLES, Inventory
from reporter.settings import Settings


class KillOneWorker:
    """Crawl progress that SIGKILLs a worker process busy with units once the first unit is in."""

    def __init__(self) -> None:
        self.killed: int | None = None
        self.advanced = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, unit: Unit, ok: bool) -> None:
        self.advanced += 1
        if self.killed is not None:
            return
        client = Client.current()
        busy = {w: keys for w, keys in client.processing().items() if keys}
        if not busy:
            return
        worker = max(busy, key=lambda w: len(busy[w]))
        pid = client.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)
        self.killed = pid

    def finish(self) -> None:
        pass


def _rows(inventory: Inventory, table: str) -> Counter[str]:
    df = inventory[table]
    rows = pa.Table.from_pandas(df, schema=SCHEMAS[table], preserve_index=False).to_pylist()
    return Counter(json.dumps(r, sort_keys=True, default=str) for r in rows)


def _units(inventory: Inventory) -> list[tuple[Any, ...]]:
    cov = inventory["coverage"]
    cov = cov[cov["collector"] != "discover"]
    columns = ("account_id", "region", "collector", "status", "resource_arn")
    return sorted(zip(*(cov[c].astype("string").fillna("") for c in columns), strict=True))


def test_a_worker_killed_mid_crawl_loses_nothing_and_counts_nothing_twice() -> None:
    with DemoServer.scaled(accounts=3, regions=2, functions_per_region=25, seed=5) as demo:
        session = boto3.Session(
            aws_access_key_id=demo.credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=demo.credentials["AWS_SECRET_ACCESS_KEY"],
            region_name=demo.credentials["AWS_DEFAULT_REGION"],
        )
        settings = Settings(org=True, endpoint_url=demo.endpoint_url, regions=demo.truth.regions, workers=4)
        local = collect(settings, session=session).inventory
        # slow answers, so that units are in flight on both workers when one is killed
        demo.set_faults(FaultPlan(latency_ms=60))
        killer = KillOneWorker()
        dask = collect(replace(settings, executor="dask-local:2"), session=session, progress=killer).inventory

    assert killer.killed is not None
    assert killer.advanced == killer.total  # every unit reported once
    cov = dask["coverage"]
    units = cov[cov["collector"] != "discover"]
    assert set(units["status"]) == {"ok"}  # 100 % completeness
    assert _units(dask) == _units(local)  # the same units, each once
    retried = units[units["message"].fillna("").str.contains("retried on another Dask worker")]
    assert len(retried) >= 1  # a unit the dead worker had started ran again, and says so
    for table in TABLES:
        if table != "coverage":
            assert _rows(dask, table) == _rows(local, table), table  # nothing lost, nothing twice


def test_workers_may_use_their_own_credential_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    with DemoServer.scaled(accounts=2, regions=1, functions_per_region=3, seed=11) as demo:
        # the worker processes inherit this environment: their standard chain finds these keys
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            monkeypatch.setenv(name, demo.credentials[name])
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        session = boto3.Session()
        settings = Settings(org=True, endpoint_url=demo.endpoint_url, regions=demo.truth.regions, workers=2)
        local = collect(settings, session=session).inventory
        chain = replace(settings, executor="dask-local:1", worker_credentials="chain")
        dask = collect(chain, session=session).inventory
    assert _units(dask) == _units(local)
    assert set(dask["coverage"].query("collector != 'discover'")["status"]) == {"ok"}
    for table in TABLES:
        if table != "coverage":
            assert _rows(dask, table) == _rows(local, table), table
