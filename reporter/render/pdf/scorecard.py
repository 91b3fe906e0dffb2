"""ReportModel → the values scorecard.html prints: grade, trend, league table, top risks.

The scorecard is for leaders and must stay within two landscape pages, so the league table keeps
both ends of the ranking (the best few and the worst many) when there are more accounts than fit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from markupsafe import Markup

from reporter.render.model import ReportModel
from reporter.render.pdf import charts
from reporter.render.pdf.format import is_missing, records
from reporter.render.trend import trend_sentence
from reporter.scoring import score_change
from reporter.settings import SEVERITIES

LEAGUE_MAX = 34
"""League rows that fit one landscape page at the scorecard's type size."""
LEAGUE_TOP = 8
"""When the league is cut, the best accounts kept above the gap; the rest of the rows go to the worst."""


def _when(value: Any) -> dt.datetime | None:
    if is_missing(value):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.to_pydatetime()


def org_trend(model: ReportModel) -> list[charts.Point]:
    """Organization score per run, oldest first. The history lists this run last
    (history.history_view), so the trend is plotted as given."""
    trend = model.trend
    if trend.empty:
        return []
    org = trend[(trend["scope"].astype(object) == "organization").to_numpy(dtype=bool)]
    points: list[charts.Point] = []
    for row in records(org):
        at = _when(row["run_at"])
        if row["score"] is not None and at is not None:
            points.append(charts.Point(label=at.strftime("%Y-%m-%d"), value=float(row["score"])))
    return points


def account_changes(model: ReportModel) -> dict[str, tuple[int, int]]:
    """account_id → (new, fixed) findings since the previous run; empty without history."""
    deltas = model.deltas
    if deltas.empty:
        return {}
    sums = deltas.groupby(deltas["account_id"].astype(object))[["new", "fixed"]].sum()
    return {str(a): (int(n), int(f)) for a, n, f in zip(sums.index, sums["new"], sums["fixed"], strict=True)}


def league(model: ReportModel, limit: int) -> dict[str, Any]:
    """Accounts best first with their rank; the middle is cut when there are more than ``limit``."""
    accounts = model.accounts
    order = accounts.assign(
        _s=pd.to_numeric(accounts["score"], errors="coerce").astype("float64").fillna(-1.0).to_numpy(),
        _n=accounts["account_name"].astype(object).fillna("").astype(str).to_numpy(),
    ).sort_values(["_s", "_n"], ascending=[False, True], kind="stable")
    rows = records(order.drop(columns=["_s", "_n"]))
    changes = account_changes(model)
    # With history, an account the deltas do not mention had no new and no fixed findings.
    unchanged = (0, 0) if not model.trend.empty else (None, None)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        row["new"], row["fixed"] = changes.get(str(row["account_id"]), unchanged)
    if len(rows) <= limit:
        return {"top": rows, "bottom": [], "hidden": 0, "total": len(rows)}
    top = min(LEAGUE_TOP, max(1, limit // 4))
    bottom = limit - top - 1  # one row says how many were left out
    return {
        "top": rows[:top],
        "bottom": rows[-bottom:],
        "hidden": len(rows) - top - bottom,
        "total": len(rows),
    }


def scorecard_context(model: ReportModel, *, league_limit: int, generated_at: dt.datetime) -> dict[str, Any]:
    """Everything scorecard.html prints."""
    points = org_trend(model)
    # With history, the last point is this run and the one before it the previous run.
    previous = points[-2].value if len(points) >= 2 and model.organization.score is not None else None
    return {
        "meta": model.meta,
        "generated_at": generated_at,
        "org": model.organization,
        "org_delta": None
        if previous is None
        else score_change(float(model.organization.score or 0.0), previous),
        "trend_sentence": trend_sentence(model),
        "severities": SEVERITIES,
        "trend_chart": Markup(
            charts.trend_chart(points, title="Organization score by run", width=760, height=160)
        )
        if len(points) >= 2
        else None,
        "league": league(model, league_limit),
        "has_changes": not model.trend.empty,
        "risks": list(model.top_risks)[:5],
    }
