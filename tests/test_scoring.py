"""Scoring (DESIGN.md §5) against hand-computed examples; the arithmetic is written out in each test."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.findings import FINDING_COLUMNS, STATUSES
from reporter.scoring import Scores, format_delta, format_score, grade, score, score_change
from reporter.settings import SEVERITIES, Settings

WEIGHTS = {"critical": 10, "high": 5, "medium": 3, "low": 1}
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"


def finding(
    rule_id: str,
    severity: str,
    status: str,
    *,
    account: str = ACCOUNT_A,
    ou: str | None = "Root/Workloads/Prod",
    resource_type: str = "function",
    name: str = "fn",
    section: str = "Security",
) -> dict[str, Any]:
    arn = f"arn:aws:lambda:us-east-1:{account}:function:{name}" if resource_type == "function" else None
    row: dict[str, Any] = dict.fromkeys(FINDING_COLUMNS)
    row |= {
        "rule_id": rule_id,
        "title": f"title of {rule_id}",
        "severity": severity,
        "status": status,
        "account_id": account,
        "account_name": f"acct-{account[:3]}",
        "ou_path": ou,
        "region": "us-east-1",
        "resource_type": resource_type,
        "resource_id": name if resource_type == "function" else f"{account}/us-east-1",
        "resource_arn": arn,
        "reason": "because",
        "guide_section": section,
    }
    return row


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*FINDING_COLUMNS, "guide_section"])


def row_of(df: pd.DataFrame, key: str, value: str) -> pd.Series:
    match = df[df[key] == value]
    assert len(match) == 1, f"{key}={value} not exactly once in {df[key].tolist()}"
    return match.iloc[0]


def test_score_hand_computed_excludes_waived_and_errors() -> None:
    rows = [
        finding("R1", "critical", "pass", name="a"),  # applicable 10
        finding("R2", "high", "fail", name="a"),  # applicable 5, failing 5
        finding("R3", "medium", "pass", name="a"),  # applicable 3
        finding("R4", "low", "fail", name="a"),  # applicable 1, failing 1
        finding("R5", "medium", "waived", name="a"),  # excluded from both sums
        finding("R6", "high", "error", name="a"),  # excluded, counted as error
    ]
    scores = score(frame(rows), Settings())
    account = row_of(scores.accounts, "account_id", ACCOUNT_A)
    # applicable = 10 + 5 + 3 + 1 = 19; failing = 5 + 1 = 6; score = 100 × 13/19 = 68.42… → D
    assert account["weight_applicable"] == 19
    assert account["weight_failing"] == 6
    assert account["score"] == 100 * 13 / 19
    assert account["grade"] == "D"
    assert (account["pass"], account["fail"], account["error"], account["waived"]) == (2, 2, 1, 1)
    assert (account["critical"], account["high"], account["medium"], account["low"]) == (0, 1, 0, 1)
    assert scores.organization.score == 100 * 13 / 19
    assert scores.organization.counts == {"pass": 2, "fail": 2, "error": 1, "waived": 1}
    assert scores.organization.open_by_severity == {"critical": 0, "high": 1, "medium": 0, "low": 1}


def test_two_accounts_and_functions_are_scored_separately() -> None:
    rows = [
        # account A, function a: high pass (5) + medium fail (3) → 100 × 5/8 = 62.5 → D
        finding("R1", "high", "pass", name="a"),
        finding("R2", "medium", "fail", name="a"),
        # account A, function b: low fail (1) → 100 × 0/1 = 0 → F
        finding("R3", "low", "fail", name="b"),
        # account A, account-region finding: not a function, counts for the account only
        finding("R4", "high", "pass", resource_type="account-region"),
        # account B, function c: medium pass (3) → 100 → A
        finding("R2", "medium", "pass", name="c", account=ACCOUNT_B),
    ]
    scores = score(frame(rows), Settings())
    fn = scores.functions.set_index("function_arn")
    assert fn.loc[f"arn:aws:lambda:us-east-1:{ACCOUNT_A}:function:a", "score"] == 62.5
    assert fn.loc[f"arn:aws:lambda:us-east-1:{ACCOUNT_A}:function:b", "score"] == 0.0
    assert fn.loc[f"arn:aws:lambda:us-east-1:{ACCOUNT_B}:function:c", "grade"] == "A"
    assert len(fn) == 3  # the account-region finding is not a function
    # account A: applicable 5 + 3 + 1 + 5 = 14, failing 3 + 1 = 4 → 100 × 10/14 = 71.43 → C
    assert row_of(scores.accounts, "account_id", ACCOUNT_A)["score"] == 100 * 10 / 14
    assert row_of(scores.accounts, "account_id", ACCOUNT_A)["grade"] == "C"
    # rule R2: medium fail (3) + medium pass (3) → 50 → F
    assert row_of(scores.rules, "rule_id", "R2")["score"] == 50.0
    # organization: applicable 14 + 3 = 17, failing 4 → 100 × 13/17
    assert scores.organization.score == 100 * 13 / 17


@pytest.mark.parametrize(
    ("passes", "fails", "uncapped", "expected"),
    [
        (20, 1, "A", "C"),  # 100 × 200/210 = 95.2 → A, capped at C by the open critical
        (8, 1, "B", "C"),  # 100 × 80/90 = 88.9 → B → C
        (5, 2, "C", "C"),  # 100 × 50/70 = 71.4 → C stays C
        (3, 2, "D", "D"),  # 100 × 30/50 = 60 → D: the cap never raises a grade
    ],
)
def test_open_critical_caps_grade_at_c(passes: int, fails: int, uncapped: str, expected: str) -> None:
    rows = [finding("R1", "critical", "pass", name=f"p{i}") for i in range(passes)]
    rows += [finding("R1", "critical", "fail", name=f"f{i}") for i in range(fails)]
    org = score(frame(rows), Settings()).organization
    exact = 100 * passes / (passes + fails)  # every finding weighs 10, so the weights cancel
    assert org.score == exact
    assert grade(exact, open_critical=0) == uncapped
    assert org.grade == expected
    assert grade(exact, open_critical=fails) == expected


def test_cap_never_raises_a_grade_and_waived_critical_does_not_cap() -> None:
    # 1 critical fail (10) of 2 critical (20): 50 → F, and the cap must not lift it to C
    low = score(
        frame([finding("R1", "critical", "fail"), finding("R1", "critical", "pass", name="b")]), Settings()
    )
    assert low.organization.grade == "F"
    # a waived critical is not open: 10 critical passes → 100 → A
    rows = [finding("R1", "critical", "pass", name=f"p{i}") for i in range(10)]
    rows.append(finding("R1", "critical", "waived", name="w"))
    assert score(frame(rows), Settings()).organization.grade == "A"


def test_grade_thresholds_are_inclusive() -> None:
    # 9 low passes + 1 low fail: applicable 10, failing 1 → exactly 90 → A
    rows = [finding("R1", "low", "pass", name=f"p{i}") for i in range(9)] + [finding("R1", "low", "fail")]
    org = score(frame(rows), Settings()).organization
    assert org.score == 90.0
    assert org.grade == "A"
    assert [grade(s, 0) for s in (89.999, 80.0, 79.9, 70.0, 60.0, 59.99)] == ["B", "B", "C", "C", "D", "F"]


def test_nothing_applicable_gives_no_score() -> None:
    rows = [finding("R1", "high", "error"), finding("R2", "critical", "waived")]
    scores = score(frame(rows), Settings())
    assert scores.organization.score is None
    assert scores.organization.grade == "n/a"
    assert scores.organization.counts == {"pass": 0, "fail": 0, "error": 1, "waived": 1}
    account = row_of(scores.accounts, "account_id", ACCOUNT_A)
    assert pd.isna(account["score"])
    assert account["grade"] == "n/a"
    assert account["error"] == 1


def test_zero_weights_give_no_score_instead_of_dividing_by_zero() -> None:
    zero_low = Settings(weights={**WEIGHTS, "low": 0})
    org = score(frame([finding("R1", "low", "fail")]), zero_low).organization
    assert org.score is None
    assert org.grade == "n/a"


def test_weights_come_from_settings() -> None:
    rows = [finding("R1", "high", "fail"), finding("R2", "low", "pass", name="b")]
    # default: failing 5 of 6 → 100 × 1/6
    assert score(frame(rows), Settings()).organization.score == 100 * 1 / 6
    # high weighted 1: failing 1 of 2 → 50
    assert score(frame(rows), Settings(weights={**WEIGHTS, "high": 1})).organization.score == 50.0


def test_ou_score_includes_sub_ous() -> None:
    rows = [
        finding("R1", "high", "fail", account=ACCOUNT_A, ou="Root/Workloads/Prod"),  # 5 failing of 5
        finding("R1", "high", "pass", account=ACCOUNT_B, ou="Root/Workloads/Dev", name="d"),  # 5 of 5 pass
        finding("R1", "low", "pass", account="333333333333", ou="Root/Sandbox", name="s"),  # 1 pass
        finding("R1", "low", "fail", account="444444444444", ou=None, name="x"),  # no OU: organization only
    ]
    scores = score(frame(rows), Settings())
    ous = scores.ous.set_index("ou_path")
    assert sorted(ous.index) == [
        "Root",
        "Root/Sandbox",
        "Root/Workloads",
        "Root/Workloads/Dev",
        "Root/Workloads/Prod",
    ]
    assert ous.loc["Root/Workloads/Prod", "score"] == 0.0
    assert ous.loc["Root/Workloads/Dev", "score"] == 100.0
    # Root/Workloads = Prod + Dev: failing 5 of 10 → 50
    assert ous.loc["Root/Workloads", "score"] == 50.0
    assert (ous.loc["Root/Workloads", "pass"], ous.loc["Root/Workloads", "fail"]) == (1, 1)
    # Root = everything with an OU: failing 5 of 11 → 100 × 6/11
    assert ous.loc["Root", "score"] == 100 * 6 / 11
    # organization also counts the OU-less finding: failing 6 of 12 → 50
    assert scores.organization.score == 50.0


def test_sections_and_rules() -> None:
    rows = [
        finding("R1", "high", "fail", section="Security"),
        finding("R2", "medium", "pass", section="Security", name="b"),
        finding("R3", "low", "pass", section="Cost", name="c"),
    ]
    scores = score(frame(rows), Settings())
    # Security: failing 5 of 8 → 37.5
    assert row_of(scores.sections, "guide_section", "Security")["score"] == 37.5
    assert row_of(scores.sections, "guide_section", "Cost")["grade"] == "A"
    assert scores.rules["rule_id"].tolist() == ["R1", "R2", "R3"]


def test_frames_have_documented_columns_and_exact_dtypes() -> None:
    scores = score(frame([finding("R1", "high", "pass")]), Settings())
    counts = ["pass", "fail", "error", "waived", "critical", "high", "medium", "low"]
    tail = [*counts, "weight_applicable", "weight_failing", "score", "grade"]
    for name, key in [("functions", "function_arn"), ("accounts", "account_id"), ("ous", "ou_path")]:
        df = getattr(scores, name)
        assert df.columns.tolist() == [key, *tail], name
        assert str(df["score"].dtype) == "Float64"
    assert {f.name for f in dataclasses.fields(Scores)} == {
        "functions",
        "accounts",
        "ous",
        "rules",
        "sections",
        "organization",
    }


def test_empty_findings() -> None:
    scores = score(frame([]), Settings())
    assert scores.organization.score is None
    assert scores.accounts.empty and scores.functions.empty and scores.ous.empty


@pytest.mark.parametrize(
    ("column", "value"), [("status", "passed"), ("severity", "urgent"), ("status", None)]
)
def test_unknown_status_or_severity_is_rejected(column: str, value: str | None) -> None:
    row = finding("R1", "high", "pass") | {column: value}
    with pytest.raises(ValueError, match=column):
        score(frame([row]), Settings())


def test_missing_columns_are_rejected() -> None:
    with pytest.raises(ValueError, match="guide_section"):
        score(frame([finding("R1", "high", "pass")]).drop(columns=["guide_section"]), Settings())


def test_format_score_rounds_down_so_display_matches_grade() -> None:
    assert format_score(89.96) == "89.9"  # a B must not show as 90.0
    assert format_score(90.0) == "90.0"
    assert format_score(100 * 567 / 1000) == "56.7"  # 56.699999… in binary, still 56.7
    assert format_score(100.0) == "100.0"
    assert format_score(None) == "n/a"


def test_a_change_is_the_difference_of_the_shown_scores() -> None:
    # 84.31 shows as 84.3 and 84.27 as 84.2: the page must say −0.1, not ±0.0 (exact −0.04).
    assert format_delta(score_change(84.27, 84.31)) == "−0.1"
    assert format_delta(score_change(84.26710771139136, 73.39)) == "+10.9"  # 73.3 → 84.2
    assert format_delta(score_change(56.7, 100 * 567 / 1000)) == "±0.0"
    assert format_delta(score_change(90.0, 89.96)) == "+0.1"  # 89.9 → 90.0, B → A
    assert format_delta(score_change(0.0, 100.0)) == "−100.0"


def test_vectorised_path_on_200k_rows_matches_a_groupby_reference() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    accounts = np.array([f"{i:012d}" for i in range(50)])
    df = pd.DataFrame(
        {
            "rule_id": rng.choice([f"LG-X-{i:02d}" for i in range(28)], n),
            "severity": rng.choice(list(SEVERITIES), n),
            "status": rng.choice(list(STATUSES), n, p=[0.6, 0.3, 0.05, 0.05]),
            "account_id": rng.choice(accounts, n),
            "resource_type": "function",
            "guide_section": rng.choice(["A", "B", "C"], n),
        }
    )
    df["ou_path"] = "Root/OU" + (df["account_id"].str[-1:].astype(int) % 3).astype(str)
    df["resource_arn"] = "arn:fn:" + pd.Series(rng.integers(0, 8000, n)).astype(str)
    scores = score(df, Settings())
    # independent reference: weights per row, summed by pandas groupby
    w = df["severity"].map(WEIGHTS)
    ref = (
        pd.DataFrame(
            {
                "account_id": df["account_id"],
                "app": w * df["status"].isin(["pass", "fail"]),
                "fail": w * (df["status"] == "fail"),
            }
        )
        .groupby("account_id")
        .sum()
    )
    expected = 100 * (ref["app"] - ref["fail"]) / ref["app"]
    got = scores.accounts.set_index("account_id")["score"].astype(float)
    assert np.allclose(got.loc[expected.index].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9)
    assert sum(scores.organization.counts.values()) == n
    assert (
        scores.functions["pass"].sum() + scores.functions["fail"].sum()
        == df["status"].isin(["pass", "fail"]).sum()
    )


_row = st.tuples(
    st.sampled_from(SEVERITIES), st.sampled_from(STATUSES), st.sampled_from([ACCOUNT_A, ACCOUNT_B])
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_row, max_size=30))
def test_matches_exact_rational_definition(rows: list[tuple[str, str, str]]) -> None:
    findings = frame(
        [finding("R1", sev, status, account=acct, name=f"f{i}") for i, (sev, status, acct) in enumerate(rows)]
    )
    scores = score(findings, Settings())
    for account in (ACCOUNT_A, ACCOUNT_B):
        mine = [(sev, status) for sev, status, acct in rows if acct == account]
        applicable = sum(WEIGHTS[s] for s, st_ in mine if st_ in ("pass", "fail"))
        failing = sum(WEIGHTS[s] for s, st_ in mine if st_ == "fail")
        if not mine:
            assert account not in set(scores.accounts["account_id"])
            continue
        got = row_of(scores.accounts, "account_id", account)
        if applicable == 0:
            assert pd.isna(got["score"]) and got["grade"] == "n/a"
            continue
        exact = Fraction(100 * (applicable - failing), applicable)
        assert got["score"] == float(exact)
        open_critical = sum(1 for s, st_ in mine if s == "critical" and st_ == "fail")
        assert got["grade"] == grade(float(exact), open_critical)
