"""The demo server in a process of its own, driven over a pipe: AWS as the crawl benchmark sees it.

The crawler and the simulated organization must not share an interpreter (the server's CPU would
count as the crawler's, and its GIL would slow the crawl), so the benchmark seeds the organization
(scaled.py) in a spawned process that serves it over HTTP and answers the benchmark's questions:
switch the fault plan, count the calls per (account, region, service, operation), report its CPU
and peak memory.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection as mpc
import resource
from collections import Counter
from dataclasses import dataclass
from typing import Any

import boto3

from reporter.demo.faults import AnswerTimes, FaultPlan
from reporter.settings import Settings

Key = tuple[str, str, str, str]
"""(account id, region, service, operation), as the demo server counts calls."""


@dataclass(frozen=True)
class ServerInfo:
    endpoint_url: str
    credentials: dict[str, str]
    regions: tuple[str, ...]
    functions: tuple[tuple[str, str, str], ...]
    """(account id, region, function ARN) of every seeded function of a reachable account."""
    seed_seconds: float


def _org(shape: dict[str, Any], seed: int) -> Any:
    from reporter.demo import scaled

    kind = shape["kind"]
    if kind == "large":
        return scaled.large_org(
            accounts=shape["accounts"],
            regions=shape["regions"],
            big=tuple(shape["big"]),
            giant=shape["giant"],
            rules=shape["rules"],
            seed=seed,
        )
    if kind == "account":
        return scaled.account_org(
            regions=shape["regions"], functions_per_region=shape["functions"], seed=seed
        )
    return scaled.scaled_org(
        accounts=shape["accounts"],
        regions=shape["regions"],
        functions_per_region=shape["functions"],
        seed=seed,
    )


def _serve(conn: mpc.Connection, shape: dict[str, Any], seed: int) -> None:
    """The demo server's process: seed, say where it listens, then answer the bench's requests."""
    from reporter.demo.server import DemoServer

    with DemoServer(seed=seed, spec=_org(shape, seed)) as demo:
        reachable = {a.account_id for a in demo.truth.accounts if a.reachable}
        listed = tuple((f.account_id, f.region, f.function_arn) for f in demo.truth.functions)
        conn.send(
            ServerInfo(
                demo.endpoint_url,
                dict(demo.credentials),
                demo.truth.regions,
                tuple(f for f in listed if f[0] in reachable),
                demo.seed_seconds,
            )
        )
        while True:
            command, argument = conn.recv()
            if command == "faults":
                demo.set_faults(argument)
                demo.stats.reset()
                conn.send(None)
            elif command == "calls":
                faulted = Counter(tuple(e.key) for e in demo.stats.faults)
                calls = Counter({tuple(k): n for k, n in demo.stats.calls.items()})
                conn.send((calls, faulted, demo.stats.answer_times))
            elif command == "usage":
                conn.send((cpu_seconds(), peak_rss_mb()))
            else:
                conn.send(None)
                return


class Server:
    """The demo server in its own process, driven over a pipe."""

    def __init__(self, shape: dict[str, Any], seed: int) -> None:
        context = mp.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, shape, seed), daemon=True)
        self._process.start()
        self.info: ServerInfo = self._receive()

    def _receive(self) -> Any:
        # A server that died (seeding failed, killed) would otherwise leave recv() waiting forever.
        while not self._conn.poll(1.0):
            if not self._process.is_alive():
                raise SystemExit(f"the demo server process exited (code {self._process.exitcode})")
        return self._conn.recv()

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._receive()

    def use(self, plan: FaultPlan) -> None:
        """Switch the fault plan and zero the counters."""
        self._ask("faults", plan)

    def calls(self) -> tuple[Counter[Key], Counter[Key], AnswerTimes]:
        """(all, faulted) calls per key since the last :meth:`use` (the faulted are among all),
        and (answers timed, their seconds, answers later than the latency)."""
        total, faulted, answers = self._ask("calls")
        return total, faulted, answers

    def usage(self) -> tuple[float, float]:
        """(CPU seconds so far, peak RSS in MB) of the server process."""
        cpu, rss = self._ask("usage")
        return float(cpu), float(rss)

    def stop(self) -> None:
        self._ask("stop")
        self._process.join(timeout=30)

    def session(self) -> boto3.Session:
        creds = self.info.credentials
        return boto3.Session(
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            region_name=creds["AWS_DEFAULT_REGION"],
        )

    def settings(self, workers: int, executor: str = "local") -> Settings:
        return Settings(
            org=True,
            endpoint_url=self.info.endpoint_url,
            regions=self.info.regions,
            workers=workers,
            executor=executor,
        )


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
