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
from reporter.aws import quotas
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
        "ListFunctionUrlConfigs",
        "ListProvisionedConcurrencyConfigs",
    }
)
CALLS_PER_FUNCTION = 4
"""Per function without versions or aliases (no provisioned-concurrency read); each version or
alias adds one GetPolicy with its Qualifier, a version also the provisioned-concurrency read."""
QUALIFIER_LISTINGS = frozenset({"ListAliases"})
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
                conn.send((_cpu_seconds(), _peak_rss_mb()))
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


@dataclass(frozen=True)
class Bound:
    latency: float
    chain: float
    rate: float
    slowest: str = ""

    @property
    def value(self) -> float:
        return max(self.latency, self.chain, self.rate)


def lower_bound(run: Run, latency_s: float, workers: int) -> Bound:
    """The issue's lower bound, from the calls the server answered (the work, not its waste).

    The quota term uses AWS's published quotas whether or not the simulator enforces them: the
    crawler paces itself by them either way, as it must against AWS."""
    answered = run.answered
    per_bucket: Counter[tuple[str, str, str, str]] = Counter()
    for (account, region, service, operation), n in answered.items():
        quota = quotas.quota_for(service, operation)
        if quota is not None and service not in ("sts", "organizations"):
            per_bucket[(account, quotas.quota_region(service, region), service, quota.bucket)] += n
    rate, slowest = 0.0, ""
    for (account, region, service, bucket), n in per_bucket.items():
        spec = quotas.quota_for(service, bucket)  # a bucket's name draws on that bucket
        assert spec is not None
        seconds = max(0.0, n - spec.burst) / spec.rate
        if seconds > rate:
            rate, slowest = seconds, f"{service} {bucket} in {account}/{region}: {n} calls"
    per_region = Counter((a, r) for a, r, _ in run.functions)
    per_function_calls: Counter[tuple[str, str]] = Counter()
    for (account, region, service, operation), n in answered.items():
        if service == "lambda" and operation in PER_FUNCTION:
            per_function_calls[(account, region)] += n
    steps = 0
    for row in run.coverage:
        arn = row["resource_arn"]
        if arn is not None and arn == arn:  # set (NaN, pandas' missing value, is not equal to itself)
            continue  # a narrower failure, not a unit
        calls = int(row["api_calls"])
        if row["collector"] == "lambda":
            # the per-function calls are spread over the collector's threads, chunk by chunk
            n = per_region[(row["account_id"], row["region"])]
            spread = per_function_calls[(row["account_id"], row["region"])]
            chunks = math.ceil(n / lambda_.CHUNK)
            threads = max(1, min(lambda_.FUNCTION_THREADS, chunks))
            longest = min(n, math.ceil(chunks / threads) * lambda_.CHUNK)  # functions one thread reads
            calls = calls - spread + math.ceil(spread * longest / max(1, n))
        steps = max(steps, calls)
    return Bound(
        latency=sum(answered.values()) * latency_s / workers,
        chain=steps * latency_s,
        rate=rate,
        slowest=slowest,
    )


def _is_unit(row: dict[str, Any]) -> bool:
    """A unit-wide coverage row (no resource: pandas' missing value is NaN, unequal to itself)."""
    arn = row["resource_arn"]
    return arn is None or arn != arn


def _line(label: str, value: str) -> None:
    print(f"  {label:<46} {value}")


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
    lost = [r for r in reporter.coverage if r["status"] == "error" and _is_unit(r)]
    unjudged = sum(1 for r in reporter.coverage if r["status"] == "error" and r["error_code"] == "Unread")
    bound = lower_bound(reporter, latency_s, args.workers)

    print("\nreporter: collect() = discovery, assume-role, crawl, inventory")
    _line("wall", f"{reporter.wall:.1f} s (of which discovery + assume-role {reporter.setup:.1f} s)")
    _line("API calls counted at the server", f"{total} ({total - answered} throttled or faulted)")
    _line(
        "Lambda per-function calls per function",
        f"{per_function_answered / n:.3f} answered (target <= 4, goal <= 3); "
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
        f"{listings + qualified} calls = {listings} ListAliases + {qualified} "
        f"GetPolicy with Qualifier ({(listings + qualified) / n:.2f} per function)",
    )
    _line("Lambda calls per function", f"{lambda_all / n:.2f} (with ListFunctions, GetAccountSettings)")
    _line("API calls per function, all services", f"{total / n:.2f}")
    _line(
        "COMPLETENESS",
        f"{len(reporter.functions & seeded)}/{len(seeded)} functions "
        f"({100 * len(reporter.functions & seeded) / n:.1f} %), {errors} coverage errors",
    )
    _line("LOST UNITS (unit-wide error rows)", f"{len(lost)}; unjudged functions {unjudged}")
    slowest = sorted((r for r in reporter.coverage if _is_unit(r)), key=lambda r: -float(r["seconds"]))[:4]
    print("  slowest units (seconds, calls):")
    for r in slowest:
        unit = f"{r['account_id']}/{r['region']}/{r['collector']}"
        print(f"    {unit:<56} {float(r['seconds']):>7.1f} s {r['api_calls']:>6}")
    print("  calls by API (all / throttled or faulted):")
    faulted_ops: Counter[tuple[str, str]] = Counter()
    for (_, _, service, operation), count in reporter.faulted.items():
        faulted_ops[(service, operation)] += count
    for (service, operation), count in sorted(ops.items(), key=lambda kv: -kv[1]):
        print(f"    {service + ' ' + operation:<56} {count:>7} / {faulted_ops[(service, operation)]}")
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
    _line("slowest (account, region, API) published quota", f"{bound.rate:.1f} s ({bound.slowest})")
    _line("LOWER BOUND", f"{bound.value:.1f} s")
    _line("EFFICIENCY (bound / wall)", f"{bound.value / reporter.wall:.2f} (target >= 0.75; large >= 0.7)")

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
