"""Crawl benchmark: reporter's crawl against a naive sequential crawl of the same organization.

    python scripts/bench_crawl.py [--accounts 50] [--regions 3] [--functions 20] [--latency-ms 50]
        [--rate-limit 10] [--workers 16] [--reference-accounts auto|all|N] [--no-floor]

A simulated organization (DemoServer.scaled) is served from a separate process, as AWS would
be: crawler and moto server then do not share one interpreter lock, but they do share this
machine's cores (and with whatever else runs on it: the load average is printed). The demo server
injects the latency and a per-(account, region) rate limit, and counts every call it answers.

Printed: API calls, calls per function, wall seconds of reporter's crawl (collect()) and of the
sequential reference and their ratio, the lower bound (max of calls x latency / workers, the
longest chain within a unit, the busiest account-region's calls / rate limit) and reporter's
efficiency (bound / wall), peak RSS and completeness; also how long the server took to answer
(arrival to answer: the injected latency includes the server's own work, as AWS's does, and the
answers moto made later than that are counted). Also the machine's own floor: the server's
ceiling, as the same crawl with no latency, no rate limit and many workers (calls/s end to end).

The reference visits accounts one after another on one thread and runs the same collectors on
the same targets. At the default shape it would run for ~25 minutes, so ``auto`` crawls an
evenly spaced sample of accounts and extrapolates per answered call; ``all`` runs it in full.
Targets (issue "Fault tolerance and crawl speed"): efficiency >= 0.75, >= 10x faster than the
reference, <= 4 Lambda calls per function before issue 12; the version/alias policy reads it
added (ListAliases, ListVersionsByFunction, GetPolicy per qualifier) are printed apart.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

from reporter.acquire import collect
from reporter.aws.crawl import Unit
from reporter.aws.discover import discover
from reporter.aws.session import HOME_REGIONS, AccountCredentials, AwsAccess
from reporter.collectors import COLLECTORS, lambda_
from reporter.collectors.base import ClientFactory, UnitContext
from reporter.demo.faults import AnswerTimes, FaultPlan
from reporter.inventory import GLOBAL_REGION
from reporter.settings import Settings

Key = tuple[str, str, str, str]
"""(account id, region, service, operation), as the demo server counts calls."""
PER_FUNCTION = frozenset(
    {
        "GetFunction",
        "GetPolicy",
        "ListAliases",
        "ListVersionsByFunction",
        "ListFunctionUrlConfigs",
        "ListProvisionedConcurrencyConfigs",
    }
)
CALLS_PER_FUNCTION = len(PER_FUNCTION)
"""Per function without versions or aliases; each adds one GetPolicy with its Qualifier."""
QUALIFIER_LISTINGS = frozenset({"ListAliases", "ListVersionsByFunction"})
DISCOVERY = frozenset({("sts", "GetCallerIdentity"), ("ec2", "DescribeRegions")})
FLOOR_WORKERS = 64
REFERENCE_BUDGET_S = 300.0
"""``auto`` runs the reference in full only if it is expected to take at most this long."""


@dataclass(frozen=True)
class ServerInfo:
    endpoint_url: str
    credentials: dict[str, str]
    regions: tuple[str, ...]
    functions: tuple[tuple[str, str, str], ...]
    """(account id, region, function ARN) of every seeded function of a reachable account."""
    seed_seconds: float


def _serve(conn: mpc.Connection, accounts: int, regions: int, functions: int, seed: int) -> None:
    """The demo server's process: seed, say where it listens, then answer the bench's requests."""
    from reporter.demo.server import DemoServer

    with DemoServer.scaled(
        accounts=accounts, regions=regions, functions_per_region=functions, seed=seed
    ) as demo:
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
                conn.send((_cpu_seconds(), _peak_rss_mb()))
            else:
                conn.send(None)
                return


class Server:
    """The demo server in its own process, driven over a pipe."""

    def __init__(self, accounts: int, regions: int, functions: int, seed: int) -> None:
        context = mp.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, accounts, regions, functions, seed), daemon=True
        )
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

    def settings(self, workers: int) -> Settings:
        return Settings(
            org=True, endpoint_url=self.info.endpoint_url, regions=self.info.regions, workers=workers
        )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


@dataclass
class Run:
    wall: float
    setup: float
    """Seconds before the first unit started: discovery and assume-role."""
    total: Counter[Key]
    faulted: Counter[Key]
    functions: set[tuple[str, str, str]]
    coverage: list[dict[str, Any]] = field(default_factory=list)
    cpu: float = 0.0
    server_cpu: float = 0.0
    answers: AnswerTimes = AnswerTimes(0, 0.0, 0, 0.0)

    @property
    def answered(self) -> Counter[Key]:
        """Calls the server answered with data (not throttled, not an injected fault)."""
        return self.total - self.faulted


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


def run_reporter(server: Server, plan: FaultPlan, workers: int) -> Run:
    server.use(plan)
    phases = _Phases()
    cpu, (server_cpu, _) = _cpu_seconds(), server.usage()
    started = time.perf_counter()
    inventory = collect(server.settings(workers), session=server.session(), progress=phases).inventory
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
        _cpu_seconds() - cpu,
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
        # ~6 calls per function plus ~10 per account-region, each a round trip, at most the rate limit
        calls = CALLS_PER_FUNCTION * args.functions + 10
        per_region = max(calls * (args.latency_ms / 1000 + 0.01), calls / (args.rate_limit or math.inf))
        expected = (len(accounts) + 1) * args.regions * per_region
        if expected <= REFERENCE_BUDGET_S:
            return None
        size = max(2, math.ceil(len(accounts) * REFERENCE_BUDGET_S / 2 / expected))
    if size >= len(accounts):
        return None
    step = len(accounts) / size
    return [accounts[int(i * step)] for i in range(size)]  # evenly spaced in id order: deterministic


@dataclass(frozen=True)
class Bound:
    latency: float
    chain: float
    rate: float

    @property
    def value(self) -> float:
        return max(self.latency, self.chain, self.rate)


def lower_bound(run: Run, latency_s: float, workers: int, rate: float | None) -> Bound:
    """The issue's lower bound, from the calls the server answered (the work, not its waste)."""
    answered = run.answered
    per_key: Counter[tuple[str, str]] = Counter()
    for (account, region, service, _), n in answered.items():
        if service not in ("sts", "organizations"):
            per_key[(account, region)] += n
    per_region = Counter((a, r) for a, r, _ in run.functions)
    steps = 0
    for row in run.coverage:
        arn = row["resource_arn"]
        if arn is not None and arn == arn:  # set (NaN, pandas' missing value, is not equal to itself)
            continue  # a narrower failure, not a unit
        calls = int(row["api_calls"])
        if row["collector"] == "lambda":
            # the per-function calls are spread over the collector's threads (a chain each)
            n = per_region[(row["account_id"], row["region"])]
            threads = max(1, min(lambda_.FUNCTION_THREADS, n // lambda_.FUNCTIONS_PER_THREAD))
            calls = calls - CALLS_PER_FUNCTION * n + CALLS_PER_FUNCTION * math.ceil(n / threads)
        steps = max(steps, calls)
    return Bound(
        latency=sum(answered.values()) * latency_s / workers,
        chain=steps * latency_s,
        rate=max(per_key.values(), default=0) / rate if rate else 0.0,
    )


def _line(label: str, value: str) -> None:
    print(f"  {label:<46} {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--functions", type=int, default=20, help="functions per account-region")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--rate-limit", type=float, default=10.0, help="requests/s per account-region; 0: none"
    )
    parser.add_argument("--workers", type=int, default=Settings().workers)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference-accounts", default="auto", help="auto | all | a number of accounts")
    parser.add_argument("--no-floor", action="store_true", help="skip the server-ceiling crawl")
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args(argv)
    rate = args.rate_limit or None
    plan = FaultPlan(latency_ms=args.latency_ms, rate_limit_per_account_region=rate)
    print(
        f"shape: {args.accounts} accounts x {args.regions} regions x {args.functions} functions, "
        f"latency {args.latency_ms:.0f} ms, rate limit {rate or 'none'} req/s per account-region, "
        f"workers {args.workers}"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {_load()} (1/5/15 min) before the run")
    server = Server(args.accounts, args.regions, args.functions, args.seed)
    try:
        info = server.info
        print(f"  seeded {len(info.functions)} functions in {info.seed_seconds:.1f} s (server process)")
        reporter = run_reporter(server, plan, args.workers)
        crawler_rss = _peak_rss_mb()
        load_after = _load()
        floor = None if args.no_floor else run_reporter(server, FaultPlan(), max(FLOOR_WORKERS, args.workers))
        reference = None
        if not args.skip_reference:
            reference = run_reference(server, plan, reference_sample(args, info))
        server_rss = server.usage()[1]
    finally:
        server.stop()
    print(f"machine: load average {load_after} after reporter's crawl")
    _report(args, info, reporter, (crawler_rss, server_rss), floor, reference)
    return 0


def _report(
    args: argparse.Namespace,
    info: ServerInfo,
    reporter: Run,
    rss: tuple[float, float],
    floor: Run | None,
    reference: tuple[Run, list[str], int] | None,
) -> None:
    seeded = set(info.functions)
    n = max(1, len(seeded))
    latency_s = args.latency_ms / 1000
    total, answered = sum(reporter.total.values()), sum(reporter.answered.values())
    ops: Counter[tuple[str, str]] = Counter()
    for (_, _, service, operation), count in reporter.total.items():
        ops[(service, operation)] += count
    per_function = sum(c for (s, o), c in ops.items() if s == "lambda" and o in PER_FUNCTION)
    per_function_answered = sum(
        c for (_, _, s, o), c in reporter.answered.items() if s == "lambda" and o in PER_FUNCTION
    )
    lambda_all = sum(c for (s, _), c in ops.items() if s == "lambda")
    errors = sum(1 for r in reporter.coverage if r["status"] == "error")
    bound = lower_bound(reporter, latency_s, args.workers, args.rate_limit or None)

    print("\nreporter: collect() = discovery, assume-role, crawl, inventory")
    _line("wall", f"{reporter.wall:.1f} s (of which discovery + assume-role {reporter.setup:.1f} s)")
    _line("API calls counted at the server", f"{total} ({total - answered} throttled or faulted)")
    _line(
        "Lambda per-function calls per function",
        f"{per_function_answered / n:.3f} answered (<= 4 before issue 12, now {CALLS_PER_FUNCTION}); "
        f"{per_function / n:.3f} with "
        f"{per_function - per_function_answered} throttled and retried",
    )
    answered_ops: Counter[tuple[str, str]] = Counter()
    for (_, _, service, operation), count in reporter.answered.items():
        answered_ops[(service, operation)] += count
    listings = sum(c for (s, o), c in answered_ops.items() if s == "lambda" and o in QUALIFIER_LISTINGS)
    # one unqualified GetPolicy per function; the rest asked for a version's or an alias's policy
    qualified = max(0, answered_ops[("lambda", "GetPolicy")] - len(reporter.functions))
    _line(
        "added by version/alias policy reads (issue 12)",
        f"{listings + qualified} calls = {listings} ListAliases/ListVersionsByFunction + {qualified} "
        f"GetPolicy with Qualifier ({(listings + qualified) / n:.2f} per function)",
    )
    _line("Lambda calls per function", f"{lambda_all / n:.2f} (with ListFunctions, GetAccountSettings)")
    _line("API calls per function, all services", f"{total / n:.2f}")
    _line(
        "completeness",
        f"{len(reporter.functions & seeded)}/{len(seeded)} functions, {errors} coverage errors",
    )
    _line("peak RSS", f"crawler process {rss[0]:.0f} MB, server process {rss[1]:.0f} MB")
    _line("CPU during the crawl", f"crawler {reporter.cpu:.0f} s, server {reporter.server_cpu:.0f} s")
    timed = reporter.answers
    _line(
        "server answer time (arrival to answer)",
        f"mean {timed.seconds / max(1, timed.answers) * 1000:.1f} ms over {timed.answers} answers",
    )
    late_ms = timed.late_seconds / max(1, timed.late) * 1000
    _line("  of which later than the latency", f"{timed.late} (by {late_ms:.0f} ms on average: moto's work)")

    print("\nlower bound (from the calls answered)")
    _line(
        "calls x latency / workers",
        f"{bound.latency:.1f} s ({answered} x {args.latency_ms:.0f} ms / {args.workers})",
    )
    _line("longest chain within a unit", f"{bound.chain:.1f} s")
    _line("rate limit: busiest account-region / limit", f"{bound.rate:.1f} s")
    _line("EFFICIENCY (bound / wall)", f"{bound.value / reporter.wall:.2f} (target >= 0.75)")

    if floor is not None:
        # the server's own ceiling: the same crawl with no latency, no rate limit and many workers
        print("\nthis machine's own floor (the crawler and the moto server share its cores)")
        floor_calls = sum(floor.answered.values())
        _line(
            "server ceiling: no latency, no rate limit", f"{floor_calls / floor.wall:.0f} calls/s end to end"
        )
        _line("", f"(the same crawl in {floor.wall:.1f} s with {max(FLOOR_WORKERS, args.workers)} workers)")
        _line(
            "efficiency against max(bound, that floor)", f"{max(bound.value, floor.wall) / reporter.wall:.2f}"
        )
    if reference is None:
        return
    ref, chosen, crawlable = reference
    ref_answered = sum(ref.answered.values())
    print("\nsequential reference: one thread, accounts one after another, same collectors")
    if len(chosen) < crawlable:
        per_call = (ref.wall - ref.setup) / max(1, ref_answered)
        # discovery was measured in full; the crawl is scaled by the calls the whole crawl answered
        crawl_calls = sum(
            c
            for (_, _, s, o), c in reporter.answered.items()
            if s != "organizations" and (s, o) not in DISCOVERY
        )
        ref_wall = ref.setup + per_call * crawl_calls
        _line(
            "measured",
            f"{ref.wall:.1f} s: discovery {ref.setup:.1f} s + {len(chosen)} of {crawlable} accounts",
        )
        _line("", f"({ref_answered} answered calls, {per_call * 1000:.0f} ms per call)")
        _line(
            "EXTRAPOLATED full run",
            f"{ref_wall:.0f} s = discovery + {crawl_calls} calls x {per_call * 1000:.0f} ms",
        )
        _line("", f"extrapolated from {len(chosen)} accounts: {', '.join(chosen)}")
    else:
        ref_wall = ref.wall
        _line("wall", f"{ref.wall:.1f} s, all {crawlable} accounts (measured, not extrapolated)")
    crawled = {f for f in seeded if f[0] in set(chosen)}
    _line("completeness", f"{len(ref.functions & crawled)}/{len(crawled)} functions of the crawled accounts")
    _line("SPEED-UP (reference / reporter)", f"{ref_wall / reporter.wall:.1f}x (target >= 10x)")


if __name__ == "__main__":
    sys.exit(main())
