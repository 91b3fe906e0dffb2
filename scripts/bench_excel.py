"""Benchmark the Excel workbook: python scripts/bench_excel.py [--findings N] [--accounts N] [--out FILE].

Builds a ReportModel from synthetic rows judged by the real catalog, weights and scoring
(tests.render.synthetic), writes compliance-report.xlsx and
prints the seconds of each step and the process's peak resident memory. Target for 100,000
findings on 2 cores: write ≤ 20 s, peak RSS ≤ 500 MB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from reporter.render.excel.workbook import FILE_NAME, write_workbook

# The synthetic models are test fixtures (tests/render/synthetic.py): a benchmark runs from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.render.synthetic import synthetic_model  # noqa: E402


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=12)
    parser.add_argument("--history", action="store_true", help="fill the trend (6 runs) and deltas")
    parser.add_argument("--out", type=Path, help="keep the workbook here (default: a temporary directory)")
    args = parser.parse_args(argv)

    start, cpu_start = time.perf_counter(), _cpu_seconds()
    model = synthetic_model(findings=args.findings, accounts=args.accounts, with_history=args.history)
    built, cpu_built = time.perf_counter(), _cpu_seconds()
    rss_model = _peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.out or Path(tmp) / FILE_NAME
        write_workbook(model, path)
        written, cpu_written = time.perf_counter(), _cpu_seconds()
        size_mb = path.stat().st_size / (1024 * 1024)
    listed = int(model.findings["status"].astype(object).isin(("fail", "error", "waived")).sum())
    print(f"findings           {len(model.findings):>10,}  ({listed:,} on the Findings sheet)")
    print(f"functions / roles  {len(model.functions):>10,} / {len(model.roles):,}")
    # CPU seconds next to wall-clock seconds: on a busy machine only the former is comparable.
    print(f"model build        {built - start:>10.2f} s   (CPU {cpu_built - cpu_start:.2f} s)")
    cpu_write = cpu_written - cpu_built
    print(f"workbook write     {written - built:>10.2f} s   (CPU {cpu_write:.2f} s, {size_mb:.1f} MB)")
    print(f"peak RSS           {_peak_rss_mb():>10.0f} MB  (after the model build: {rss_model:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
