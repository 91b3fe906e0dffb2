"""Month-over-month history: every run is recorded under a history root; earlier runs give the trend
and the deltas of the report (what is new, fixed, still failing; score changes).

On disk, one folder per run, named by the run's finish time (:func:`run_id_for`)::

    <history root>/runs/<run id>/      e.g. runs/2026-11-28T221700Z/
        scores.json  findings.parquet  evidence/      (what each holds: reporter.history.store)

A run folder is written under a hidden temporary name and renamed when complete, so a reader sees
a whole run or none; deletions rename first too. Names starting with "." under runs/ are such
writes or deletions in progress and are ignored. A run that does not validate is skipped with one
warning line (:func:`load_runs`) or refused with a one-line :class:`UserError` (:func:`load_run`,
for ``--compare``).

The arithmetic of the comparison lives in :mod:`reporter.history.compare`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from reporter.errors import UserError
from reporter.history.compare import (
    RunScores,
    account_names,
    deltas_frame,
    finding_changes,
    score_changes,
    trend_frame,
)
from reporter.history.store import (
    FINDINGS_COLUMNS,
    PastRun,
    UnusableRun,
    one_line,
    read_run,
    utc,
    write_run_files,
)
from reporter.model import HistoryView, RunMeta
from reporter.scoring import Scores
from reporter.snapshot import MANIFEST

__all__ = [
    "FINDINGS_COLUMNS",
    "PastRun",
    "history_view",
    "is_run_id",
    "load_run",
    "load_runs",
    "prune",
    "record_run",
    "run_id_for",
]

RUNS = "runs"
RUN_ID_FORMAT = "%Y-%m-%dT%H%M%SZ"
_RUN_ID = re.compile(r"\d{4}-\d{2}-\d{2}T\d{6}Z")


def run_id_for(finished_at: dt.datetime) -> str:
    """The run folder name: the finish time in UTC to the second, e.g. ``2026-11-28T221700Z``.

    Fixed width, so names sort chronologically; no ``:`` so it is a valid name on every file
    system. A naive time is taken as UTC. Two runs finishing in the same second share a name: the
    later record replaces the earlier (in practice a re-run over the same evidence).
    """
    return utc(finished_at).strftime(RUN_ID_FORMAT)


def is_run_id(name: str) -> bool:
    if not _RUN_ID.fullmatch(name):
        return False
    try:
        dt.datetime.strptime(name, RUN_ID_FORMAT)
    except ValueError:
        return False
    return True


# --- writing -------------------------------------------------------------------------------------


def record_run(
    history_root: Path,
    run_id: str,
    *,
    findings: pd.DataFrame,
    scores: Scores,
    meta: RunMeta,
    evidence_dir: Path | None,
) -> Path:
    """Write ``<history_root>/runs/<run_id>/`` atomically; returns its path.

    An existing folder of the same run id is replaced only once the new one is complete.
    """
    if not is_run_id(run_id):
        raise ValueError(f"not a run id: {run_id!r}")
    if evidence_dir is not None and not (evidence_dir / MANIFEST).is_file():
        raise UserError(f"{evidence_dir}: no evidence snapshot to keep in the history")
    runs = history_root / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    final = runs / run_id
    temp = Path(tempfile.mkdtemp(dir=runs, prefix=f".{run_id}.", suffix=".tmp"))
    try:
        write_run_files(temp, run_id, findings=findings, scores=scores, meta=meta, evidence_dir=evidence_dir)
        _swap_in(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return final


def _swap_in(temp: Path, final: Path) -> None:
    if not final.exists():
        os.rename(temp, final)
        return
    old = final.with_name(f".{final.name}.{secrets.token_hex(4)}.deleting")
    os.rename(final, old)
    os.rename(temp, final)
    shutil.rmtree(old, ignore_errors=True)


# --- reading -------------------------------------------------------------------------------------


def load_run(run_dir: Path) -> PastRun:
    """One run folder (``--compare DIR``); anything unusable is a one-line :class:`UserError`."""
    try:
        return read_run(run_dir)
    except UnusableRun as exc:
        raise UserError(f"{run_dir}: not a usable history run: {exc}") from None


def load_runs(history_root: Path, *, warn: Callable[[str], None]) -> list[PastRun]:
    """Every usable run under ``history_root``, oldest first.

    Each entry of runs/ that is not a usable run gets one ``warn`` line naming it and is skipped.
    """
    runs_dir = history_root / RUNS
    try:
        entries = sorted(runs_dir.iterdir()) if runs_dir.is_dir() else []
    except OSError as exc:
        warn(f"history: cannot list {runs_dir}: {one_line(exc)}; no earlier runs used")
        return []
    loaded: list[PastRun] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if not is_run_id(entry.name):
                raise UnusableRun("its name is not a run id")
            run = read_run(entry)
            if run.run_id != entry.name:
                raise UnusableRun(f"scores.json names run {run.run_id}")
        except UnusableRun as exc:
            warn(f"history: skipping {entry}: {exc}")
            continue
        loaded.append(run)
    return sorted(loaded, key=lambda r: (r.run_at, r.run_id))


# --- retention -----------------------------------------------------------------------------------


def prune(history_root: Path, keep: int, *, current_run_id: str) -> list[Path]:
    """Delete all but the newest ``keep`` runs (by run id, i.e. by time); returns the deleted folders.

    The current run is never deleted and does not take one of the ``keep`` places: re-rendering an
    old snapshot must not cost the newer runs their history. Only folders named like a run id are
    considered; anything else under runs/ is left alone.
    """
    if keep < 0:
        raise ValueError(f"keep must not be negative: {keep}")
    runs_dir = history_root / RUNS
    if not runs_dir.is_dir():
        return []
    names = sorted(p.name for p in runs_dir.iterdir() if p.is_dir() and is_run_id(p.name))
    kept = set(names[len(names) - keep :]) if keep else set()
    kept.add(current_run_id)
    deleted: list[Path] = []
    for name in names:
        if name in kept:
            continue
        path = runs_dir / name
        # Renamed first, so nobody ever reads a half-deleted run.
        trash = runs_dir / f".{name}.{secrets.token_hex(4)}.deleting"
        try:
            os.rename(path, trash)
        except OSError as exc:
            raise UserError(f"{path}: cannot remove old run: {one_line(exc)}") from None
        shutil.rmtree(trash, ignore_errors=True)
        deleted.append(path)
    # Leftovers of deletions interrupted earlier are already condemned; finish them.
    for leftover in runs_dir.glob(".*.deleting"):
        shutil.rmtree(leftover, ignore_errors=True)
    return deleted


# --- comparison ----------------------------------------------------------------------------------


def history_view(
    current_findings: pd.DataFrame,
    current_scores: Scores,
    current_meta: RunMeta,
    past: Sequence[PastRun],
    *,
    compare_to: PastRun | None = None,
) -> HistoryView | None:
    """Trend and deltas of this run against the previous run (or ``compare_to``); None without one.

    Only earlier runs of the same organization count (a history root shared by two organizations
    must not produce a delta between them); ``compare_to`` is the user's explicit choice and is
    used as given. The trend holds the earlier runs (plus ``compare_to`` when it is earlier and not
    among them) and this run last.
    """
    now_at = utc(current_meta.finished_at)
    now_id = run_id_for(now_at)
    earlier = [
        p
        for p in past
        if p.run_at < now_at and p.run_id != now_id and p.organization_id == current_meta.organization_id
    ]
    if (
        compare_to is not None
        and compare_to.run_at < now_at
        and compare_to.run_id not in {p.run_id for p in earlier}
    ):
        earlier.append(compare_to)
    earlier.sort(key=lambda r: (r.run_at, r.run_id))
    previous = compare_to if compare_to is not None else (earlier[-1] if earlier else None)
    if previous is None:
        return None

    previous_findings = previous.findings()
    names = {**account_names(previous_findings), **account_names(current_findings)}
    account_delta = score_changes(previous.accounts, current_scores.accounts, "account_id")
    current = RunScores(
        run_id=now_id,
        run_at=now_at,
        organization=current_scores.organization,
        accounts=current_scores.accounts,
        ous=current_scores.ous,
    )
    return HistoryView(
        trend=trend_frame([*earlier, current]),
        deltas=deltas_frame(finding_changes(previous_findings, current_findings), names, account_delta),
        score_delta=account_delta,
        ou_score_delta=score_changes(previous.ous, current_scores.ous, "ou_path"),
    )
