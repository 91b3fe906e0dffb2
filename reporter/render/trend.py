"""The trend in words: what changed over the runs of the history, for every renderer to print.

Example: "+10.9 over 3 runs (73.3 → 84.2); 67 findings fixed and 29 new since the previous run;
payments-prod fell 4.9 points over the same runs."

Every number comes from the model's history (trend and deltas) and every score and change is
written by :mod:`reporter.scoring`'s formatters, so the sentence agrees with the chart, the league
table and the workbook.
"""

from __future__ import annotations

import pandas as pd

from reporter.render.model import ReportModel
from reporter.scoring import format_delta, format_score, score_change

FALLS_NAMED = 3
"""Accounts named in the sentence when several fell; the rest are counted."""


def _scores(trend: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Scored rows of one scope, oldest run first (the trend lists runs oldest first)."""
    rows = trend[(trend["scope"].astype(object) == scope).to_numpy(dtype=bool)]
    return rows[rows["score"].notna().to_numpy(dtype=bool)]


def account_falls(model: ReportModel) -> list[tuple[str, float]]:
    """(account name, score change) of the accounts whose shown score fell between the first run of
    the trend and this one, largest fall first; accounts not scored in both are left out."""
    trend = model.trend
    if trend.empty:
        return []
    first_run = trend["run_id"].iloc[0]
    last_run = trend["run_id"].iloc[-1]
    accounts = _scores(trend, "account")
    first = accounts[(accounts["run_id"] == first_run).to_numpy(dtype=bool)]
    last = accounts[(accounts["run_id"] == last_run).to_numpy(dtype=bool)]
    before = dict(zip(first["scope_id"].astype(str), first["score"].astype("float64"), strict=True))
    names = dict(
        zip(
            model.accounts["account_id"].astype(str),
            model.accounts["account_name"].astype(object).fillna(""),
            strict=True,
        )
    )
    falls = [
        (str(names.get(account) or account), score_change(float(now), before[account]))
        for account, now in zip(last["scope_id"].astype(str), last["score"].astype("float64"), strict=True)
        if account in before
    ]
    return sorted((f for f in falls if f[1] < 0), key=lambda f: (f[1], f[0]))


def trend_sentence(model: ReportModel) -> str | None:
    """What changed, in one sentence; None without an earlier run."""
    org = _scores(model.trend, "organization") if not model.trend.empty else model.trend
    if len(org) < 2:
        return None
    first, last = float(org["score"].iloc[0]), float(org["score"].iloc[-1])
    runs = len(org)
    parts = [
        f"{format_delta(score_change(last, first))} over {runs} runs "
        f"({format_score(first)} → {format_score(last)})"
    ]
    deltas = model.deltas
    fixed = int(deltas["fixed"].sum()) if not deltas.empty else 0
    new = int(deltas["new"].sum()) if not deltas.empty else 0
    parts.append(f"{fixed:,} finding{'' if fixed == 1 else 's'} fixed and {new:,} new since the previous run")
    falls = account_falls(model)
    if not falls:
        parts.append("no account fell")
    else:
        (name, change), *others = falls[:FALLS_NAMED]
        said = f"{name} fell {_points(change)} points"
        if others:
            said += "".join(f", {n} {_points(c)}" for n, c in others[:-1]) + " and "
            said += f"{others[-1][0]} {_points(others[-1][1])}"
        parts.append(said + " over the same runs")
        if len(falls) > FALLS_NAMED:
            parts.append(f"{len(falls) - FALLS_NAMED} more accounts fell")
    return "; ".join(parts) + "."


def _points(fall: float) -> str:
    """The size of a fall, "4.9": format_delta's number without its sign."""
    return format_delta(fall).removeprefix("−")
