"""How values read in the PDFs: one formatter per kind of value, used as Jinja filters.

The model's frames come from pandas, so any cell may be ``None``, ``NaN`` or ``pd.NA``; every
formatter turns a missing value into a visible dash instead of the string "nan".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from reporter.scoring import format_delta, format_score

MISSING = "—"


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA; False for containers (pd.isna would vectorise them)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with every missing value (NaN, NA, NaT) as None, so templates test one thing."""
    return [
        {str(k): (None if is_missing(v) else v) for k, v in row.items()} for row in frame.to_dict("records")
    ]


def text(value: Any) -> str:
    """Any cell as text; missing → dash."""
    return MISSING if is_missing(value) else str(value)


def listing(value: Any) -> str:
    """A list cell (Arrow lists arrive as arrays) as "a, b, c"; a plain string as itself."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(v) for v in value) or MISSING
    return text(value)


def clip(value: Any, limit: int) -> str:
    """Text cut to ``limit`` characters with an ellipsis: long reasons stay in the workbook."""
    shown = text(value)
    return shown if len(shown) <= limit else shown[: limit - 1].rstrip() + "…"


def score(value: Any) -> str:
    """A 0–100 score as every report shows it (scoring.format_score: one decimal, rounded down)."""
    return format_score(None if is_missing(value) else float(value))


def number(value: Any) -> str:
    """A count with thousands separators ("12,345")."""
    if is_missing(value):
        return MISSING
    return f"{int(value):,}"


def percent(value: Any) -> str:
    """A pass rate given as a fraction 0–1, shown as "93.5 %"."""
    if is_missing(value):
        return "n/a"
    return f"{float(value) * 100:.1f} %"


def delta(value: Any) -> str:
    """A signed score change (scoring.format_delta: "+2.5", "−1.0", "±0.0"); a dash when there is
    no earlier run."""
    return MISSING if is_missing(value) else format_delta(float(value))


def when(value: Any) -> str:
    """A timestamp in UTC to the minute, or a date as ISO."""
    if is_missing(value):
        return MISSING
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def duration(start: dt.datetime, end: dt.datetime) -> str:
    """Elapsed time between two timestamps ("1 h 02 min", "3 min 05 s")."""
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s"


FILTERS: dict[str, Any] = {
    "text": text,
    "clip": clip,
    "listing": listing,
    "score": score,
    "number": number,
    "percent": percent,
    "delta": delta,
    "when": when,
}
"""Jinja filters of the PDF templates."""
