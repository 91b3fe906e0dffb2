"""The one view model that every renderer reads (Excel, PDF, terminal summary).

Built by :func:`reporter.render.build.build_model` from the pipeline's outputs; renderers
never query the inventory or recompute scores themselves, so every report shows the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reporter.model import RunMeta, ScoreSummary


@dataclass(frozen=True)
class Risk:
    """One of the largest risks, in plain language, for the executive summary and scorecard."""

    rule_id: str
    title: str
    severity: str
    failing: int
    """Open (failing, non-waived) findings of this rule."""
    accounts: int
    """Accounts with at least one open finding of this rule."""
    plain: str
    """A sentence a leader understands: what can go wrong and how widespread it is."""
    owner: str
    """Who should act (e.g. "Platform/IAM team", "Account owners of Prod")."""


@dataclass(frozen=True)
class ReportModel:
    meta: RunMeta
    organization: ScoreSummary
    findings: pd.DataFrame
    """reporter.findings.FINDING_COLUMNS + guide_section; every status, one row per (rule, resource)."""
    controls: pd.DataFrame
    """rule_id, title, severity, guide_section, frameworks, remediation,
    pass, fail, error, waived, pass_rate."""
    accounts: pd.DataFrame
    """account_id, account_name, ou_path, status, score, grade, critical, high, medium, low,
    waived, errors, delta (score change vs. the previous run, null when unknown)."""
    ous: pd.DataFrame
    """ou_path, accounts, score, grade, critical, high, medium, low, waived, errors, delta."""
    sections: pd.DataFrame
    """guide_section, score, grade, pass, fail, error, waived."""
    functions: pd.DataFrame
    """The functions inventory plus score and grade per function."""
    roles: pd.DataFrame
    """The roles inventory joined with role_facts, plus functions (count using the role)."""
    coverage: pd.DataFrame
    """The coverage table plus account_name."""
    waivers: pd.DataFrame
    """waiver_id, rule, account, region, resource, reason, owner, expires, state
    (active | expired | unused), matched (findings it waived)."""
    top_risks: tuple[Risk, ...]
    trend: pd.DataFrame
    """run_id, run_at, scope (organization | account), scope_id, score, grade — one row per run
    and scope, oldest first; empty without history."""
    deltas: pd.DataFrame
    """account_id, account_name, rule_id, new, fixed, still_failing, score_delta, then gone (the
    resource is no longer reported), newly_waived and unjudged (now an error row or an unread unit:
    never claimed as fixed); empty without history."""
