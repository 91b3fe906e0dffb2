"""Benchmark the PDFs: python scripts/bench_pdf.py [--findings N] [--accounts N] [--history] [--out DIR].

Builds a ReportModel from synthetic rows judged by the real catalog, weights and scoring
(tests.render.synthetic), writes audit-report.pdf and
scorecard.pdf, and prints the seconds and pages of each and the process's peak resident memory.
Target for 100,000 findings on 2 cores: both PDFs together ≤ 30 s; the audit report < 60 pages.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from reporter.render.pdf.render import AUDIT_PAGE_LIMIT, write_audit_report, write_scorecard

# The synthetic models are test fixtures (tests/render/synthetic.py): a benchmark runs from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.render.synthetic import synthetic_model  # noqa: E402


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=55)
    parser.add_argument("--history", action="store_true", help="fill the trend (6 runs) and deltas")
    parser.add_argument("--hostile", action="store_true", help="plant markup, long and non-ASCII names")
    parser.add_argument("--out", type=Path, help="keep the PDFs in this directory (default: a temporary one)")
    args = parser.parse_args(argv)

    start, cpu_start = time.perf_counter(), time.process_time()
    model = synthetic_model(
        findings=args.findings, accounts=args.accounts, with_history=args.history, hostile_names=args.hostile
    )
    built, cpu_built = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        audit_pages = write_audit_report(model, out / "audit-report.pdf")
        audited = time.perf_counter()
        scorecard_pages = write_scorecard(model, out / "scorecard.pdf")
        done, cpu_done = time.perf_counter(), time.process_time()
        sizes = {name: (out / name).stat().st_size for name in ("audit-report.pdf", "scorecard.pdf")}

    audit_kib, scorecard_kib = sizes["audit-report.pdf"] / 1024, sizes["scorecard.pdf"] / 1024
    print(f"findings          {args.findings:,} over {args.accounts} accounts")
    print(f"model             {built - start:6.2f} s  (CPU {cpu_built - cpu_start:.2f} s)")
    print(f"audit-report.pdf  {audited - built:6.2f} s  {audit_pages} pages  {audit_kib:,.0f} KiB")
    print(f"scorecard.pdf     {done - audited:6.2f} s  {scorecard_pages} pages  {scorecard_kib:,.0f} KiB")
    # CPU seconds next to wall seconds: on a shared machine the wall clock includes waiting for a core.
    print(f"both PDFs         {done - built:6.2f} s  (CPU {cpu_done - cpu_built:.2f} s)")
    print(f"peak RSS          {_peak_rss_mb():6.0f} MB")
    if args.out:
        print(f"written to        {args.out}")
    within = audit_pages <= AUDIT_PAGE_LIMIT and scorecard_pages <= 2
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
