"""Findings in the formats security tools ingest: OCSF (findings.ocsf.json) and ASFF (findings.asff.json).

Fed from the findings frame, the rule catalog, the inventory (resource tags) and the history root
(first/last seen, fixed findings). Which rows go out and how they are identified across runs:
:mod:`reporter.export.records`; the formats: :mod:`reporter.export.ocsf`, :mod:`reporter.export.asff`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from reporter.export.asff import ASFF_FILE, build_findings, write_asff
from reporter.export.common import ExportContext
from reporter.export.ocsf import OCSF_FILE, build_events, write_ocsf
from reporter.export.records import earlier_runs, export_rows, tags_by_arn
from reporter.history.runs import load_runs
from reporter.inventory import Inventory
from reporter.model import RunMeta
from reporter.rules.catalog import catalog_frame

EXPORT_FORMATS: tuple[str, ...] = ("ocsf", "asff")

__all__ = ["ASFF_FILE", "EXPORT_FORMATS", "OCSF_FILE", "ExportContext", "prepare", "write_exports"]


def prepare(
    findings: pd.DataFrame,
    *,
    inventory: Inventory,
    meta: RunMeta,
    history_root: Path,
    securityhub_region: str | None = None,
) -> tuple[pd.DataFrame, ExportContext]:
    """The exported rows and the run context (shared by both formats)."""
    context = ExportContext.from_meta(meta, securityhub_region)
    # The history stage has already loaded (and warned about) these runs; stay quiet here.
    past = load_runs(history_root, warn=lambda _line: None)
    earlier = earlier_runs(past, meta.organization_id, context.run_at)
    rows = export_rows(
        findings,
        catalog=catalog_frame(),
        earlier=earlier,
        now=context.run_at,
        tags=tags_by_arn(inventory["functions"]),
        regions=meta.regions,
    )
    return rows, context


def write_exports(
    formats: Sequence[str],
    out: Path,
    *,
    findings: pd.DataFrame,
    inventory: Inventory,
    meta: RunMeta,
    history_root: Path,
    securityhub_region: str | None = None,
) -> list[Path]:
    """Write the requested export files into ``out``; returns their paths."""
    wanted = [f for f in EXPORT_FORMATS if f in formats]
    if not wanted:
        return []
    rows, context = prepare(
        findings,
        inventory=inventory,
        meta=meta,
        history_root=history_root,
        securityhub_region=securityhub_region,
    )
    written: list[Path] = []
    if "ocsf" in wanted:
        write_ocsf(build_events(rows, context), out / OCSF_FILE)
        written.append(out / OCSF_FILE)
    if "asff" in wanted:
        write_asff(build_findings(rows, context), out / ASFF_FILE)
        written.append(out / ASFF_FILE)
    return written
