"""Judging at scale: the rules stage's memory by inventory size, with and without the bound.

Run through ``python scripts/bench_rules.py --scale 50000,250000,500000``. For each size, one
process builds the synthetic inventory (scripts/synthetic_inventory.py: 200 functions an account,
a role per 5 functions) and writes it as Parquet; then, per variant, a fresh process reads it and
runs the rules stage: reporter.rules.derive.derive (IAM analysis, public statements) and
reporter.rules.engine.run_rules (DuckDB rules, error rows, the findings frame). The peak is the
kernel's high-water mark of resident memory (VmHWM), reset once the inventory is loaded, so it
is the stage's peak with the inventory in memory, never the build's.

Variants: ``unbounded`` (the defaults: one batch, DuckDB's own limit of 80 % of RAM) and
``bounded`` (accounts judged in batches of ``--batch`` functions, DuckDB capped at
``--memory-limit`` and spilling to a temporary directory). Both must give the same findings:
the digest of each frame is compared.

The ceiling the bounded run is held to: what the stage must hold whatever it does (the inventory
as loaded, its derived tables, the findings frame it returns) plus DuckDB's memory limit and a
fixed allowance for one batch's Arrow rows and the interpreter. Only the last two terms are the
bound's; the others grow with the organization, which the extrapolation to 1,000,000 says.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from synthetic_inventory import synthetic_inventory

from reporter.inventory import TABLES, Inventory
from reporter.rules.derive import derive
from reporter.rules.engine import run_rules
from reporter.settings import MEMORY_LIMIT, Settings

MACHINE_MB = 24 * 1024
"""This machine's memory (24 GB), shared with other work."""
ALLOWANCE_MB = 1024
"""One batch's rule rows before they join the findings, DuckDB's non-buffer memory, the
interpreter: a fixed term of the ceiling, independent of the organization's size."""
TARGET = 1_000_000


def _status_mb(key: str) -> float:
    text = Path("/proc/self/status").read_text()
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    if found is None:
        raise SystemExit(f"/proc/self/status has no {key}: this benchmark needs Linux")
    return int(found.group(1)) / 1024


def build(functions: int, directory: Path) -> None:
    """Write the synthetic inventory of ``functions`` functions as one Parquet file a table."""
    inventory = synthetic_inventory(
        functions, max(functions // 5, 1), max(functions // 200, 1), unused_roles=functions // 20
    )
    directory.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        if name not in ("role_facts", "role_permissions"):  # derived in the stage itself
            pq.write_table(
                pa.Table.from_pandas(inventory[name], preserve_index=False), directory / f"{name}.parquet"
            )


def judge(directory: Path, settings: Settings) -> dict[str, Any]:
    """The stage over the stored inventory, in this (fresh) process: seconds, MB and a digest."""
    inventory = Inventory()
    for path in sorted(directory.glob("*.parquet")):
        inventory[path.stem] = pq.read_table(path).to_pandas(types_mapper=pd.ArrowDtype)
    gc.collect()
    loaded = _status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux ≥ 4.0)
    start = time.perf_counter()
    derived = derive(inventory)
    derived_mb = sum(
        int(derived[t].memory_usage(deep=True).sum()) for t in ("role_facts", "role_permissions")
    )
    findings = run_rules(derived, settings)
    wall = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    hashes = pd.util.hash_pandas_object(findings.astype(str), index=False).to_numpy()
    return {
        "functions": len(inventory["functions"]),
        "findings": len(findings),
        "wall_s": wall,
        "loaded_mb": loaded,
        "derived_mb": derived_mb / 2**20,
        "findings_mb": int(findings.memory_usage(deep=True).sum()) / 2**20,
        "peak_mb": peak,
        "digest": hashlib.sha256(hashes.tobytes()).hexdigest()[:16],
    }


def _child(argv: list[str]) -> dict[str, Any] | None:
    done = subprocess.run([sys.executable, __file__, *argv], check=False, capture_output=True, text=True)
    if done.returncode:
        print(f"  failed ({' '.join(argv[:2])}): {done.stderr.strip().splitlines()[-1:]}", flush=True)
        return None
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def scale(sizes: list[int], batch: int, memory_limit: str, spill_root: Path | None) -> int:
    """Each size in its own processes; print per-size figures, the extrapolation and the ceiling."""
    limit_mb = _limit_mb(memory_limit)
    print(
        f"rules stage (derive + run_rules + findings frame); bounded = batches of {batch:,} functions, "
        f"DuckDB memory_limit {memory_limit}; allowance {ALLOWANCE_MB} MB",
        flush=True,
    )
    print(
        f"{'functions':>10} {'variant':<10} {'wall s':>7} {'findings':>11} {'inventory':>10} "
        f"{'findings MB':>11} {'peak RSS':>9} {'ceiling':>8} {'stage peak - findings':>22}  digest"
    )
    peaks: dict[tuple[int, str], float] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-rules-scale-", dir=spill_root) as tmp:
        for size in sizes:
            directory = Path(tmp) / f"inventory-{size}"
            if _child(["build", str(size), str(directory)]) is None:
                return 1
            digests = set()
            for variant in ("unbounded", "bounded"):
                extra = (
                    ["--batch", str(batch), "--memory-limit", memory_limit] if variant == "bounded" else []
                )
                row = _child(["judge", str(directory), *extra])
                if row is None:
                    failed = True
                    continue
                needed = row["loaded_mb"] + row["derived_mb"] + row["findings_mb"]
                ceiling = needed + limit_mb + ALLOWANCE_MB
                over = " OVER" if variant == "bounded" and row["peak_mb"] > ceiling else ""
                failed |= bool(over)
                peaks[(size, variant)] = row["peak_mb"]
                digests.add(row["digest"])
                print(
                    f"{row['functions']:>10,} {variant:<10} {row['wall_s']:>7.1f} {row['findings']:>11,} "
                    f"{row['loaded_mb']:>7.0f} MB {row['findings_mb']:>8.0f} MB {row['peak_mb']:>6.0f} MB "
                    f"{ceiling:>5.0f} MB {row['peak_mb'] - needed:>19.0f} MB  {row['digest']}{over}",
                    flush=True,
                )
            if len(digests) > 1:
                print(f"  {size:,}: the variants' findings differ", flush=True)
                failed = True
            for path in directory.glob("*"):
                path.unlink()
    _extrapolate(sizes, peaks)
    return 1 if failed else 0


def _extrapolate(sizes: list[int], peaks: dict[tuple[int, str], float]) -> None:
    """Linear in the functions from the two largest sizes (memory here grows with the rows)."""
    top = sorted(sizes)[-2:]
    if len(top) < 2:
        return
    for variant in ("unbounded", "bounded"):
        if (top[0], variant) not in peaks or (top[1], variant) not in peaks:
            continue
        low, high = peaks[(top[0], variant)], peaks[(top[1], variant)]
        slope = (high - low) / (top[1] - top[0])
        at_target = high + slope * (TARGET - top[1])
        verdict = "passes" if at_target > MACHINE_MB else "stays under"
        print(
            f"{variant:<10} extrapolated peak at {TARGET:,} functions: {at_target:,.0f} MB "
            f"({slope * 1000:.2f} MB per 1,000 functions): {verdict} this machine's {MACHINE_MB:,} MB"
        )


def _limit_mb(limit: str) -> float:
    """MiB in a DuckDB size: KB, MB, GB, TB are powers of 1000, KiB … TiB of 1024."""
    size = MEMORY_LIMIT.match(limit)
    if size is None:
        raise SystemExit(f"--memory-limit: {limit!r} is not a size like 4GB")
    number, unit = size.groups()
    base = 1024 if "i" in unit.lower() else 1000
    return float(number) * base ** ("KMGT".index(unit[0].upper()) + 1) / 2**20


def main(argv: list[str]) -> int:
    if argv[0] == "build":
        build(int(argv[1]), Path(argv[2]))
        return 0
    if argv[0] == "judge":
        settings = Settings(run_date=dt.date(2026, 11, 28))
        if "--batch" in argv:
            settings = Settings(
                run_date=settings.run_date,
                rules_partition_functions=int(argv[argv.index("--batch") + 1]),
                rules_memory_limit=argv[argv.index("--memory-limit") + 1],
            )
        print(json.dumps(judge(Path(argv[1]), settings)))
        return 0
    raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
