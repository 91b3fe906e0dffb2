"""Crawl benchmark: reporter's crawl of a simulated organization, against its lower bound.

    python scripts/bench_crawl.py [--shape default|large|account] [--scale 0.1] [--accounts 50]
        [--regions 3] [--functions 20] [--latency-ms 50] [--no-quotas] [--workers 16]
        [--reference-accounts auto|all|N] [--skip-reference] [--no-floor]

Shapes: ``default`` (accounts x regions x functions, the fault-tolerance issue's shape);
``large`` (issue 13: 300 accounts, 17 regions, most empty, 10 accounts with 200-1,000 functions
in one region, one region with 5,000, 40 Config rules per account-region; ``--scale`` shrinks the
accounts, function counts and rules for a 2-core machine); ``account`` (the ad hoc run: 1 account,
2 regions, 100 functions per region, each with its own role). The simulated organization
(demo/scaled.py) is served from a separate process, as AWS would be. The demo server injects the
latency and, unless ``--no-quotas``, AWS's published per-API quotas (the data file the crawler's
limiter reads too), and counts every call it answers.

Printed: wall, API calls by API, calls per function, per-API throttles, completeness (functions read
/ seeded), lost units, the lower bound — the largest of calls x latency / workers, the slowest
(account, region, API) quota ((answered calls - burst) / rate), the longest dependent chain — and
efficiency (bound / wall); for ``default`` also the sequential reference and the speed-up.
Issue 12 added ListAliases and a GetPolicy per published version and alias; they are printed
apart. The listing (``FunctionVersion=ALL``) names the versions, so ListVersionsByFunction is
never called, and ListProvisionedConcurrencyConfigs is asked only for a function with a version.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench_crawl_report import CALLS_PER_FUNCTION, FLOOR_WORKERS, Run, compare_executors, report

from reporter.acquire import collect
from reporter.aws.crawl import Unit
from reporter.aws.discover import discover
from reporter.aws.session import HOME_REGIONS, AccountCredentials, AwsAccess
from reporter.collectors import COLLECTORS, lambda_
from reporter.collectors.base import ClientFactory, UnitContext
from reporter.demo.faults import FaultPlan
from reporter.demo.remote import Server, ServerInfo, cpu_seconds, peak_rss_mb
from reporter.inventory import GLOBAL_REGION
from reporter.settings import Settings

REFERENCE_BUDGET_S = 300.0
"""``auto`` runs the reference in full only if it is expected to take at most this long."""


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


class _Phases:
    """Progress callbacks, used to time the end of discovery and assume-role."""

    def __init__(self) -> None:
        self.units_started = 0.0

    def start(self, total: int) -> None:
        self.units_started = time.perf_counter()

    def advance(self, unit: Unit, ok: bool) -> None:
        return None

    def finish(self) -> None:
        return None


def run_reporter(server: Server, plan: FaultPlan, workers: int, executor: str = "local") -> Run:
    server.use(plan)
    phases = _Phases()
    cpu, (server_cpu, _) = cpu_seconds(), server.usage()
    started = time.perf_counter()
    inventory = collect(
        server.settings(workers, executor), session=server.session(), progress=phases
    ).inventory
    wall = time.perf_counter() - started
    total, faulted, answers = server.calls()
    coverage = [{str(k): v for k, v in r.items()} for r in inventory["coverage"].to_dict("records")]
    return Run(
        wall,
        phases.units_started - started,
        total,
        faulted,
        {
            (str(a), str(r), str(f))
            for a, r, f in inventory["functions"][["account_id", "region", "function_arn"]].values
        },
        coverage,
        cpu_seconds() - cpu,
        server.usage()[0] - server_cpu,
        answers,
    )


def run_reference(
    server: Server, plan: FaultPlan, accounts: Sequence[str] | None
) -> tuple[Run, list[str], int]:
    """The naive crawl: one thread, one account after another, the same collectors and targets."""
    server.use(plan)
    settings = server.settings(workers=1)
    started = time.perf_counter()
    access = AwsAccess.from_session(server.session(), endpoint_url=settings.endpoint_url, workers=1)
    targets = discover(access, settings)
    setup = time.perf_counter() - started
    crawlable = sorted(a.account_id for a in targets.accounts if a.crawlable)
    chosen = list(accounts) if accounts is not None else crawlable
    home = HOME_REGIONS.get(targets.partition, "us-east-1")
    # one thread means one thread: the Lambda collector's own chunk threads would parallelise it
    lambda_.FUNCTION_THREADS, threads = 1, lambda_.FUNCTION_THREADS
    functions: set[tuple[str, str, str]] = set()
    errors: list[dict[str, Any]] = []
    for account_id in chosen:
        try:
            creds = access.assume(
                account_id, role_name=settings.role_name, external_id=None, partition=targets.partition
            )
        except Exception as exc:
            errors.append({"account_id": account_id, "status": "error", "error": repr(exc)})
            continue
        for collector in COLLECTORS:
            for region in [GLOBAL_REGION] if collector.scope == "global" else targets.regions:
                client = _clients(access, home if region == GLOBAL_REGION else region, creds)
                try:
                    result = collector.collect(UnitContext(account_id, region, client))
                except Exception as exc:
                    errors.append({"account_id": account_id, "status": "error", "error": repr(exc)})
                    continue
                rows = result.records.get("functions", [])
                functions.update((r["account_id"], r["region"], r["function_arn"]) for r in rows)
    wall = time.perf_counter() - started
    lambda_.FUNCTION_THREADS = threads
    total, faulted, _ = server.calls()
    return Run(wall, setup, total, faulted, functions, errors), chosen, len(crawlable)


def _clients(access: AwsAccess, region: str, creds: AccountCredentials) -> ClientFactory:
    """A unit's client factory, as the crawler's (one client per service, same credentials)."""
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = access.client(service, region, creds)
        return made[service]

    return client


def reference_sample(args: argparse.Namespace, info: ServerInfo) -> list[str] | None:
    """Accounts the reference crawls (None: all of them), from --reference-accounts."""
    accounts = sorted({a for a, _, _ in info.functions})
    if args.reference_accounts == "all":
        return None
    if args.reference_accounts != "auto":
        size = int(args.reference_accounts)
    else:
        # ~4 calls per function plus ~10 per account-region, each a round trip, at most the quotas
        calls = CALLS_PER_FUNCTION * args.functions + 10
        quota = (
            2 * args.functions / 15 if args.quotas else 0.0
        )  # two reads on the 15/s control plane (ListAliases, ListFunctionUrlConfigs)
        per_region = max(calls * (args.latency_ms / 1000 + 0.01), quota)
        expected = (len(accounts) + 1) * args.regions * per_region
        if expected <= REFERENCE_BUDGET_S:
            return None
        size = max(2, math.ceil(len(accounts) * REFERENCE_BUDGET_S / 2 / expected))
    if size >= len(accounts):
        return None
    step = len(accounts) / size
    return [accounts[int(i * step)] for i in range(size)]  # evenly spaced in id order: deterministic


def _shape(args: argparse.Namespace) -> dict[str, Any]:
    if args.shape == "large":
        scale = args.scale
        accounts = max(12, round(300 * scale))
        # 10 accounts with 200-1,000 functions (scaled), spread over the 17 regions; one giant region
        big = [(i * (accounts - 1) // 10, round((200 + 80 * i) * scale)) for i in range(10)]
        args.functions = 0
        return {
            "kind": "large",
            "accounts": accounts,
            "regions": 17,
            "big": big,
            "giant": args.giant if args.giant is not None else round(5000 * scale),
            "rules": max(8, round(40 * scale)) if scale < 1 else 40,
        }
    if args.shape == "account":
        args.functions = 100
        return {"kind": "account", "regions": 2, "functions": 100}
    return {
        "kind": "default",
        "accounts": args.accounts,
        "regions": args.regions,
        "functions": args.functions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shape", choices=("default", "large", "account"), default="default")
    parser.add_argument("--scale", type=float, default=1.0, help="large shape: share of its size to seed")
    parser.add_argument("--giant", type=int, help="large shape: functions of its biggest region (5,000)")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--functions", type=int, default=20, help="functions per account-region")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--no-quotas", dest="quotas", action="store_false", help="no per-API quotas")
    parser.add_argument("--workers", type=int, default=Settings().workers)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference-accounts", default="auto", help="auto | all | a number of accounts")
    parser.add_argument("--no-floor", action="store_true", help="skip the server-ceiling crawl")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--executor", default="local", help="also crawl with this executor (dask-local[:N], dask://…)"
    )
    args = parser.parse_args(argv)
    shape = _shape(args)
    plan = FaultPlan(latency_ms=args.latency_ms, quotas=args.quotas)
    print(
        f"shape: {shape}, latency {args.latency_ms:.0f} ms, "
        f"quotas {'on (per account, region, API)' if args.quotas else 'off'}, workers {args.workers}"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {_load()} (1/5/15 min) before the run")
    started = time.perf_counter()
    server = Server(shape, args.seed)
    try:
        info = server.info
        print(
            f"  seeded {len(info.functions)} functions in {info.seed_seconds:.1f} s "
            f"(server process; {time.perf_counter() - started:.1f} s with its start)"
        )
        reporter = run_reporter(server, plan, args.workers)
        crawler_rss = peak_rss_mb()
        load_after = _load()
        other = None if args.executor == "local" else run_reporter(server, plan, args.workers, args.executor)
        floor = None if args.no_floor else run_reporter(server, FaultPlan(), max(FLOOR_WORKERS, args.workers))
        reference = None
        if not args.skip_reference:
            reference = run_reference(server, plan, reference_sample(args, info))
        server_rss = server.usage()[1]
    finally:
        server.stop()
    print(f"machine: load average {load_after} after reporter's crawl")
    report(args, info, reporter, (crawler_rss, server_rss), floor, reference)
    if other is not None:
        compare_executors(args.executor, info, reporter, other)
    return 0


if __name__ == "__main__":
    sys.exit(main())
