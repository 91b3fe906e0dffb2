"""``python -m reporter scan PATH...``: the crawl's rules, run on infrastructure code before deploy.

files → templates/plans → inventory (reporter.iac.build) → the same rules engine → unresolved
values as error rows → waivers (matched on logical id or address: the findings' resource_id) →
findings.json/csv (the crawl's columns plus source, file, line, logical_id), SARIF, and a summary.

Rules whose data no template can hold (AWS Config state, account concurrency headroom) return no
row in a scan: they are listed as not applicable, never counted as passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from reporter.errors import UserError
from reporter.findings import FINDING_COLUMNS
from reporter.iac.build import Builder, Built
from reporter.iac.cfn_map import TemplateMapper
from reporter.iac.files import load_paths
from reporter.iac.model import Loaded, Problem
from reporter.iac.tf_map import map_plan
from reporter.iac.unresolved import apply_unknowns
from reporter.outputs import fail_on_exit, write_findings_csv, write_findings_json
from reporter.rules.catalog import Rule
from reporter.rules.engine import load_catalog, run_rules
from reporter.rules.error_rows import expanded_reads
from reporter.settings import SEVERITIES, Settings
from reporter.waivers import apply_waivers, load_waivers

SCAN_COLUMNS: tuple[str, ...] = (*FINDING_COLUMNS, "source", "file", "line", "logical_id")
"""findings.json/csv of a scan: the crawl's record, then where the resource is declared."""
NOT_IN_TEMPLATES: tuple[str, ...] = (
    "config_recorders",
    "config_rules",
    "config_compliance",
    "account_concurrency",
)
"""Tables only a live account fills: rules judged on them are not applicable to code."""
FORMATS = ("sarif", "json", "csv")


@dataclass(frozen=True)
class ScanOptions:
    paths: tuple[Path, ...]
    out: Path = Path("reports/iac")
    formats: tuple[str, ...] = FORMATS
    region: str = "us-east-1"
    partition: str = "aws"
    waivers: Path | None = None
    fail_on: str | None = None
    allow_empty: bool = False
    """No template or plan among the paths is a success (hooks pass every YAML/JSON file changed)."""
    settings: Settings = field(default_factory=Settings)


@dataclass
class ScanResult:
    exit_code: int
    findings: pd.DataFrame
    loaded: Loaded
    not_applicable: list[Rule]
    outputs: list[Path]
    summary: str


def not_applicable_rules(catalog: Sequence[Rule]) -> list[Rule]:
    return [r for r in catalog if expanded_reads(r.judged_on) & set(NOT_IN_TEMPLATES)]


def build(loaded: Loaded, region: str, partition: str = "aws") -> Built:
    """The inventory of everything loaded; a file that cannot be mapped is a problem, taken out whole."""
    builder = Builder(region=region, partition=partition)
    jobs: list[tuple[str, Callable[[], None]]] = [
        (t.path, TemplateMapper(builder, t.path, t.body, t.lines, t.labels).map) for t in loaded.templates
    ]
    jobs += [(p.path, partial(map_plan, builder, p)) for p in loaded.plans]
    for path, job in jobs:
        mark = builder.mark()
        try:
            job()
        except Exception as exc:  # bad input must be one line, never a traceback
            builder.rollback(mark)
            builder.problems.append(Problem(path, None, f"cannot be mapped: {type(exc).__name__}: {exc}"))
    return builder.finish()


def scan(options: ScanOptions) -> ScanResult:
    loaded = load_paths(options.paths, options.region, options.partition)
    if not loaded.templates and not loaded.plans and options.allow_empty and not loaded.problems:
        empty = pd.DataFrame(columns=list(SCAN_COLUMNS), dtype="string[pyarrow]")
        note = f"No template or plan among {len(loaded.skipped)} file(s): nothing to scan\n"
        return ScanResult(0, empty, loaded, [], [], note)
    if not loaded.templates and not loaded.plans:
        lines = [str(p) for p in loaded.problems]
        if loaded.skipped:
            lines.append(f"skipped (not a template or plan): {', '.join(loaded.skipped[:10])}")
        detail = ("\n  " + "\n  ".join(lines)) if lines else ""
        raise UserError(f"scan: nothing could be scanned in {', '.join(map(str, options.paths))}{detail}")
    catalog = load_catalog()
    waivers = load_waivers(options.waivers, [r.id for r in catalog]) if options.waivers else ()
    built = build(loaded, options.region, options.partition)
    loaded.problems += built.problems
    settings = options.settings
    findings = run_rules(built.inventory, settings, rules=catalog)
    findings = apply_unknowns(findings, built.unknowns, catalog, settings, built.inventory)
    findings, _report = apply_waivers(findings, waivers, settings.run_date)
    findings = _located(findings, built)
    outputs = _write(options, findings, catalog, built)
    na = not_applicable_rules(catalog)
    code = 1 if options.fail_on and fail_on_exit(findings, options.fail_on) else 0
    return ScanResult(code, findings, loaded, na, outputs, summary_text(findings, loaded, na, outputs))


def _located(findings: pd.DataFrame, built: Built) -> pd.DataFrame:
    out = findings.copy()
    arns = out["resource_arn"].astype(object).tolist()
    located = [built.locations.get(a) if isinstance(a, str) else None for a in arns]
    out["source"] = "iac"
    out["file"] = [loc.path if loc else None for loc in located]
    out["line"] = [str(loc.line) if loc and loc.line else None for loc in located]
    out["logical_id"] = [loc.logical_id if loc else None for loc in located]
    # for SARIF only: the name people know a resource by (CDK construct path, SAM source resource)
    out["label"] = [(loc.label or loc.logical_id) if loc else None for loc in located]
    return out.astype(dict.fromkeys(("source", "file", "line", "logical_id", "label"), "string[pyarrow]"))


def _write(options: ScanOptions, findings: pd.DataFrame, catalog: Sequence[Rule], built: Built) -> list[Path]:
    from reporter.iac.sarif import write_sarif

    written: list[Path] = []
    if not options.formats:
        return written
    options.out.mkdir(parents=True, exist_ok=True)
    if "sarif" in options.formats:
        na = [r.id for r in not_applicable_rules(catalog)]
        sarif = options.out / "findings.sarif"
        written.append(write_sarif(findings, catalog, sarif, na, built.role_locations))
    if "json" in options.formats:
        written.append(write_findings_json(findings, options.out / "findings.json", SCAN_COLUMNS))
    if "csv" in options.formats:
        written.append(write_findings_csv(findings, options.out / "findings.csv", SCAN_COLUMNS))
    return written


def summary_text(findings: pd.DataFrame, loaded: Loaded, na: Sequence[Rule], outputs: Sequence[Path]) -> str:
    counts = findings["status"].value_counts().to_dict()
    lines = [
        f"Scanned {len(loaded.scanned)} file(s): " + ", ".join(loaded.scanned),
        "Findings: " + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("pass", "fail", "waived", "error")),
    ]
    open_rows = findings[findings["status"].isin(["fail", "error", "waived"])]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    records = [
        {k: (None if pd.isna(v) else str(v)) for k, v in r.items()}
        for r in open_rows[
            ["file", "line", "severity", "rule_id", "status", "resource_id", "reason", "waiver_id"]
        ]
        .astype(object)
        .to_dict("records")
    ]
    records.sort(
        key=lambda r: (r["file"] or "", int(r["line"] or 0), rank.get(r["severity"] or "", 9), r["rule_id"])
    )
    for r in records:
        where = f"{r['file']}:{r['line']}" if r["line"] else str(r["file"])
        tag = (r["status"] or "").upper() if r["status"] != "fail" else (r["severity"] or "").upper()
        waiver = f" [waiver {r['waiver_id']}]" if r["status"] == "waived" else ""
        lines.append(f"  {where}: {tag} {r['rule_id']} {r['resource_id']}: {r['reason']}{waiver}")
    lines.append("Not applicable to code (need a live account): " + ", ".join(f"{r.id}" for r in na))
    if loaded.skipped:
        lines.append(f"Skipped (not a template or plan): {len(loaded.skipped)} file(s)")
        lines += [f"  {s}" for s in loaded.skipped]
    if loaded.problems:
        lines.append(f"Left out: {len(loaded.problems)} malformed file(s) or resource(s) (listed on stderr)")
    if outputs:
        lines.append("Outputs:")
        lines += [f"  {p}" for p in outputs]
    return "\n".join(lines) + "\n"
