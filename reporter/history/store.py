"""The on-disk record of one run in the history: what a run folder holds, writing and reading it.

A run folder (see :mod:`reporter.history.runs` for where they live)::

    scores.json        run time, period, versions; organization, OU, account, rule and section
                       scores and counts; name and sha256 of findings.parquet; whether evidence/ is kept
    findings.parquet   every finding (all statuses), only :data:`FINDINGS_COLUMNS`
    evidence/          a copy of the run's evidence snapshot (the audit trail)

Reading validates everything it uses: scores.json must parse and have the expected types, and
findings.parquet must match the sha256 scores.json records (a truncated or edited file never
feeds a delta). Any problem is an :class:`UnusableRun` whose message says why in a few words.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reporter.errors import UserError
from reporter.history.compare import RunScores
from reporter.model import RunMeta, ScoreSummary
from reporter.scoring import SCORE_COLUMNS, Scores
from reporter.snapshot import MANIFEST, sha256_file

SCORES_FILE = "scores.json"
FINDINGS_FILE = "findings.parquet"
EVIDENCE_DIR = "evidence"
FORMAT = "reporter-history-run"
FORMAT_VERSION = 1

FINDINGS_COLUMNS: tuple[str, ...] = (
    "rule_id",
    "account_id",
    "account_name",
    "ou_path",
    "region",
    "resource_type",
    "resource_id",
    "resource_arn",
    "status",
    "severity",
)
"""The columns of findings.parquet: the match key, status, and what names a finding to a reader."""


@dataclass(frozen=True, eq=False)
class PastRun(RunScores):
    """An earlier run read back from its folder (scores in memory, findings read on demand)."""

    path: Path
    period: str
    organization_id: str
    tool_version: str
    rules: pd.DataFrame
    sections: pd.DataFrame
    findings_sha256: str

    def findings(self) -> pd.DataFrame:
        """findings.parquet (:data:`FINDINGS_COLUMNS`); verified when the run was loaded."""
        path = self.path / FINDINGS_FILE
        try:
            return pq.read_table(path, columns=list(FINDINGS_COLUMNS)).to_pandas(types_mapper=pd.ArrowDtype)
        except (OSError, pa.ArrowException) as exc:
            # Only reachable if the file changed after load_run verified it.
            raise UserError(f"{path}: cannot read an earlier run's findings: {one_line(exc)}") from None


def write_run_files(
    directory: Path,
    run_id: str,
    *,
    findings: pd.DataFrame,
    scores: Scores,
    meta: RunMeta,
    evidence_dir: Path | None,
) -> None:
    """Fill an empty ``directory`` with one run's files; scores.json last (it makes a folder a run)."""
    findings_sha = _write_findings(findings, directory / FINDINGS_FILE)
    if evidence_dir is not None:
        shutil.copytree(evidence_dir, directory / EVIDENCE_DIR)
    document = _scores_document(run_id, findings, scores, meta, findings_sha, evidence_dir is not None)
    (directory / SCORES_FILE).write_text(
        json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )


def _write_findings(findings: pd.DataFrame, path: Path) -> str:
    missing = [c for c in FINDINGS_COLUMNS if c not in findings.columns]
    if missing:
        raise ValueError(f"findings lack columns {missing}")
    table = pa.table({c: pa.array(findings[c], type=pa.string(), from_pandas=True) for c in FINDINGS_COLUMNS})
    pq.write_table(table, path, compression="zstd")
    return sha256_file(path)


def _scores_document(
    run_id: str, findings: pd.DataFrame, scores: Scores, meta: RunMeta, findings_sha: str, evidence: bool
) -> dict[str, Any]:
    # Scores.accounts has no names; keep them so a later run can name an account that is gone.
    named = findings[["account_id", "account_name", "ou_path"]].drop_duplicates("account_id")
    accounts = scores.accounts.merge(
        named.astype(object), on="account_id", how="left", validate="1:1", sort=False
    )
    org = scores.organization
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "run_id": run_id,
        "run_at": utc(meta.finished_at).isoformat(),
        "started_at": utc(meta.started_at).isoformat(),
        "period": meta.period,
        "organization_id": meta.organization_id,
        "tool_version": meta.tool_version,
        "schema_version": meta.schema_version,
        "rule_catalog_version": meta.rule_catalog_version,
        "demo": meta.demo,
        "evidence_manifest_sha256": meta.evidence_manifest_sha256,
        "evidence": EVIDENCE_DIR if evidence else None,
        "findings": {"file": FINDINGS_FILE, "sha256": findings_sha, "rows": len(findings)},
        "organization": {
            "score": org.score,
            "grade": org.grade,
            "counts": dict(org.counts),
            "open_by_severity": dict(org.open_by_severity),
        },
        "accounts": _records(accounts, ["account_id", "account_name", "ou_path", *SCORE_COLUMNS]),
        "ous": _records(scores.ous, ["ou_path", *SCORE_COLUMNS]),
        "rules": _records(scores.rules, ["rule_id", *SCORE_COLUMNS]),
        "sections": _records(scores.sections, ["guide_section", *SCORE_COLUMNS]),
    }


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """JSON-ready rows: NA → null, numpy scalars → Python (floats keep full precision)."""
    values = {c: [_plain(v) for v in frame[c].astype(object)] for c in columns}
    return [dict(zip(columns, row, strict=True)) for row in zip(*values.values(), strict=True)]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


class UnusableRun(Exception):
    """A run folder that cannot be used; the message says why, in a few words."""


def read_run(run_dir: Path) -> PastRun:
    """Read and validate one run folder; :class:`UnusableRun` says what is wrong with it."""
    if not run_dir.is_dir():
        raise UnusableRun("not a folder")
    scores_path = run_dir / SCORES_FILE
    try:
        document = json.loads(scores_path.read_bytes())
    except FileNotFoundError:
        raise UnusableRun(f"no {SCORES_FILE} (incomplete or not a run folder)") from None
    except (OSError, ValueError) as exc:
        raise UnusableRun(f"unreadable {SCORES_FILE}: {one_line(exc)}") from None
    try:
        return _parse_run(run_dir, document)
    except (KeyError, TypeError, ValueError) as exc:
        raise UnusableRun(f"malformed {SCORES_FILE}: {one_line(exc)}") from None


def _parse_run(run_dir: Path, doc: Any) -> PastRun:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UnusableRun(f"{SCORES_FILE} is not a reporter history record")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise UnusableRun(f"record format {version!r}, this tool reads {FORMAT_VERSION}")
    findings = _dict(doc["findings"], "findings")
    if findings.get("file") != FINDINGS_FILE:
        raise ValueError("findings.file is not findings.parquet")
    _verify_findings(run_dir / FINDINGS_FILE, _str(findings["sha256"], "findings.sha256"))
    if doc.get("evidence") is not None and not (run_dir / EVIDENCE_DIR / MANIFEST).is_file():
        raise UnusableRun(f"its {EVIDENCE_DIR}/ folder is missing or incomplete")
    return PastRun(
        run_id=_str(doc["run_id"], "run_id"),
        run_at=_time(doc["run_at"], "run_at"),
        organization=_summary(_dict(doc["organization"], "organization")),
        accounts=_scopes(doc["accounts"], "accounts", "account_id"),
        ous=_scopes(doc["ous"], "ous", "ou_path"),
        path=run_dir,
        period=_str(doc.get("period", ""), "period"),
        organization_id=_str(doc["organization_id"], "organization_id"),
        tool_version=_str(doc["tool_version"], "tool_version"),
        rules=_scopes(doc["rules"], "rules", "rule_id"),
        sections=_scopes(doc["sections"], "sections", "guide_section"),
        findings_sha256=findings["sha256"],
    )


def _verify_findings(path: Path, expected: str) -> None:
    try:
        actual = sha256_file(path)
    except FileNotFoundError:
        raise UnusableRun(f"no {FINDINGS_FILE} (incomplete run)") from None
    except OSError as exc:
        raise UnusableRun(f"unreadable {FINDINGS_FILE}: {one_line(exc)}") from None
    if actual != expected:
        raise UnusableRun(
            f"{FINDINGS_FILE} does not match the sha256 in {SCORES_FILE} (modified or truncated)"
        )
    try:
        names = set(pq.read_schema(path).names)
    except (OSError, pa.ArrowException) as exc:
        raise UnusableRun(f"unreadable {FINDINGS_FILE}: {one_line(exc)}") from None
    missing = [c for c in FINDINGS_COLUMNS if c not in names]
    if missing:
        raise UnusableRun(f"{FINDINGS_FILE} lacks columns {missing}")


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{what} is not an object")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} is not a string")
    return value


def _score(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ValueError(f"{what} is not a score from 0 to 100")
    return float(value)


def _counts(value: Any, what: str) -> dict[str, int]:
    counts = _dict(value, what)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        raise TypeError(f"{what} has a count that is not an integer")
    return {str(k): int(v) for k, v in counts.items()}


def _time(value: Any, what: str) -> dt.datetime:
    at = dt.datetime.fromisoformat(_str(value, what))
    if at.tzinfo is None:
        raise ValueError(f"{what} has no time zone")
    return at.astimezone(dt.UTC)


def _summary(org: dict[str, Any]) -> ScoreSummary:
    return ScoreSummary(
        score=_score(org["score"], "organization.score"),
        grade=_str(org["grade"], "organization.grade"),
        counts=_counts(org["counts"], "organization.counts"),
        open_by_severity=_counts(org["open_by_severity"], "organization.open_by_severity"),
    )


def _scopes(rows: Any, what: str, key: str) -> pd.DataFrame:
    """A scope list of scores.json as a frame: ``key``, score (Float64), grade, the other fields."""
    if not isinstance(rows, list):
        raise TypeError(f"{what} is not a list")
    for i, item in enumerate(rows):
        row = _dict(item, f"{what}[{i}]")
        _str(row[key], f"{what}[{i}].{key}")
        _score(row["score"], f"{what}[{i}].score")
        _str(row["grade"], f"{what}[{i}].grade")
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=[key, "score", "grade"])
    if frame[key].duplicated().any():
        raise ValueError(f"{what} lists a {key} twice")
    return frame.astype({key: "str", "score": "Float64", "grade": "str"})


def utc(at: dt.datetime) -> dt.datetime:
    """``at`` in UTC; a naive time is taken as UTC already."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
