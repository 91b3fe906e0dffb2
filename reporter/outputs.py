"""Machine-readable findings (findings.json, findings.csv), atomic file writes, the --fail-on verdict.

Both files hold exactly :data:`reporter.findings.FINDING_COLUMNS`, in that order, one row per
(rule, resource), every status included (pass rows are the evidence behind the denominators).

Byte-reproducible: rows are sorted by :data:`SORT_KEY` (unique per finding, so the order does not
depend on how the rules engine happened to emit rows), every value is a string or null, and no
timestamp or run metadata is written into the files (that lives in evidence/manifest.json), so the
same findings always give identical bytes and two months' files diff cleanly.

findings.json is a JSON **array of records**, one object per line, keys in column order: any JSON
tool reads it as a plain list, and ``jq -c '.[]'`` / line-based diffs work on it directly.

findings.csv is RFC 4180 (comma, ``"`` quoting, CRLF line ends), UTF-8 without a byte-order mark
(its readers are machines and CI), a header row, nulls as empty cells. A cell starting with
``= + - @``, tab or carriage return gets a leading ``'`` so a spreadsheet never evaluates it as a
formula (CSV injection); findings.json is left verbatim.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reporter.errors import UserError
from reporter.findings import FINDING_COLUMNS
from reporter.settings import SEVERITIES

SORT_KEY: tuple[str, ...] = (
    "rule_id",
    "account_id",
    "region",
    "resource_type",
    "resource_id",
    "resource_arn",
)
"""Identifies one finding: a rule judged one resource (a resource's id and ARN are both part of it
because account-region findings have no ARN and role/function ids repeat across accounts)."""

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def atomic_write(path: Path, writer: Callable[[Path], object]) -> None:
    """Write ``path`` through ``writer(temp_path)``, then rename the temp file over ``path``.

    The temp file sits in the same directory (``os.replace`` is atomic only within a file system)
    and keeps the target's suffix, so libraries that look at the extension behave. A reader of
    ``path`` sees the old file or the complete new one, never a partial one; if ``writer`` raises
    (or the run is interrupted), the temp file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _create_temp(path)
    try:
        writer(temp)
        with temp.open("rb") as handle:  # the bytes must be on disk before the name points at them
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _create_temp(path: Path) -> Path:
    # os.open with 0o666 (not tempfile.mkstemp's 0o600) so the finished report gets the same
    # permissions as any file the user creates: the process umask applies.
    for _ in range(100):
        temp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return temp
    raise FileExistsError(f"cannot create a temporary file next to {path}")


def sort_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """``findings`` in the canonical order (by :data:`SORT_KEY`, code-point order, nulls last).

    Findings already in that order are returned without reordering (moving two million rows of
    strings costs seconds; checking the order costs a factorize per key column), so the pipeline
    pays for one sort however many writers call this. Raises ValueError when two rows describe the
    same (rule, resource): the findings record promises one row per pair, and a duplicate would be
    counted twice in every score.
    """
    missing = [c for c in SORT_KEY if c not in findings.columns]
    if missing:
        raise ValueError(f"findings lack columns {missing}")
    keys = []
    for name in SORT_KEY:
        codes, uniques = pd.factorize(findings[name], sort=True)
        keys.append(np.where(codes < 0, len(uniques), codes))  # null sorts after every value
    order = np.lexsort(keys[::-1])  # stable; the first key is the primary one
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for key in keys:
        ordered_key = key[order]
        same &= ordered_key[1:] == ordered_key[:-1]
    if same.any():
        first = findings[list(SORT_KEY)].iloc[int(order[int(same.argmax()) + 1])].tolist()
        raise ValueError(f"findings have more than one row for (rule, resource) {first}")
    if bool((order == np.arange(len(order))).all()):
        return findings.reset_index(drop=True)
    return findings.take(order).reset_index(drop=True)


def _canonical(findings: pd.DataFrame, columns: Sequence[str] = FINDING_COLUMNS) -> list[pd.Series]:
    """``columns`` of the sorted findings, each as strings with nulls (NaN/None/NA) as null."""
    missing = [c for c in columns if c not in findings.columns]
    if missing:
        raise ValueError(f"findings lack columns {missing}")
    ordered = sort_findings(findings[list(columns)])
    return [_as_text(ordered[c]) for c in columns]


def _as_text(column: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(column.dtype):
        return column  # a string dtype holds only strings and nulls
    return pd.Series([_text(v) for v in column.tolist()], index=column.index, dtype=object)


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.date):  # dates (waiver_expires) as ISO; datetimes are dates too
        return value.isoformat()
    return str(value)


def _encoded(name: str, column: pd.Series) -> np.ndarray:
    """``"name": <json value>`` for every row, JSON-encoding each distinct value once."""
    codes, uniques = pd.factorize(column)
    prefix = json.dumps(name) + ": "
    fragments = [prefix + json.dumps(str(u), ensure_ascii=False) for u in uniques]
    return np.array([*fragments, prefix + "null"], dtype=object)[codes]  # code -1 (null) → last


def write_findings_json(findings: pd.DataFrame, path: Path, columns: Sequence[str] = FINDING_COLUMNS) -> Path:
    """findings.json: a JSON array of records, one per line, keys in ``columns`` order
    (FINDING_COLUMNS; a scan of templates appends its own, e.g. source and file)."""
    encoded = [_encoded(n, c) for n, c in zip(columns, _canonical(findings, columns), strict=True)]

    def write(temp: Path) -> None:
        with temp.open("w", encoding="utf-8", newline="\n") as out:
            out.write("[")
            separator = "\n"
            for parts in zip(*encoded, strict=True):
                out.write(separator + "{" + ", ".join(parts) + "}")
                separator = ",\n"
            out.write("\n]\n")

    atomic_write(path, write)
    return path


def escape_formula(column: pd.Series) -> pd.Series:
    """``column`` with a leading ``'`` on values a spreadsheet would read as a formula."""
    texts = column.astype("str")
    risky = texts.str.startswith(FORMULA_PREFIXES, na=False)
    return texts.mask(risky, "'" + texts) if risky.any() else texts


def write_findings_csv(findings: pd.DataFrame, path: Path, columns: Sequence[str] = FINDING_COLUMNS) -> Path:
    """findings.csv: header + one line per finding, formula-looking cells escaped."""
    cells = [
        escape_formula(c).astype(object).where(c.notna(), None).tolist()
        for c in _canonical(findings, columns)
    ]

    def write(temp: Path) -> None:
        with temp.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerows(zip(*cells, strict=True))

    atomic_write(path, write)
    return path


def fail_on_exit(findings: pd.DataFrame, fail_on: str | None) -> bool:
    """True when ``--fail-on SEVERITY`` should end the run with exit code 1.

    That is: some finding with status ``fail`` (open: waived rows have their own status) has the
    given severity or a higher one. Error rows do not trigger it: they are coverage problems,
    reported as such, not findings.
    """
    if fail_on is None:
        return False
    if fail_on not in SEVERITIES:
        raise UserError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not '{fail_on}'")
    at_or_above = list(SEVERITIES[: SEVERITIES.index(fail_on) + 1])
    failing = (findings["status"] == "fail") & findings["severity"].isin(at_or_above)
    return bool(failing.fillna(False).any())
