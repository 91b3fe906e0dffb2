"""Shared fixtures for renderer tests: small synthetic models (tests.render.synthetic).

Session-scoped because building them costs ~0.1 s each and renderers never mutate the model.
"""

from __future__ import annotations

import pytest

from reporter.render.model import ReportModel
from tests.render.synthetic import synthetic_model


@pytest.fixture(scope="session")
def small_model() -> ReportModel:
    """600 findings over 5 accounts (the last one SUSPENDED), no history, ordinary names."""
    return synthetic_model(findings=600, accounts=5, seed=3)


@pytest.fixture(scope="session")
def hostile_model() -> ReportModel:
    """Like small_model, with formula-looking, markup, control-led, long and unicode names and history."""
    return synthetic_model(findings=600, accounts=5, seed=4, hostile_names=True, with_history=True)


@pytest.fixture(scope="session")
def history_model() -> ReportModel:
    """400 findings over 4 accounts with 6 runs of trend and per-rule deltas."""
    return synthetic_model(findings=400, accounts=4, seed=5, with_history=True)


@pytest.fixture(scope="session")
def empty_model() -> ReportModel:
    """One account, two functions and no findings at all: every score is n/a, trend empty."""
    return synthetic_model(findings=0, accounts=1, seed=6)
