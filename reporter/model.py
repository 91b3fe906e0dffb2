"""What the pipeline's stages hand each other: run metadata, score summaries, the history view.

Scoring, history and the renderers all read these; keeping them here lets the arrows run one way
(collect → judge → score → history → render) with no stage importing from a later one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

_TREND_FIELDS: list[pa.Field[pa.DataType]] = [
    pa.field("run_id", pa.string()),
    pa.field("run_at", pa.timestamp("us", tz="UTC")),
    pa.field("scope", pa.string()),  # organization | account
    pa.field("scope_id", pa.string()),
    pa.field("score", pa.float64()),
    pa.field("grade", pa.string()),
]
TREND_SCHEMA = pa.schema(_TREND_FIELDS)
_DELTA_FIELDS: list[pa.Field[pa.DataType]] = [
    pa.field("account_id", pa.string()),
    pa.field("account_name", pa.string()),
    pa.field("rule_id", pa.string()),
    pa.field("new", pa.int64()),
    pa.field("fixed", pa.int64()),
    pa.field("still_failing", pa.int64()),
    pa.field("score_delta", pa.float64()),
]
DELTA_SCHEMA = pa.schema(_DELTA_FIELDS)


@dataclass(frozen=True)
class RunMeta:
    """Scope and provenance of a run: what the auditor's "scope and method" section states."""

    organization_id: str
    caller_arn: str
    started_at: dt.datetime
    finished_at: dt.datetime
    tool_version: str
    schema_version: int
    rule_catalog_version: str
    """Version of the rule catalog (e.g. "v1") the findings were judged against."""
    accounts_targeted: int
    regions: tuple[str, ...]
    evidence_manifest_sha256: str
    """sha256 of evidence/manifest.json; the manifest holds the hash of every evidence file."""
    evidence_files: dict[str, str] = field(default_factory=dict)
    """Evidence file name → sha256."""
    waivers_sha256: str | None = None
    period: str = ""
    """The reporting period, e.g. "2026-11"."""
    demo: bool = False


@dataclass(frozen=True)
class ScoreSummary:
    """Score of one scope (DESIGN.md §5)."""

    score: float | None
    """0–100, None when nothing applicable was judged."""
    grade: str
    """A–F, or "n/a" when score is None."""
    counts: dict[str, int]
    """pass / fail / error / waived counts."""
    open_by_severity: dict[str, int]
    """Failing, non-waived findings per severity (critical, high, medium, low)."""


@dataclass(frozen=True)
class HistoryView:
    """What the history module hands the builder (filled from previous runs' snapshots)."""

    trend: pd.DataFrame
    """Columns of :data:`TREND_SCHEMA`, oldest run first."""
    deltas: pd.DataFrame
    """Columns of :data:`DELTA_SCHEMA`."""
    score_delta: Mapping[str, float] = field(default_factory=dict)
    """account_id → score change since the previous run (accounts scored both times), as
    :func:`reporter.scoring.score_change` defines it: the difference of the shown scores."""
    ou_score_delta: Mapping[str, float] = field(default_factory=dict)
    """ou_path → score change since the previous run."""
