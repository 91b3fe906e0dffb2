"""The trend in words (reporter.render.trend), on hand-made histories with hand-written sentences."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from reporter.render.model import ReportModel
from reporter.render.trend import trend_sentence
from tests.render.synthetic import synthetic_model

UTC = dt.UTC


def _model(scores: dict[str, list[float | None]], deltas: list[tuple[str, int, int]]) -> ReportModel:
    """scores: scope id ("organization" or an account id) → score per run, oldest first;
    deltas: (account id, new, fixed) since the previous run."""
    base = synthetic_model(findings=50, accounts=3, seed=1)
    names = {"111111111111": "alpha", "222222222222": "beta", "333333333333": "gamma"}
    runs = len(next(iter(scores.values())))
    trend = pd.DataFrame(
        [
            {
                "run_id": f"run-{i}",
                "run_at": dt.datetime(2026, 9 + i, 28, tzinfo=UTC),
                "scope": "organization" if scope == "organization" else "account",
                "scope_id": scope,
                "score": values[i],
                "grade": "C",
            }
            for i in range(runs)
            for scope, values in scores.items()
        ]
    )
    accounts = pd.DataFrame({"account_id": list(names), "account_name": list(names.values())})
    changes = pd.DataFrame(
        [
            {"account_id": a, "account_name": names[a], "rule_id": "LG-IAM-01", "new": n, "fixed": f}
            for a, n, f in deltas
        ],
        columns=["account_id", "account_name", "rule_id", "new", "fixed"],
    )
    return dataclasses.replace(base, trend=trend, deltas=changes, accounts=accounts)


def test_rise_with_one_account_falling() -> None:
    model = _model(
        {
            "organization": [73.39, 79.92, 84.2671],
            "111111111111": [89.0, 88.72, 84.12],  # 89.0 → 84.1: fell 4.9
            "222222222222": [60.0, 70.0, 80.0],
        },
        [("111111111111", 14, 0), ("222222222222", 3, 40), ("333333333333", 0, 1)],
    )
    assert trend_sentence(model) == (
        "+10.9 over 3 runs (73.3 → 84.2); 41 findings fixed and 17 new since the previous run; "
        "alpha fell 4.9 points over the same runs."
    )


def test_fall_of_the_organization_and_several_accounts() -> None:
    model = _model(
        {
            "organization": [80.0, 79.96],  # 80.0 → 79.9
            "111111111111": [70.0, 69.0],
            "222222222222": [50.0, 40.05],
            "333333333333": [None, 10.0],  # not scored in the first run: not compared
        },
        [("222222222222", 1, 0)],
    )
    assert trend_sentence(model) == (
        "−0.1 over 2 runs (80.0 → 79.9); 0 findings fixed and 1 new since the previous run; "
        "beta fell 10.0 points and alpha 1.0 over the same runs."
    )


def test_no_sentence_without_an_earlier_run_and_no_fall_said_plainly() -> None:
    assert trend_sentence(_model({"organization": [80.0]}, [])) is None
    steady = _model({"organization": [80.0, 80.04], "111111111111": [70.0, 70.0]}, [])
    assert trend_sentence(steady) == (
        "±0.0 over 2 runs (80.0 → 80.0); 0 findings fixed and 0 new since the previous run; no account fell."
    )
