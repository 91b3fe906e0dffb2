"""Severity-weighted scores and grades per function, account, OU, organization, rule and guide section.

DESIGN.md §5. For one scope (a set of findings):

    score = 100 × (1 − Σ weight(fail) / Σ weight(pass + fail))

- ``waived`` findings are left out of both sums; ``error`` findings are left out too and reported
  in their own count (a finding that could not be judged is never a pass).
- No applicable finding (or applicable findings whose weights are all 0) → score ``None``,
  grade ``"n/a"``: there is nothing to divide by, and showing 100 would claim a pass nobody judged.
- Grades: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else F. An open (``fail``) critical finding caps the
  grade at C, so a scope with a public function can never look good on average.
- The score is computed as ``100·(applicable − failing) / applicable`` over integer weight sums:
  one correctly rounded division, so a scope that is exactly on a threshold (say 90) is never
  graded below it because of floating-point noise. Frames keep these exact values; only
  :func:`format_score` rounds, at presentation.

Every scope is computed from one count matrix ``counts[group, status, severity]`` built with
``np.bincount`` over factorized keys: no per-row Python, ~1 s for two million findings.

OU scope: a finding counts for its account's OU **and every ancestor OU** (``Root/Workloads``
includes the accounts of ``Root/Workloads/Prod``), so an OU's grade is the grade of everything
under it, as a leader reading the org chart expects. Findings without an ``ou_path`` count for the
organization but for no OU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reporter.findings import STATUSES
from reporter.model import ScoreSummary
from reporter.settings import SEVERITIES, Settings

GRADE_THRESHOLDS: tuple[tuple[str, float], ...] = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))
"""Lowest score of each grade, best first; below the last one the grade is F."""
LOWEST_GRADE = "F"
NO_GRADE = "n/a"
CRITICAL_CAP = "C"
"""Best grade a scope with an open critical finding can have."""

COUNT_COLUMNS: tuple[str, ...] = (*STATUSES, *SEVERITIES, "weight_applicable", "weight_failing")
"""Columns every scope frame carries after its key: status counts (pass, fail, error, waived),
open (failing) findings per severity, and the two weight sums the score is computed from."""
SCORE_COLUMNS: tuple[str, ...] = (*COUNT_COLUMNS, "score", "grade")

REQUIRED_COLUMNS: tuple[str, ...] = (
    "rule_id",
    "severity",
    "status",
    "account_id",
    "ou_path",
    "resource_type",
    "resource_arn",
    "guide_section",
)

_PASS, _FAIL = STATUSES.index("pass"), STATUSES.index("fail")
_CRITICAL = SEVERITIES.index("critical")
_NS, _NV = len(STATUSES), len(SEVERITIES)


@dataclass(frozen=True)
class Scores:
    """Scores of every scope. Each frame: its key column(s), then :data:`SCORE_COLUMNS`.

    ``score`` is nullable ``Float64`` (NA = nothing applicable) and exact; ``grade`` is A–F or n/a.
    Rows are sorted by key. Only scopes that have at least one finding appear.
    """

    functions: pd.DataFrame
    """Key ``function_arn``: findings whose resource_type is ``function``, by resource_arn."""
    accounts: pd.DataFrame
    """Key ``account_id``: every finding of the account (function, role, account-region …)."""
    ous: pd.DataFrame
    """Key ``ou_path``: findings of the OU and of all OUs below it."""
    rules: pd.DataFrame
    """Key ``rule_id``."""
    sections: pd.DataFrame
    """Key ``guide_section``."""
    organization: ScoreSummary


def score(findings: pd.DataFrame, settings: Settings) -> Scores:
    """Score ``findings`` (FINDING_COLUMNS + guide_section, statuses pass/fail/error/waived)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in findings.columns]
    if missing:
        raise ValueError(f"findings lack columns {missing}")
    weights = _weight_vector(settings.weights)
    cell = _cell_codes(findings)

    organization = np.bincount(cell, minlength=_NS * _NV).reshape(1, _NS, _NV)
    ou_keys, ou_counts = _rollup_ous(*_group_counts(findings["ou_path"], cell))
    is_function = (findings["resource_type"] == "function").fillna(False).to_numpy(dtype=bool)

    return Scores(
        functions=_scope_frame(
            "function_arn", *_group_counts(findings["resource_arn"][is_function], cell[is_function]), weights
        ),
        accounts=_scope_frame("account_id", *_group_counts(findings["account_id"], cell), weights),
        ous=_scope_frame("ou_path", ou_keys, ou_counts, weights),
        rules=_scope_frame("rule_id", *_group_counts(findings["rule_id"], cell), weights),
        sections=_scope_frame("guide_section", *_group_counts(findings["guide_section"], cell), weights),
        organization=_summary(organization[0], weights),
    )


def grade(score_value: float | None, open_critical: int) -> str:
    """The grade of one score (the same rule :func:`score` applies to whole frames)."""
    if score_value is None or math.isnan(score_value):
        return NO_GRADE
    letter = next((g for g, low in GRADE_THRESHOLDS if score_value >= low), LOWEST_GRADE)
    return _cap(letter) if open_critical > 0 else letter


def format_score(score_value: float | None) -> str:
    """A score as every renderer shows it (terminal, workbook, PDFs, chart labels and axes): one
    decimal, rounded down; ``"n/a"`` for no score.

    Rounds *down*, so the shown number never contradicts the grade: an exact 89.96 is a B and shows
    as 89.9, not 90.0.
    """
    if score_value is None or math.isnan(score_value):
        return NO_GRADE
    return f"{_tenths(score_value) / 10:.1f}"


def score_change(now: float, before: float) -> float:
    """How much a score moved, as people read it: the shown ``now`` minus the shown ``before``.

    So the change agrees with the two numbers on the page (84.3 → 84.2 is −0.1 even when the exact
    scores differ by 0.04). A whole number of tenths, exact up to float representation.
    """
    return (_tenths(now) - _tenths(before)) / 10


def format_delta(change: float) -> str:
    """A :func:`score_change` with its sign: "+9.6", "−0.1" (a real minus sign: a hyphen next to a
    number reads as a dash in print), "±0.0"."""
    tenths = round(change * 10)  # a change is whole tenths; round() only absorbs float noise
    if tenths == 0:
        return "±0.0"
    return f"{'+' if tenths > 0 else '−'}{abs(tenths) / 10:.1f}"


def _tenths(score_value: float) -> int:
    # The 1e-9 nudge undoes float noise: scores are ratios of integer weight sums, so a true value
    # is never within 1e-9 of a tenth without being on it.
    return math.floor(score_value * 10 + 1e-9)


# --- internals ---------------------------------------------------------------------------------


def _weight_vector(weights: dict[str, int]) -> np.ndarray:
    missing = [s for s in SEVERITIES if s not in weights]
    if missing:
        raise ValueError(f"weights lack severities {missing}")
    if any(int(weights[s]) < 0 for s in SEVERITIES):
        raise ValueError(f"weights must not be negative: {weights}")
    return np.array([int(weights[s]) for s in SEVERITIES], dtype=np.int64)


def _codes(column: pd.Series, categories: tuple[str, ...], what: str) -> np.ndarray:
    """Index of each value in ``categories``; factorize first so the lookup runs per distinct value."""
    codes, uniques = pd.factorize(column)
    lookup = np.array([categories.index(v) if v in categories else -1 for v in uniques], dtype=np.int64)
    unknown = sorted(str(v) for v in uniques if v not in categories)
    if unknown or (codes < 0).any():
        raise ValueError(f"findings have unknown or null {what} values {unknown[:5]}")
    return lookup[codes]


def _cell_codes(findings: pd.DataFrame) -> np.ndarray:
    """Per row, the index of its (status, severity) cell in a flattened 4×4 count block."""
    status = _codes(findings["status"], STATUSES, "status")
    severity = _codes(findings["severity"], SEVERITIES, "severity")
    return status * _NV + severity


def _group_counts(keys: pd.Series, cell: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    """Distinct non-null keys (sorted) and their ``counts[group, status, severity]``."""
    codes, uniques = pd.factorize(keys, sort=True)
    keep = codes >= 0
    block = _NS * _NV
    flat = np.bincount(codes[keep] * block + cell[keep], minlength=len(uniques) * block)
    return pd.Index(uniques), flat.reshape(len(uniques), _NS, _NV)


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _rollup_ous(paths: pd.Index, counts: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    """Add every OU's counts to each of its ancestors (loops over distinct OU paths only)."""
    pairs = [(ancestor, i) for i, path in enumerate(paths) for ancestor in _ancestors(str(path))]
    all_paths = pd.Index(sorted({a for a, _ in pairs}), dtype="str")
    target = all_paths.get_indexer(pd.Index([a for a, _ in pairs], dtype="str"))
    source = np.array([i for _, i in pairs], dtype=np.int64)
    rolled = np.zeros((len(all_paths), _NS, _NV), dtype=np.int64)
    if len(pairs):
        np.add.at(rolled, target, counts[source])
    return all_paths, rolled


_BETTER_THAN_CAP: tuple[str, ...] = tuple(
    g for g, _ in GRADE_THRESHOLDS[: [g for g, _ in GRADE_THRESHOLDS].index(CRITICAL_CAP)]
)
"""Grades an open critical finding takes away (A and B)."""


def _cap(letter: str) -> str:
    return CRITICAL_CAP if letter in _BETTER_THAN_CAP else letter


def _weighted(counts: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Applicable and failing weight sums and exact scores (NaN = nothing applicable)."""
    applicable = (counts[:, _PASS, :] + counts[:, _FAIL, :]) @ weights
    failing = counts[:, _FAIL, :] @ weights
    with np.errstate(divide="ignore", invalid="ignore"):
        # integer numerator and denominator: one correctly rounded division (see module doc)
        scores = np.where(applicable > 0, (100 * (applicable - failing)) / applicable, np.nan)
    return applicable, failing, scores


def _grades(counts: np.ndarray, scores: np.ndarray) -> np.ndarray:
    conditions = [scores >= low for _, low in GRADE_THRESHOLDS]
    letters = np.select(conditions, [g for g, _ in GRADE_THRESHOLDS], default=LOWEST_GRADE).astype(object)
    letters[(counts[:, _FAIL, _CRITICAL] > 0) & np.isin(letters, _BETTER_THAN_CAP)] = CRITICAL_CAP
    letters[np.isnan(scores)] = NO_GRADE
    return letters


def _scope_frame(key: str, keys: pd.Index, counts: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    applicable, failing, scores = _weighted(counts, weights)
    data: dict[str, object] = {key: keys.astype("str")}
    by_status = counts.sum(axis=2)
    for i, status in enumerate(STATUSES):
        data[status] = by_status[:, i]
    for i, severity in enumerate(SEVERITIES):
        data[severity] = counts[:, _FAIL, i]
    data["weight_applicable"] = applicable
    data["weight_failing"] = failing
    data["score"] = pd.arrays.FloatingArray(np.nan_to_num(scores), np.isnan(scores))
    data["grade"] = pd.array(_grades(counts, scores), dtype="str")
    frame = pd.DataFrame(data)
    return frame.astype(dict.fromkeys(COUNT_COLUMNS, "int64"))


def _summary(counts: np.ndarray, weights: np.ndarray) -> ScoreSummary:
    block = counts.reshape(1, _NS, _NV)
    _, _, scores = _weighted(block, weights)
    value = None if np.isnan(scores[0]) else float(scores[0])
    return ScoreSummary(
        score=value,
        grade=str(_grades(block, scores)[0]),
        counts={s: int(counts[i].sum()) for i, s in enumerate(STATUSES)},
        open_by_severity={s: int(counts[_FAIL, i]) for i, s in enumerate(SEVERITIES)},
    )
