"""The crawl benchmark's figures: the issue's lower bound and the printed report."""

from __future__ import annotations

import argparse
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reporter.aws import quotas
from reporter.collectors import lambda_
from reporter.demo.faults import AnswerTimes
from reporter.demo.remote import Key, ServerInfo

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


def report(
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


def compare_executors(executor: str, info: ServerInfo, local: Run, other: Run) -> None:
    """The same crawl on another executor, in the same run: completeness first, then wall time."""
    seeded = set(info.functions)
    n = max(1, len(seeded))
    print(f"\nexecutor {executor} against local threads (same organization, plan and quotas)")
    for label, run in (("local", local), (executor, other)):
        units = [r for r in run.coverage if _is_unit(r)]
        retried = sum(1 for r in units if "retried" in str(r.get("message") or ""))
        _line(
            f"{label}: wall / COMPLETENESS",
            f"{run.wall:.1f} s / {len(run.functions & seeded)}/{len(seeded)} functions "
            f"({100 * len(run.functions & seeded) / n:.1f} %), "
            f"{sum(1 for r in units if r['status'] == 'error')} unit errors, {retried} retried, "
            f"{sum(run.answered.values())} answered calls",
        )
    _line(
        "wall ratio (executor / local)", f"{other.wall / max(local.wall, 1e-9):.2f} (cluster start included)"
    )
