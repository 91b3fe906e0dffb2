"""The exceptions file (``--waivers FILE``): parse, validate, match, expire.

A waiver turns *failing* findings it matches into ``waived`` until its ``expires`` date
(inclusive: a waiver expiring on the run date still applies that day). Error rows are never
waived (a finding nobody could judge cannot be accepted as a risk) and passes are left alone.

Matching, per failing finding: ``rule`` (rule id or glob such as ``LG-IAM-*``), ``account``
(account id or ``*``), ``region`` (name, ``global`` or ``*``) and ``resource`` (glob over the
resource ARN *or* the resource id, ``*`` by default) must all match. When several waivers match
one finding, **the first in file order wins**: the file reads top to bottom like a firewall rule
list, so the waiver an auditor sees first is the one that counts, and ``matched`` never counts a
finding twice.

Validation errors are one line each, ``file:line: message`` (line numbers from the YAML node tree),
all the file's problems together in one :class:`~reporter.errors.UserError` (exit code 2). The
CLI checks the file before the crawl starts (reporter/preflight.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from reporter.errors import UserError, problems_error

KEYS: tuple[str, ...] = ("id", "rule", "account", "region", "resource", "reason", "owner", "expires")
REQUIRED: tuple[str, ...] = ("id", "rule", "reason", "owner", "expires")
DEFAULTS: dict[str, str] = {"account": "*", "region": "*", "resource": "*"}
"""An omitted account, region or resource matches all of them."""

WAIVER_COLUMNS: tuple[str, ...] = (
    "waiver_id",
    "rule",
    "account",
    "region",
    "resource",
    "reason",
    "owner",
    "expires",
    "state",
    "matched",
)
"""Columns of the waiver report (ReportModel.waivers), one row per waiver in file order."""

_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+|global")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GLOB_CHARS = re.compile(r"[*?\[]")
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Waiver:
    """One entry of the waivers file."""

    id: str
    rule: str
    """Rule id or glob over rule ids."""
    account: str
    """12-digit account id or ``*``."""
    region: str
    """Region name, ``global`` or ``*``."""
    resource: str
    """Glob over the resource ARN or the resource id; ``*`` = any."""
    reason: str
    owner: str
    expires: dt.date
    """Last day the waiver applies."""
    line: int
    """Line of the entry in its file (1-based)."""

    def active_on(self, run_date: dt.date) -> bool:
        return self.expires >= run_date


def load_waivers(path: Path, rule_ids: Iterable[str]) -> tuple[Waiver, ...]:
    """Read and validate a waivers file against the known rule ids."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: waivers file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read waivers file: {exc}") from None
    return parse_waivers(text, str(path), rule_ids)


def parse_waivers(text: str, source: str, rule_ids: Iterable[str]) -> tuple[Waiver, ...]:
    """Validate waivers from YAML ``text``; ``source`` names the file in error messages.

    Every problem of the file is listed, one ``file:line: message`` line each (up to
    :data:`~reporter.errors.MAX_LISTED`), so one edit fixes them all; a YAML syntax error stops the
    parser and is the only one listed.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        # context says what the parser was doing ("expected a single document …"), problem what broke
        problem = ", ".join(p for p in (exc.context, exc.problem) if p) or "malformed document"
        raise UserError(f"{source}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{source}:1: invalid YAML: {exc}") from None
    known = sorted(set(rule_ids))
    problems = _Problems(source)
    waivers: list[Waiver] = []
    first_line: dict[str, int] = {}
    for node in _entries(root, problems):
        waiver = _waiver(node, problems, known)
        if waiver is None:
            continue
        if waiver.id in first_line:
            problems.add(
                waiver.line,
                f"duplicate waiver id '{waiver.id}' (first defined at line {first_line[waiver.id]})",
            )
            continue
        first_line[waiver.id] = waiver.line
        waivers.append(waiver)
    if len(problems):
        raise problems_error(problems.lines)
    return tuple(waivers)


class _Problems:
    """The problems found in one file, listed in line order."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._found: list[tuple[int, str]] = []

    def add(self, line: int, message: str) -> None:
        self._found.append((line, f"{self.source}:{line}: {message}"))

    def __len__(self) -> int:
        return len(self._found)

    @property
    def lines(self) -> list[str]:
        return [text for _, text in sorted(self._found, key=lambda found: found[0])]


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _entries(root: yaml.Node | None, problems: _Problems) -> list[yaml.Node]:
    """The waiver nodes: the document is a list, or a mapping whose only key is ``waivers``."""
    if root is None:
        return []  # an empty file waives nothing
    if isinstance(root, yaml.SequenceNode):
        return list(root.value)
    if isinstance(root, yaml.MappingNode):
        entries: list[yaml.Node] = []
        seen = False
        for key, value in root.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "<not a plain name>"
            if name != "waivers":
                problems.add(_line(key), f"unknown top-level key '{name}' (expected 'waivers')")
                continue
            if seen:
                problems.add(_line(key), "duplicate key 'waivers'")
                continue
            seen = True
            if isinstance(value, yaml.ScalarNode) and value.tag == _NULL_TAG:
                continue
            if not isinstance(value, yaml.SequenceNode):
                problems.add(_line(value), "'waivers' must be a list of waivers")
                continue
            entries.extend(value.value)
        return entries
    problems.add(_line(root), "expected a list of waivers or a 'waivers:' key")
    return []


def _waiver(node: yaml.Node, problems: _Problems, rule_ids: Sequence[str]) -> Waiver | None:
    """The waiver of ``node``, or None when it has problems (each one added to ``problems``)."""
    if not isinstance(node, yaml.MappingNode):
        problems.add(_line(node), f"a waiver must be a mapping of keys ({', '.join(KEYS)})")
        return None
    found = len(problems)
    values: dict[str, tuple[str, int]] = {}
    for key, value in node.value:
        name = str(key.value) if isinstance(key, yaml.ScalarNode) else "<not a plain name>"
        if name not in KEYS:
            problems.add(_line(key), f"unknown key '{name}' (allowed: {', '.join(KEYS)})")
        elif name in values:
            problems.add(_line(key), f"duplicate key '{name}'")
        elif not isinstance(value, yaml.ScalarNode):
            problems.add(_line(value), f"'{name}' must be one value, not a list or mapping")
        elif not (text := "" if value.tag == _NULL_TAG else str(value.value).strip()):
            problems.add(_line(value), f"'{name}' must not be empty")
        else:
            values[name] = (text, _line(value))
    label = f"waiver '{values['id'][0]}'" if "id" in values else "waiver"
    for name in REQUIRED:
        if name not in values and not _mentioned(node, name):
            problems.add(_line(node), f"{label} lacks required key '{name}'")
    for name, default in DEFAULTS.items():
        values.setdefault(name, (default, _line(node)))

    rule, rule_line = values["rule"] if "rule" in values else ("", 0)
    if rule and not any(fnmatchcase(r, rule) for r in rule_ids):
        problems.add(rule_line, f"rule '{rule}' matches no known rule id")
    account, account_line = values["account"]
    if account != "*" and not _ACCOUNT.fullmatch(account):
        problems.add(account_line, f"account '{account}' must be a 12-digit account id or '*'")
    region, region_line = values["region"]
    if region != "*" and not _REGION.fullmatch(region):
        problems.add(region_line, f"region '{region}' must be a region name, 'global' or '*'")
    expires = _date(*values["expires"], problems) if "expires" in values else None
    if len(problems) > found or expires is None:
        return None
    return Waiver(
        id=values["id"][0],
        rule=rule,
        account=account,
        region=region,
        resource=values["resource"][0],
        reason=values["reason"][0],
        owner=values["owner"][0],
        expires=expires,
        line=_line(node),
    )


def _mentioned(node: yaml.MappingNode, name: str) -> bool:
    """Whether ``name`` is a key of ``node`` (present but already reported as empty or malformed)."""
    return any(isinstance(key, yaml.ScalarNode) and str(key.value) == name for key, _ in node.value)


def _date(text: str, line: int, problems: _Problems) -> dt.date | None:
    message = f"expires '{text}' must be a date YYYY-MM-DD"
    if not _DATE.fullmatch(text):
        problems.add(line, message)
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        problems.add(line, message)
        return None


# --- applying ----------------------------------------------------------------------------------


class _Column:
    """One findings column over the open (failing) rows, factorized on first use.

    Each waiver then tests distinct values (a glob runs once per value present among its
    candidate rows), never every row × waiver.
    """

    def __init__(self, column: pd.Series, rows: np.ndarray) -> None:
        self._column = column
        self._rows = rows
        self._codes: np.ndarray | None = None
        self._uniques: list[str] = []
        self._position: dict[str, int] = {}

    def codes(self) -> np.ndarray:
        if self._codes is None:
            codes, uniques = pd.factorize(self._column.iloc[self._rows])
            self._codes = np.asarray(codes)
            self._uniques = [str(u) for u in uniques]
            self._position = {u: i for i, u in enumerate(self._uniques)}
        return self._codes

    def matching(self, pattern: str, candidates: np.ndarray) -> np.ndarray:
        """The ``candidates`` (positions among the open rows) whose value matches ``pattern``."""
        codes = self.codes()[candidates]
        hit = np.zeros(len(self._uniques) + 1, dtype=bool)  # last slot: null (code -1) never matches
        if _GLOB_CHARS.search(pattern):
            present = np.unique(codes)
            for code in present[present >= 0]:
                hit[code] = fnmatchcase(self._uniques[code], pattern)
        elif pattern in self._position:
            hit[self._position[pattern]] = True
        return hit[codes]


def apply_waivers(
    findings: pd.DataFrame, waivers: Sequence[Waiver], run_date: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Waive the failing findings that active waivers match; report every waiver's state.

    Returns the findings (status ``waived`` with waiver_id and waiver_expires set where a waiver
    applied; everything else unchanged) and the waiver report (:data:`WAIVER_COLUMNS`): state
    ``expired`` (expires before the run date), ``unused`` (active but matched nothing) or
    ``active``, and ``matched`` = findings it waived.
    """
    result = findings.copy()
    open_rows = np.flatnonzero((result["status"] == "fail").to_numpy(dtype=bool, na_value=False))
    winner = np.full(len(open_rows), -1, dtype=np.int64)  # per open row: index of its waiver
    if len(open_rows) and any(w.active_on(run_date) for w in waivers):
        column = {name: _Column(result[name], open_rows) for name in _MATCHED_COLUMNS}
        for index, waiver in enumerate(waivers):
            if not waiver.active_on(run_date):
                continue
            candidates = np.flatnonzero(winner < 0)  # first waiver in file order wins
            candidates = candidates[column["rule_id"].matching(waiver.rule, candidates)]
            if waiver.account != "*":
                candidates = candidates[column["account_id"].matching(waiver.account, candidates)]
            if waiver.region != "*":
                candidates = candidates[column["region"].matching(waiver.region, candidates)]
            if waiver.resource != "*":
                by_arn = column["resource_arn"].matching(waiver.resource, candidates)
                by_id = column["resource_id"].matching(waiver.resource, candidates)
                candidates = candidates[by_arn | by_id]
            winner[candidates] = index

    waived = winner >= 0
    if waived.any():
        rows = open_rows[waived]
        ids = np.array([w.id for w in waivers], dtype=object)[winner[waived]]
        expires = np.array([w.expires.isoformat() for w in waivers], dtype=object)[winner[waived]]
        result["status"] = _set(result["status"], rows, np.full(len(rows), "waived", dtype=object))
        result["waiver_id"] = _set(result["waiver_id"], rows, ids)
        result["waiver_expires"] = _set(result["waiver_expires"], rows, expires)
    matched = np.bincount(winner[waived], minlength=len(waivers))
    return result, _report(waivers, matched, run_date)


_MATCHED_COLUMNS = ("rule_id", "account_id", "region", "resource_arn", "resource_id")


def _set(column: pd.Series, rows: np.ndarray, values: np.ndarray) -> pd.Series:
    """``column`` with ``values`` at positions ``rows``; a column of another dtype (e.g. all-null
    float) becomes object first, so strings fit."""
    if not (pd.api.types.is_string_dtype(column.dtype) or pd.api.types.is_object_dtype(column.dtype)):
        column = column.astype(object)
    column = column.copy()
    column.iloc[rows] = values
    return column


def _report(waivers: Sequence[Waiver], matched: np.ndarray, run_date: dt.date) -> pd.DataFrame:
    rows = [
        {
            "waiver_id": w.id,
            "rule": w.rule,
            "account": w.account,
            "region": w.region,
            "resource": w.resource,
            "reason": w.reason,
            "owner": w.owner,
            "expires": w.expires.isoformat(),
            "state": "expired" if not w.active_on(run_date) else "active" if matched[i] else "unused",
            "matched": int(matched[i]),
        }
        for i, w in enumerate(waivers)
    ]
    frame = pd.DataFrame(rows, columns=list(WAIVER_COLUMNS))
    return frame.astype(dict.fromkeys(WAIVER_COLUMNS[:-1], "str") | {"matched": "int64"})
