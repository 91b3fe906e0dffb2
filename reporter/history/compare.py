"""Pure frame arithmetic behind month-over-month history: finding deltas, score deltas, trend rows.

Nothing here reads or writes files; :mod:`reporter.history.runs` loads the runs and calls these.

How a finding is followed from one run to the next
--------------------------------------------------
Findings match on :data:`MATCH_KEY` (rule, account, region, resource id), never on file names or
row order. When a key occurs more than once in one run (two resources a rule names alike), the key
takes the most cautious status of its rows: fail, then error, then waived, then pass, so a
duplicate can never turn a failure into a "fixed".

"Open" means status ``fail`` (waived and error are not open). Per (account, rule):

- ``new``: open now, not open in the previous run (passing, waived, errored or absent then,
  which includes resources and accounts that did not exist then, and rules the previous run's
  catalog did not have).
- ``still_failing``: open in both runs.
- ``fixed``: open then, judged ``pass`` now.
- ``gone``: open then, and the resource is no longer reported while its account and rule were
  judged without error now (deleted resource, or an account that left the organization). Not
  counted as fixed: nobody remediated it.
- ``newly_waived``: open then, waived now (an accepted risk, not a fix).
- ``unjudged``: open then, and now either an ``error`` row, or absent while the current run has a
  ``unit`` error row for the same rule, account and region (or region ``global``): the rules engine
  adds such a row when a failed collection left the rule nothing to judge there
  (:mod:`reporter.rules.error_rows`). Claiming "fixed" or "gone" for what the run could not see would
  be false assurance.

So for every (account, rule): previously open = still_failing + fixed + gone + newly_waived +
unjudged, and open now = new + still_failing. Rows where all six counts are zero are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from reporter.model import DELTA_SCHEMA, TREND_SCHEMA, ScoreSummary
from reporter.scoring import score_change

MATCH_KEY: tuple[str, ...] = ("rule_id", "account_id", "region", "resource_id")
"""The stable identity of a finding across runs."""

CHANGE_COUNTS: tuple[str, ...] = ("new", "fixed", "still_failing", "gone", "newly_waived", "unjudged")

EXTRA_DELTA_FIELDS: tuple[pa.Field[pa.DataType], ...] = (
    pa.field("gone", pa.int64()),
    pa.field("newly_waived", pa.int64()),
    pa.field("unjudged", pa.int64()),
)
"""Appended after the contract's columns, so fixed + gone + newly_waived + unjudged + still_failing
accounts for every previously open finding (see the module doc)."""
DELTAS_SCHEMA = pa.schema([*DELTA_SCHEMA, *EXTRA_DELTA_FIELDS])

ORGANIZATION_SCOPE = "organization"
UNIT_RESOURCE = "unit"
"""resource_type of the error row the rules engine adds where a failed unit left a rule nothing to judge."""
GLOBAL_REGION = "global"

# Higher = more cautious when one key has several rows (module doc).
_RANK: dict[str, int] = {"pass": 0, "waived": 1, "error": 2, "fail": 3}
_PASS, _WAIVED, _ERROR, _FAIL = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)
class RunScores:
    """The scores of one run that the trend and the score deltas need."""

    run_id: str
    run_at: dt.datetime
    organization: ScoreSummary
    accounts: pd.DataFrame
    """At least account_id, score (nullable float), grade."""
    ous: pd.DataFrame
    """At least ou_path, score, grade."""


def _text(column: pd.Series) -> np.ndarray:
    """Values as Python strings, null → "" so keys with a null part still match each other."""
    return column.astype(object).where(column.notna(), "").astype(str).to_numpy(dtype=object)


def account_names(findings: pd.DataFrame) -> dict[str, str]:
    """account_id → its name as the findings give it (first non-null)."""
    named = findings[["account_id", "account_name"]].dropna().drop_duplicates("account_id")
    return dict(zip(_text(named["account_id"]), _text(named["account_name"]), strict=True))


def finding_changes(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """account_id, rule_id and :data:`CHANGE_COUNTS` per (account, rule); see the module doc.

    Works on integer codes (each column dictionary-encoded once over both runs): merging and
    grouping the string columns takes seconds for a few hundred thousand findings; this, about one.
    """
    n = len(previous)
    rule, rules = _encode(previous["rule_id"], current["rule_id"])
    account, accounts = _encode(previous["account_id"], current["account_id"])
    region, regions = _encode(previous["region"], current["region"])
    resource, _ = _encode(previous["resource_id"], current["resource_id"])
    rank = np.concatenate([_ranks(previous["status"]), _ranks(current["status"])])

    rule_account = _pair(rule, account)
    span = int(region.max(initial=0)) + 1
    scope = rule_account * span + region  # exact (no re-numbering), so a "global" scope can be built
    key = _pair(_dense(scope), resource)
    keys = int(key.max(initial=-1)) + 1
    before = np.full(keys, -1, dtype=np.int64)
    np.maximum.at(before, key[:n], rank[:n])
    now = np.full(keys, -1, dtype=np.int64)
    np.maximum.at(now, key[n:], rank[n:])
    _, first = np.unique(key, return_index=True)  # a row of each key (codes are 0..keys-1)

    # Scopes the current run could not judge: its "unit" error rows. A global unit (IAM) feeds
    # the rule in every region of the account.
    is_unit = _mask(current["status"] == "error") & _mask(current["resource_type"] == UNIT_RESOURCE)
    blind = np.unique(scope[n:][is_unit])
    errored = np.isin(scope[first], blind)
    if GLOBAL_REGION in regions:
        errored |= np.isin(rule_account[first] * span + regions.index(GLOBAL_REGION) + 1, blind)

    was_open = before == _FAIL
    # only keys open in either run can change anything; the rest (most passes) are dropped early
    keep = np.flatnonzero(was_open | (now == _FAIL))
    was_open, now, errored, first = was_open[keep], now[keep], errored[keep], first[keep]
    absent = now < 0
    counts = pd.DataFrame(
        {
            "rule": rule[first],
            "account": account[first],
            "new": (now == _FAIL) & ~was_open,
            "fixed": was_open & (now == _PASS),
            "still_failing": was_open & (now == _FAIL),
            "gone": was_open & absent & ~errored,
            "newly_waived": was_open & (now == _WAIVED),
            "unjudged": was_open & ((now == _ERROR) | (absent & errored)),
        }
    ).astype(dict.fromkeys(CHANGE_COUNTS, np.int64))
    changes = counts.groupby(["account", "rule"], as_index=False)[list(CHANGE_COUNTS)].sum()
    changes = changes[changes[list(CHANGE_COUNTS)].sum(axis=1) > 0]
    account_of, rule_of = ["", *accounts], ["", *rules]  # code 0 = null
    return pd.DataFrame(
        {
            "account_id": [account_of[c] for c in changes["account"]],
            "rule_id": [rule_of[c] for c in changes["rule"]],
            **{c: changes[c].to_numpy(dtype=np.int64) for c in CHANGE_COUNTS},
        }
    )


def _encode(previous: pd.Series, current: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes of both runs' values in one dictionary (0 = null, v = dictionary[v - 1])."""
    chunks = [*_arrow_chunks(previous), *_arrow_chunks(current)]
    encoded = pa.chunked_array(chunks, type=pa.string()).combine_chunks().dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
    return codes, [str(v) for v in encoded.dictionary.to_pylist()]


def _arrow_chunks(column: pd.Series) -> list[pa.Array[Any]]:
    # Arrow-backed columns come as a ChunkedArray; handing that to pa.chunked_array as one
    # element converts it value by value in Python (seconds for 10^5 rows), so pass its chunks.
    array = pa.array(column, type=pa.string(), from_pandas=True)
    return list(array.chunks) if isinstance(array, pa.ChunkedArray) else [array]


def _ranks(status: pd.Series) -> np.ndarray:
    codes, values = _encode(status, status.iloc[:0])  # one series: the second part is empty
    # an unknown status counts as error: it can make a change "unjudged", never "fixed"
    lookup = np.array([_ERROR, *(_RANK.get(v, _ERROR) for v in values)], dtype=np.int64)
    return lookup[codes]


def _pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One dense code per distinct (a, b); inputs are non-negative codes below 2**31."""
    return _dense(a * (int(b.max(initial=0)) + 1) + b)


def _dense(values: np.ndarray) -> np.ndarray:
    """Codes 0..k-1 for the k distinct values, so products of codes stay far from overflow."""
    codes, _ = pd.factorize(values)
    return codes.astype(np.int64)


def _mask(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype=bool, na_value=False)


def score_changes(previous: pd.DataFrame, current: pd.DataFrame, key: str) -> dict[str, float]:
    """key → score now − score then as the reports show them (:func:`~reporter.scoring.score_change`),
    for the keys scored (non-null) in both runs."""
    then = _scores(previous, key)
    now = _scores(current, key)
    return {k: score_change(now[k], then[k]) for k in sorted(now.keys() & then.keys())}


def _scores(frame: pd.DataFrame, key: str) -> dict[str, float]:
    scored = frame[frame["score"].notna().to_numpy(dtype=bool)]
    values = scored["score"].astype("float64").to_numpy()
    return dict(zip(_text(scored[key]), (float(v) for v in values), strict=True))


def deltas_frame(
    changes: pd.DataFrame, names: Mapping[str, str], account_delta: Mapping[str, float]
) -> pd.DataFrame:
    """The view's deltas: :data:`DELTAS_SCHEMA`, sorted by account id then rule id.

    ``names`` gives each account's name (now, or from the previous run for an account that is
    gone); ``score_delta`` is null for an account not scored in both runs.
    """
    ordered = changes.sort_values(["account_id", "rule_id"], kind="stable", ignore_index=True)
    account_ids = [str(a) for a in ordered["account_id"]]
    arrays: dict[str, pa.Array[Any]] = {
        "account_id": pa.array(account_ids, type=pa.string()),
        "account_name": pa.array([names.get(a) for a in account_ids], type=pa.string()),
        "rule_id": pa.array([str(r) for r in ordered["rule_id"]], type=pa.string()),
        "score_delta": pa.array([account_delta.get(a) for a in account_ids], type=pa.float64()),
    }
    for count in CHANGE_COUNTS:
        arrays[count] = pa.array(ordered[count].to_numpy(dtype=np.int64), type=pa.int64())
    table = pa.table([arrays[f.name] for f in DELTAS_SCHEMA], schema=DELTAS_SCHEMA)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def trend_frame(runs: Sequence[RunScores]) -> pd.DataFrame:
    """:data:`TREND_SCHEMA` rows: per run (in the given order) the organization, then each account."""
    rows: list[dict[str, object]] = []
    for run in runs:
        at = run.run_at.astimezone(dt.UTC)
        org = run.organization
        rows.append(_trend_row(run.run_id, at, ORGANIZATION_SCOPE, ORGANIZATION_SCOPE, org.score, org.grade))
        accounts = run.accounts.sort_values("account_id", kind="stable")
        scores = accounts["score"].astype("Float64")
        for account_id, value, grade in zip(
            _text(accounts["account_id"]), scores, _text(accounts["grade"]), strict=True
        ):
            rows.append(
                _trend_row(run.run_id, at, "account", account_id, None if pd.isna(value) else value, grade)
            )
    return pa.Table.from_pylist(rows, schema=TREND_SCHEMA).to_pandas(types_mapper=pd.ArrowDtype)


def _trend_row(
    run_id: str, at: dt.datetime, scope: str, scope_id: str, score: float | None, grade: str
) -> dict[str, object]:
    return {
        "run_id": run_id,
        "run_at": at,
        "scope": scope,
        "scope_id": scope_id,
        "score": None if score is None else float(score),
        "grade": grade,
    }
