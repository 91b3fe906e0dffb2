"""The rows the security-tool exports (OCSF, ASFF) carry, with identity and history attached.

Which rows: every ``fail``, ``waived`` and ``error`` row of this run, plus the ``pass`` rows whose
finding was not passing in the previous run (``fixed``): those tell a finding store to close what it
holds open. Passes that were passing before are left out: they are in findings.json, and importing
every pass of an organization each month would bury the findings a security team acts on. And rows
with status ``gone`` (:func:`gone_rows`) for findings not passing in the previous run whose resource
this run no longer reports where it looked (a deleted function): those are closed too.

Identity: :func:`finding_uid` is a hash of the finding's :data:`reporter.outputs.SORT_KEY` values
(rule, account, region, resource type, id and ARN), the same every month for the same resource, so a
finding store updates its record instead of adding a duplicate.

History (:func:`attach_history`), per row, over earlier runs of the same organization, newest first
(the history store keeps each run's findings.parquet; a key with several rows in one run takes the
most cautious status, as in :mod:`reporter.history.compare`):

- an open finding (``fail`` or ``waived``: the problem exists either way) was *first seen* at the
  earliest run of the unbroken streak of runs, ending now, in which it was open. A run where it was
  unjudged (``error``) neither breaks nor starts the streak: not seeing it is no evidence of a fix.
  A run where it passed or was absent ends the streak.
- an ``error`` row: first seen at the earliest run of the unbroken streak of ``error`` runs.
- *last seen* is this run's time for both; for a ``fixed`` or ``gone`` row, first and last seen
  describe the streak that ended with the previous run (last seen = the previous run's time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from reporter.findings import FINDING_COLUMNS
from reporter.history.compare import MATCH_KEY
from reporter.history.store import utc
from reporter.outputs import SORT_KEY, sort_findings

OPEN_STATUSES = frozenset({"fail", "waived"})
_RANK = {"pass": 0, "waived": 1, "error": 2, "fail": 3}  # the most cautious status wins a duplicate key
_SEP = "\x1f"


class EarlierRun(Protocol):
    """What the exports read of an earlier run (reporter.history.store.PastRun has it)."""

    @property
    def run_id(self) -> str: ...
    @property
    def run_at(self) -> dt.datetime: ...
    @property
    def organization_id(self) -> str: ...
    def findings(self) -> pd.DataFrame: ...


def finding_uid(rule_id: str, account_id: str, region: str, key_values: Sequence[Any]) -> str:
    """``reporter-<rule>-<account>-<region>-<hash>``: readable head, hash of the whole identity."""
    text = _SEP.join("" if _null(v) else str(v) for v in key_values)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return f"reporter-{rule_id}-{account_id}-{region}-{digest}"


def _null(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _keys(frame: pd.DataFrame) -> pd.Series:
    """MATCH_KEY joined into one string per row (null parts as empty strings)."""
    parts = [frame[c].astype(object).where(frame[c].notna(), "").astype(str) for c in MATCH_KEY]
    key = parts[0]
    for part in parts[1:]:
        key = key + _SEP + part
    return key.reset_index(drop=True)


def statuses_by_key(findings: pd.DataFrame) -> pd.Series:
    """key → status of one run, the most cautious status where a key has several rows."""
    status = findings["status"].astype(object).reset_index(drop=True)
    frame = pd.DataFrame({"key": _keys(findings), "status": status, "rank": status.map(_RANK).fillna(-1)})
    frame = frame.sort_values("rank", ascending=False, kind="stable").drop_duplicates("key")
    return pd.Series(frame["status"].to_numpy(dtype=object), index=frame["key"].to_numpy(dtype=object))


def earlier_runs(past: Sequence[EarlierRun], organization_id: str, now: dt.datetime) -> list[EarlierRun]:
    """Runs of the same organization finished before ``now``, newest first."""
    now = utc(now)
    runs = [p for p in past if p.organization_id == organization_id and p.run_at < now]
    return sorted(runs, key=lambda p: (p.run_at, p.run_id), reverse=True)


def export_rows(
    findings: pd.DataFrame,
    *,
    catalog: pd.DataFrame,
    earlier: Sequence[EarlierRun],
    now: dt.datetime,
    tags: Mapping[str, Mapping[str, str]],
    regions: Sequence[str] = (),
) -> pd.DataFrame:
    """The exported rows in canonical order, with uid, catalog fields, tags and history columns.

    ``regions``: the regions this run crawled (where a finding's absence can mean "gone").
    Added columns: ``uid``, ``guide_section``, ``frameworks``, ``previous_status`` (null without a
    previous run or when absent from it), ``fixed`` and ``gone`` (bool), ``first_seen`` and
    ``last_seen`` (UTC datetimes), ``tags`` (dict, possibly empty).
    """
    ordered = sort_findings(findings[list(FINDING_COLUMNS)])
    before = earlier[0].findings() if earlier else None
    previous = statuses_by_key(before) if before is not None else pd.Series(dtype=object)
    keys = _keys(ordered)
    previous_status = keys.map(previous).astype(object)
    status = ordered["status"].astype(object)
    was_not_passing = previous_status.notna() & (previous_status != "pass")
    keep = ((status != "pass") | was_not_passing).to_numpy(dtype=bool)
    rows = ordered.loc[keep].reset_index(drop=True)
    rows["previous_status"] = previous_status[keep].where(previous_status[keep].notna(), None).to_numpy()
    rows["fixed"] = (rows["status"].astype(object) == "pass").to_numpy(dtype=bool)
    rows["gone"] = False
    if before is not None:
        gone = gone_rows(before, ordered, keys, regions, catalog)
        if len(gone):
            rows = sort_findings(pd.concat([rows, gone[rows.columns]], ignore_index=True))
    keys = _keys(rows)
    rows = _with_catalog(rows, catalog)
    rows["uid"] = [
        finding_uid(r[0], r[1], r[2], r[3:])
        for r in zip(
            *(rows[c].astype(object) for c in ("rule_id", "account_id", "region")),
            *(rows[c].astype(object) for c in SORT_KEY),
            strict=True,
        )
    ]
    arns = rows["resource_arn"]
    rows["tags"] = pd.Series(
        [dict(tags.get(a, {})) if isinstance(a, str) else {} for a in arns],
        dtype=object,
    )
    first, last = attach_history(rows, keys, earlier, now)
    rows["first_seen"] = first
    rows["last_seen"] = last
    return rows


def gone_rows(
    before: pd.DataFrame,
    current: pd.DataFrame,
    current_keys: pd.Series,
    regions: Sequence[str],
    catalog: pd.DataFrame,
) -> pd.DataFrame:
    """Rows (status ``gone``) for findings not passing in the previous run that this run no longer
    reports although it judged where they were: the account is in this run's findings, the region
    was crawled (or is "global"), and no ``unit`` error row says the rule could not be judged there
    (a global unit covers every region of the account, as in reporter.history.compare). A deleted
    function is the usual case. An account or region outside this run's scope is not "gone": a
    narrower run must not close what it did not look at.
    """
    ranked = before.assign(
        _key=_keys(before).to_numpy(), _rank=before["status"].astype(object).map(_RANK).fillna(-1).to_numpy()
    )
    ranked = ranked.sort_values("_rank", ascending=False, kind="stable").drop_duplicates("_key")
    status = ranked["status"].astype(object)
    candidates = ranked[(status != "pass").to_numpy() & ~ranked["_key"].isin(set(current_keys)).to_numpy()]
    if candidates.empty:
        return candidates.iloc[0:0]
    accounts = set(current["account_id"].dropna().astype(str))
    units = current[(current["status"].astype(object) == "error") & (current["resource_type"] == "unit")]
    blind = set(zip(units["rule_id"], units["account_id"], units["region"], strict=True))
    crawled = {*regions, "global"}
    keep = [
        account in accounts
        and region in crawled
        and (rule, account, region) not in blind
        and (rule, account, "global") not in blind
        for rule, account, region in zip(
            candidates["rule_id"], candidates["account_id"], candidates["region"], strict=True
        )
    ]
    gone = candidates[keep].astype(object)
    titles = catalog.astype(object).set_index("id")["title"]
    rows = pd.DataFrame(
        {
            **{c: gone[c].to_numpy() for c in SORT_KEY},
            "title": gone["rule_id"].map(titles).to_numpy(),
            "severity": gone["severity"].to_numpy(),
            "status": "gone",
            "account_name": gone["account_name"].to_numpy(),
            "ou_path": gone["ou_path"].to_numpy(),
            "reason": [
                f"{rid} is no longer reported in {acct}/{reg} (deleted, or no longer what the rule judges);"
                f" it was {st} in the previous run"
                for rid, acct, reg, st in zip(
                    gone["resource_id"], gone["account_id"], gone["region"], gone["status"], strict=True
                )
            ],
            "remediation": None,
            "waiver_id": None,
            "waiver_expires": None,
            "previous_status": gone["status"].to_numpy(),
            "fixed": False,
            "gone": True,
        },
        index=pd.RangeIndex(len(gone)),
    )
    return rows


def _with_catalog(rows: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    by_id = catalog.astype(object).set_index("id")
    for column in ("guide_section", "frameworks"):
        rows[column] = rows["rule_id"].astype(object).map(by_id[column]).to_numpy(dtype=object)
    missing = rows["guide_section"].isna()
    if missing.any():
        raise ValueError(f"findings of rules not in the catalog: {sorted(set(rows.loc[missing, 'rule_id']))}")
    return rows


def _class(status: Any) -> str | None:
    if _null(status):
        return None
    return "open" if status in OPEN_STATUSES else str(status)


def attach_history(
    rows: pd.DataFrame, keys: pd.Series, earlier: Sequence[EarlierRun], now: dt.datetime
) -> tuple[list[dt.datetime], list[dt.datetime]]:
    """First and last seen per row (module doc); ``earlier`` newest first, ``keys`` aligned with rows."""
    now = utc(now)
    n = len(rows)
    # a fixed or gone row describes the streak that ended with the previous run
    fixed = (rows["fixed"] | rows["gone"]).to_numpy(dtype=bool)
    target = np.array(
        [
            _class(p) if f else _class(s)
            for s, p, f in zip(rows["status"], rows["previous_status"], fixed, strict=True)
        ],
        dtype=object,
    )
    first: list[dt.datetime | None] = [None if f else now for f in fixed]
    last: list[dt.datetime | None] = [None if f else now for f in fixed]
    alive = np.ones(n, dtype=bool)
    for run in earlier:
        if not alive.any():
            break
        seen = keys.map(statuses_by_key(run.findings())).astype(object).to_numpy()
        for i in np.flatnonzero(alive):
            got = _class(seen[i])
            if got == target[i]:
                first[i] = run.run_at
                if last[i] is None:
                    last[i] = run.run_at
            elif not (target[i] == "open" and got == "error"):
                alive[i] = False
    if any(v is None for v in first):  # a fixed or gone row's previous run is always the first match
        raise AssertionError("a closed finding without its previous run")
    return [v for v in first if v is not None], [v for v in last if v is not None]


def tags_by_arn(functions: pd.DataFrame) -> dict[str, dict[str, str]]:
    """function ARN → its tags (the only judged resources that carry tags in the inventory)."""
    out: dict[str, dict[str, str]] = {}
    for arn, value in zip(functions["function_arn"], functions["tags"], strict=True):
        if isinstance(arn, str):
            out[arn] = dict(sorted(_pairs(value)))
    return out


def _pairs(value: Any) -> list[tuple[str, str]]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    items = value.items() if isinstance(value, Mapping) else value
    return [(str(k), str(v)) for k, v in items]
