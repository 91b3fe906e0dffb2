"""Benchmark IAM analysis, rules and scoring: python scripts/bench_rules.py [--mode both|shared|realistic].

Builds a synthetic inventory (default: 100,000 functions in 50 accounts × 4 regions; 20,000
execution roles, half of them with a boundary, plus 5,000 SSO and service-linked roles no function
uses; resource policies, URLs, subnets, Config, logs, alarms; a few failed coverage units), then
times three stages:

1. IAM analysis: reporter.iam.derive_role_tables(roles, policy_documents, execution roles), and,
   for comparison, the same over every role (the saving of analysing execution roles only)
2. rules: reporter.rules.engine.run_rules(inventory, settings)
3. scoring: reporter.scoring.score(findings, settings)

and prints wall-clock and CPU seconds per stage and the process's peak resident memory (on a busy
machine only CPU seconds are comparable). Targets on 2 cores: rules + scoring ≤ 5 s, IAM ≤ 10 s,
peak RSS ≤ 2 GB.

Modes: ``shared`` gives the roles' inline policies 200 distinct documents (the document cache's
best case); ``realistic`` gives every role its own document (20,000 distinct ones), as real
organizations do. ``both`` (default) runs each in its own process, so each peak RSS is its own.

``--scale 50000,250000,500000`` measures instead the rules stage's peak RSS by size, with and
without the bound (batches of ``--batch`` functions, DuckDB ``--memory-limit``), each in a fresh
process, checks the bounded peak against the ceiling it prints and extrapolates to 1,000,000
functions (scripts/bench_rules_scale.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from synthetic_inventory import DOCUMENTS, synthetic_inventory

from reporter.iam import action_database, derive_role_tables
from reporter.iam.catalog import load_catalog
from reporter.rules.engine import run_rules
from reporter.scoring import score
from reporter.settings import Settings

T = TypeVar("T")


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    start, cpu = time.perf_counter(), _cpu_seconds()
    result = work()
    wall = time.perf_counter() - start
    print(
        f"{label:<20} {wall:>7.2f} s   (CPU {_cpu_seconds() - cpu:.2f} s, peak RSS {_peak_rss_mb():.0f} MB)"
    )
    return result, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--functions", type=int, default=100_000)
    parser.add_argument("--roles", type=int, default=20_000)
    parser.add_argument("--unused-roles", type=int, default=5_000, help="SSO/service-linked roles")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--mode", choices=("both", "shared", "realistic"), default="both")
    parser.add_argument("--skip-all-roles", action="store_true", help="do not time the every-role analysis")
    parser.add_argument(
        "--scale",
        metavar="SIZES",
        help="instead: the rules stage's peak RSS at these function counts (comma-separated), "
        "unbounded and bounded, extrapolated to 1,000,000 (scripts/bench_rules_scale.py)",
    )
    parser.add_argument("--batch", type=int, default=50_000, help="--scale: functions a batch (bounded)")
    parser.add_argument("--memory-limit", default="1GB", help="--scale: DuckDB memory_limit (bounded)")
    args = parser.parse_args(argv)
    if args.scale:
        from bench_rules_scale import scale

        try:
            sizes = [int(s.replace("_", "")) for s in args.scale.split(",")]
        except ValueError:
            parser.error(f"--scale: {args.scale!r} is not a comma-separated list of counts")
        return scale(sizes, args.batch, args.memory_limit, None)
    if args.mode == "both":
        # one process per mode: peak RSS is per process
        raw = list(argv if argv is not None else sys.argv[1:])
        for mode in ("shared", "realistic"):
            print(f"=== mode {mode} ===", flush=True)
            done = subprocess.run([sys.executable, __file__, *raw, "--mode", mode], check=False)
            if done.returncode:
                return done.returncode
        return 0
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    settings = Settings(run_date=dt.date(2026, 11, 28))
    documents = args.roles if args.mode == "realistic" else DOCUMENTS
    inventory, _ = _timed(
        "build inventory",
        lambda: synthetic_inventory(
            args.functions, args.roles, args.accounts, documents=documents, unused_roles=args.unused_roles
        ),
    )
    functions, roles = len(inventory["functions"]), len(inventory["roles"])
    distinct = inventory["policy_documents"]["document"].nunique()
    print(f"{'':<20} {functions:,} functions, {roles:,} roles, {distinct:,} distinct policy documents")
    # loaded once per process: timed apart so both IAM passes below start from the same state
    _timed("0. action database", lambda: (action_database(), load_catalog()))
    execution = inventory["functions"]["role_arn"].dropna().unique()
    print(f"{'':<20} {len(execution):,} execution roles analysed, {roles - len(execution):,} read only")
    derived, iam_s = _timed(
        "1. IAM analysis",
        lambda: derive_role_tables(inventory["roles"], inventory["policy_documents"], execution),
    )
    for name, table in derived.items():
        inventory[name] = table
    findings, rules_s = _timed("2. rules", lambda: run_rules(inventory, settings))
    print(f"{'':<20} {len(findings):,} findings {findings['status'].value_counts().to_dict()}")
    _, score_s = _timed("3. scoring", lambda: score(findings, settings))
    peak = _peak_rss_mb()
    if not args.skip_all_roles:
        _, all_s = _timed(
            "1b. IAM, every role",
            lambda: derive_role_tables(inventory["roles"], inventory["policy_documents"]),
        )
        print(f"execution roles only saves {all_s - iam_s:.2f} s of {all_s:.2f} s")
    print(f"[{args.mode}] rules + scoring {rules_s + score_s:>7.2f} s   (target ≤ 5 s)")
    print(f"[{args.mode}] IAM analysis    {iam_s:>7.2f} s   (target ≤ 10 s)")
    print(f"[{args.mode}] peak RSS        {peak:>7.0f} MB  (target ≤ 2048 MB; before the every-role pass)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
