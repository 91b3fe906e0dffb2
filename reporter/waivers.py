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

Validation errors are one line, ``file:line: message`` (line numbers from the YAML node tree),
raised as :class:`~reporter.errors.UserError` (exit code 2).
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

from reporter.errors import UserError

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
    """Validate waivers from YAML ``text``; ``source`` names the file in error messages."""
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
    waivers: list[Waiver] = []
    first_line: dict[str, int] = {}
    for node in _entries(root, source):
        waiver = _waiver(node, source, known)
        if waiver.id in first_line:
            raise UserError(
                f"{source}:{waiver.line}: duplicate waiver id '{waiver.id}' "
                f"(first defined at line {first_line[waiver.id]})"
            )
        first_line[waiver.id] = waiver.line
        waivers.append(waiver)
    return tuple(waivers)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _entries(root: yaml.Node | None, source: str) -> list[yaml.Node]:
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
                raise UserError(f"{source}:{_line(key)}: unknown top-level key '{name}' (expected 'waivers')")
            if seen:
                raise UserError(f"{source}:{_line(key)}: duplicate key 'waivers'")
            seen = True
            if isinstance(value, yaml.ScalarNode) and value.tag == _NULL_TAG:
                continue
            if not isinstance(value, yaml.SequenceNode):
                raise UserError(f"{source}:{_line(value)}: 'waivers' must be a list of waivers")
            entries.extend(value.value)
        return entries
    raise UserError(f"{source}:{_line(root)}: expected a list of waivers or a 'waivers:' key")


def _waiver(node: yaml.Node, source: str, rule_ids: Sequence[str]) -> Waiver:
    where = f"{source}:{_line(node)}"
    if not isinstance(node, yaml.MappingNode):
        raise UserError(f"{where}: a waiver must be a mapping of keys ({', '.join(KEYS)})")
    values: dict[str, tuple[str, int]] = {}
    for key, value in node.value:
        name = str(key.value) if isinstance(key, yaml.ScalarNode) else "<not a plain name>"
        if name not in KEYS:
            raise UserError(f"{source}:{_line(key)}: unknown key '{name}' (allowed: {', '.join(KEYS)})")
        if name in values:
            raise UserError(f"{source}:{_line(key)}: duplicate key '{name}'")
        if not isinstance(value, yaml.ScalarNode):
            raise UserError(f"{source}:{_line(value)}: '{name}' must be one value, not a list or mapping")
        text = "" if value.tag == _NULL_TAG else str(value.value).strip()
        if not text:
            raise UserError(f"{source}:{_line(value)}: '{name}' must not be empty")
        values[name] = (text, _line(value))
    label = f"waiver '{values['id'][0]}'" if "id" in values else "waiver"
    for name in REQUIRED:
        if name not in values:
            raise UserError(f"{where}: {label} lacks required key '{name}'")
    for name, default in DEFAULTS.items():
        values.setdefault(name, (default, _line(node)))

    rule, rule_line = values["rule"]
    if not any(fnmatchcase(r, rule) for r in rule_ids):
        raise UserError(f"{source}:{rule_line}: rule '{rule}' matches no known rule id")
    account, account_line = values["account"]
    if account != "*" and not _ACCOUNT.fullmatch(account):
        raise UserError(f"{source}:{account_line}: account '{account}' must be a 12-digit account id or '*'")
    region, region_line = values["region"]
    if region != "*" and not _REGION.fullmatch(region):
        raise UserError(f"{source}:{region_line}: region '{region}' must be a region name, 'global' or '*'")
    return Waiver(
        id=values["id"][0],
        rule=rule,
        account=account,
        region=region,
        resource=values["resource"][0],
        reason=values["reason"][0],
        owner=values["owner"][0],
        expires=_date(*values["expires"], source),
        line=_line(node),
    )


def _date(text: str, line: int, source: str) -> dt.date:
    problem = UserError(f"{source}:{line}: expires '{text}' must be a date YYYY-MM-DD")
    if not _DATE.fullmatch(text):
        raise problem
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        raise problem from None


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
