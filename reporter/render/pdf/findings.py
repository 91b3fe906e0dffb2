"""Which findings the audit report lists, so it stays a readable size for any organization.

The workbook holds every finding; the PDF holds a bounded selection that an auditor can read:

1. per account and rule, at most ``rows_per_rule`` open rows (fail, then error), with
   "and M more — see the workbook";
2. accounts in detail worst first (lowest score), for as long as the estimated length of the
   listing fits ``line_budget``; every other account appears only in the overview table.

Lengths are estimated in printed text lines from the text that will wrap (resource and reason), so
the selection is decided before WeasyPrint lays anything out; ``pdf.py`` still checks the real page
count and asks for a smaller budget if an estimate was short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reporter.render.pdf.format import records
from reporter.settings import SEVERITIES

OPEN_STATUSES: tuple[str, ...] = ("fail", "error")
"""Statuses listed row by row; waived findings are counted per rule and detailed under Waivers."""
REASON_CHARS = 240
"""Longest reason printed in full; longer ones (e.g. a list of 40 blocked actions) end in "…"."""
RESOURCE_LINE_CHARS = 52
REASON_LINE_CHARS = 56
"""Characters per printed line in the resource and reason columns (7.5 pt DejaVu Sans, A4 portrait)."""
ROW_PADDING_LINES = 0.45
GROUP_LINES = 2.0
"""A rule heading row: title, severity and counts, on up to two lines."""
ACCOUNT_LINES = 7.0
"""An account heading, its one-line summary and the table header."""


@dataclass(frozen=True)
class FindingRow:
    status: str
    resource: str
    reason: str


@dataclass(frozen=True)
class RuleGroup:
    """The open findings of one rule in one account."""

    rule_id: str
    title: str
    severity: str
    failing: int
    errors: int
    waived: int
    rows: tuple[FindingRow, ...]
    more: int
    """Open findings of this rule in this account not listed here."""

    @property
    def counts(self) -> str:
        """The rule's counts as a phrase, zeros left out: "12 failing, 1 error, 2 waived"."""
        parts = (
            (self.failing, "failing"),
            (self.errors, "error" if self.errors == 1 else "errors"),
            (self.waived, "waived"),
        )
        return ", ".join(f"{n:,} {label}" for n, label in parts if n)


@dataclass(frozen=True)
class AccountDetail:
    account: dict[str, Any]
    """The account's row of ReportModel.accounts."""
    groups: tuple[RuleGroup, ...]
    open_total: int
    listed: int


@dataclass(frozen=True)
class FindingsPlan:
    detailed: tuple[AccountDetail, ...]
    rows_per_rule: int
    """Rows per rule actually used (lower than asked only when one account alone would not fit)."""
    accounts_with_open: int
    """Accounts with at least one fail or error finding."""
    omitted_accounts: int
    """Accounts with open findings that are not detailed (they are in the overview table)."""
    lines: float
    """Estimated printed lines of the detailed accounts (what the budget was spent on)."""


def severity_rank(severity: pd.Series) -> np.ndarray:
    order = {name: i for i, name in enumerate(SEVERITIES)}
    return severity.astype(object).map(order).fillna(len(order)).to_numpy(dtype=np.int64)


def ranked_accounts(accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounts worst first: lowest score, then most open critical/high; unscored accounts last."""
    if accounts.empty:
        return accounts
    frame = accounts.assign(
        _unscored=accounts["score"].isna().to_numpy(dtype=bool),
        _score=pd.to_numeric(accounts["score"], errors="coerce").astype("float64").fillna(101.0).to_numpy(),
        _crit=-pd.to_numeric(accounts["critical"]).astype("int64").to_numpy(),
        _high=-pd.to_numeric(accounts["high"]).astype("int64").to_numpy(),
        _name=accounts["account_name"].astype(object).fillna("").astype(str).to_numpy(),
    )
    frame = frame.sort_values(["_unscored", "_score", "_crit", "_high", "_name"], kind="stable")
    return frame.drop(columns=["_unscored", "_score", "_crit", "_high", "_name"]).reset_index(drop=True)


def _row_lines(resource: pd.Series, reason: pd.Series) -> np.ndarray:
    res = np.ceil(resource.str.len().to_numpy(dtype=np.float64) / RESOURCE_LINE_CHARS)
    why = np.ceil(reason.str.len().to_numpy(dtype=np.float64) / REASON_LINE_CHARS)
    return np.maximum(np.maximum(res, why), 1.0) + ROW_PADDING_LINES


def _open_rows(findings: pd.DataFrame) -> pd.DataFrame:
    """Open findings with the text they will print and its estimated height, in listing order."""
    rows = findings.loc[findings["status"].isin(OPEN_STATUSES).to_numpy(dtype=bool)]
    arn = rows["resource_arn"].astype(object)
    resource = arn.where(arn.notna(), rows["resource_id"].astype(object)).fillna("").astype(str)
    reason = rows["reason"].astype(object).fillna("").astype(str)
    reason = reason.where(reason.str.len() <= REASON_CHARS, reason.str.slice(0, REASON_CHARS - 1) + "…")
    out = pd.DataFrame(
        {
            "account_id": rows["account_id"].astype(object).to_numpy(),
            "rule_id": rows["rule_id"].astype(object).to_numpy(),
            "sev": severity_rank(rows["severity"]),
            # fail before error: a judged failure is the stronger statement
            "st": (rows["status"].astype(object) != "fail").to_numpy(dtype=np.int64),
            "status": rows["status"].astype(object).to_numpy(),
            "resource": resource.to_numpy(),
            "reason": reason.to_numpy(),
        }
    )
    out["lines"] = _row_lines(out["resource"], out["reason"])
    return out.sort_values(["account_id", "sev", "rule_id", "st", "resource"], kind="stable")


def _rule_counts(findings: pd.DataFrame) -> dict[tuple[str, str], dict[str, int]]:
    judged = findings.loc[findings["status"].isin(("fail", "error", "waived")).to_numpy(dtype=bool)]
    table = (
        judged.groupby(
            [
                judged["account_id"].astype(object),
                judged["rule_id"].astype(object),
                judged["status"].astype(object),
            ]
        )
        .size()
        .unstack(fill_value=0)
    )
    for status in ("fail", "error", "waived"):
        if status not in table.columns:
            table[status] = 0
    return {
        (str(a), str(r)): {"fail": int(f), "error": int(e), "waived": int(w)}
        for (a, r), f, e, w in zip(table.index, table["fail"], table["error"], table["waived"], strict=True)
    }


def _account_cost(per_rule: list[np.ndarray], k: int) -> float:
    """Estimated lines of one account when each rule lists at most ``k`` rows."""
    cost = ACCOUNT_LINES
    for lines in per_rule:
        cost += GROUP_LINES + float(lines[:k].sum()) + (1.0 if len(lines) > k else 0.0)
    return cost


def plan_findings(
    findings: pd.DataFrame,
    accounts: pd.DataFrame,
    controls: pd.DataFrame,
    *,
    rows_per_rule: int,
    line_budget: float,
) -> FindingsPlan:
    """Choose the accounts and rows the "Findings by account" section lists (module docstring)."""
    rows = _open_rows(findings)
    counts = _rule_counts(findings)
    titles = {
        str(r): (str(t), str(s))
        for r, t, s in zip(controls["rule_id"], controls["title"], controls["severity"], strict=True)
    }
    by_account = {str(a): g for a, g in rows.groupby("account_id", sort=False)}
    ranked = [rec for rec in records(ranked_accounts(accounts)) if str(rec["account_id"]) in by_account]

    k = max(0, rows_per_rule)
    detailed: list[AccountDetail] = []
    used = 0.0
    for position, account in enumerate(ranked):
        group_frame = by_account[str(account["account_id"])]
        per_rule = [g["lines"].to_numpy() for _, g in group_frame.groupby(["sev", "rule_id"], sort=True)]
        if position == 0:
            # When even the worst account alone overflows, list fewer rows per rule rather than none.
            while k > 1 and _account_cost(per_rule, k) > line_budget:
                k -= 1
        cost = _account_cost(per_rule, k)
        if used + cost > line_budget:
            break
        used += cost
        detailed.append(_detail(account, group_frame, counts, titles, k))
    return FindingsPlan(
        detailed=tuple(detailed),
        rows_per_rule=k,
        accounts_with_open=len(ranked),
        omitted_accounts=len(ranked) - len(detailed),
        lines=used,
    )


def _detail(
    account: dict[str, Any],
    frame: pd.DataFrame,
    counts: dict[tuple[str, str], dict[str, int]],
    titles: dict[str, tuple[str, str]],
    k: int,
) -> AccountDetail:
    account_id = str(account["account_id"])
    groups: list[RuleGroup] = []
    for (_, rule_id), g in frame.groupby(["sev", "rule_id"], sort=True):
        title, severity = titles.get(str(rule_id), (str(rule_id), "unknown"))
        c = counts.get((account_id, str(rule_id)), {"fail": 0, "error": 0, "waived": 0})
        shown = g.head(k)
        groups.append(
            RuleGroup(
                rule_id=str(rule_id),
                title=title,
                severity=severity,
                failing=c["fail"],
                errors=c["error"],
                waived=c["waived"],
                rows=tuple(
                    FindingRow(status=str(s), resource=str(res), reason=str(why))
                    for s, res, why in zip(shown["status"], shown["resource"], shown["reason"], strict=True)
                ),
                more=len(g) - len(shown),
            )
        )
    listed = sum(len(g.rows) for g in groups)
    return AccountDetail(
        account=account,
        groups=tuple(groups),
        open_total=len(frame),
        listed=listed,
    )
