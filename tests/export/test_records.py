"""Which rows the exports carry, their stable ids, and first/last seen from history."""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from reporter.export.records import earlier_runs, export_rows, finding_uid
from reporter.outputs import SORT_KEY, sort_findings
from reporter.rules.catalog import catalog_frame
from tests.export.helpers import NOW, Run, finding, frame, month


def _rows(current: pd.DataFrame, *runs: Run) -> pd.DataFrame:
    earlier = earlier_runs(list(runs), "o-exampleorg1", NOW)
    return export_rows(current, catalog=catalog_frame(), earlier=earlier, now=NOW, tags={})


def _by_name(rows: pd.DataFrame) -> dict[str, dict[Hashable, object]]:
    return {str(r["resource_id"]): r for r in rows.to_dict("records")}


def test_without_history_only_what_is_not_passing_goes_out_first_seen_now() -> None:
    current = frame(
        finding(name="open"),
        finding(name="ok", status="pass"),
        finding(name="waived", status="waived", waiver_id="W-1", waiver_expires="2027-01-31"),
        finding(name="blind", status="error", remediation=None),
    )
    rows = _by_name(_rows(current))
    assert sorted(rows) == ["blind", "open", "waived"]
    for row in rows.values():
        assert row["first_seen"] == NOW and row["last_seen"] == NOW
        assert row["previous_status"] is None and row["fixed"] is False
        assert row["guide_section"] == "Automated Cost Governance and Control"


def test_first_seen_is_the_start_of_the_unbroken_open_streak() -> None:
    runs = [
        Run(month(5), [finding(name="a"), finding(name="b")]),
        Run(month(4), [finding(name="a", status="pass"), finding(name="b")]),
        Run(month(3), [finding(name="a"), finding(name="b", status="error")]),  # unjudged: no break
        Run(month(2), [finding(name="a", status="waived"), finding(name="b", status="waived")]),
        Run(month(1), [finding(name="a"), finding(name="b")]),
    ]
    rows = _by_name(_rows(frame(finding(name="a"), finding(name="b"), finding(name="c")), *runs))
    assert rows["a"]["first_seen"] == month(3)  # the pass of month 4 ended the earlier streak
    assert rows["b"]["first_seen"] == month(5)
    assert rows["c"]["first_seen"] == NOW  # absent from every earlier run
    assert all(r["last_seen"] == NOW for r in rows.values())


def test_a_fix_goes_out_once_with_the_streak_it_ended() -> None:
    runs = [
        Run(month(3), [finding(name="fixed"), finding(name="long-ok", status="pass")]),
        Run(month(2), [finding(name="fixed"), finding(name="long-ok", status="pass")]),
        Run(month(1), [finding(name="fixed"), finding(name="long-ok", status="pass")]),
    ]
    current = frame(
        finding(name="fixed", status="pass"),
        finding(name="long-ok", status="pass"),
        finding(name="new-ok", status="pass"),
    )
    rows = _by_name(_rows(current, *runs))
    assert sorted(rows) == ["fixed"]
    fixed = rows["fixed"]
    assert fixed["fixed"] is True and fixed["previous_status"] == "fail"
    assert (fixed["first_seen"], fixed["last_seen"]) == (month(3), month(1))
    # The month after, the previous run passed: the fix is not sent again.
    later = [*runs, Run(NOW, [finding(name="fixed", status="pass")])]
    earlier = earlier_runs(later, "o-exampleorg1", month(-1))
    again = export_rows(
        frame(finding(name="fixed", status="pass")),
        catalog=catalog_frame(),
        earlier=earlier,
        now=month(-1),
        tags={},
    )
    assert again.empty


def test_an_unjudged_row_counts_its_own_streak_and_a_duplicate_key_takes_the_worst_status() -> None:
    runs = [
        Run(month(2), [finding(name="x", status="error")]),
        # two rows for one key in one run: fail outranks pass, so "dup" was not passing then
        Run(
            month(1),
            [finding(name="x", status="error"), finding(name="dup"), finding(name="dup", status="pass")],
        ),
    ]
    current = frame(finding(name="x", status="error"), finding(name="dup", status="pass"))
    rows = _by_name(_rows(current, *runs))
    assert rows["x"]["first_seen"] == month(2)
    assert rows["dup"]["fixed"] is True


def test_only_earlier_runs_of_the_same_organization_count() -> None:
    other = Run(month(2), [finding(name="a")], organization_id="o-someoneelse")
    future = Run(month(-1), [finding(name="a")])
    mine = Run(month(1), [finding(name="a")])
    assert earlier_runs([other, future, mine], "o-exampleorg1", NOW) == [mine]
    rows = _by_name(_rows(frame(finding(name="a")), other, future, mine))
    assert rows["a"]["first_seen"] == month(1)


def test_ids_are_stable_and_distinct() -> None:
    one = _rows(frame(finding(name="a"), finding(name="b")))
    shuffled = _rows(frame(finding(name="b", reason="other words", status="waived"), finding(name="a")))
    assert dict(zip(one["resource_id"], one["uid"], strict=True)) == dict(
        zip(shuffled["resource_id"], shuffled["uid"], strict=True)
    )
    assert one["uid"].nunique() == 2
    other_region = _rows(frame(finding(name="a", region="eu-west-1")))
    assert other_region["uid"].iloc[0] != one["uid"].iloc[0]
    assert one["uid"].iloc[0].startswith("reporter-LG-COST-01-111111111111-us-east-1-")
    assert finding_uid("R", "1", "r", ["a", None]) == finding_uid("R", "1", "r", ["a", float("nan")])


def test_a_finding_whose_resource_is_gone_where_the_run_looked_is_closed() -> None:
    unit = finding(
        rule_id="LG-CFG-01",
        status="error",
        region="global",
        resource_type="unit",
        resource_id="111111111111/global",
        resource_arn=None,
    )
    runs = [
        Run(month(2), [finding(name="deleted")]),
        Run(
            month(1),
            [
                finding(name="deleted"),
                finding(name="was-ok", status="pass"),
                finding(name="other-account", account_id="222222222222"),
                finding(name="other-region", region="eu-west-1"),
                finding(rule_id="LG-CFG-01", name="blind"),
            ],
        ),
    ]
    current = frame(finding(name="still"), unit)
    earlier = earlier_runs(runs, "o-exampleorg1", NOW)
    rows = export_rows(
        current, catalog=catalog_frame(), earlier=earlier, now=NOW, tags={}, regions=("us-east-1",)
    )
    by_name = _by_name(rows)
    # not gone: passing before; account or region not looked at; the rule could not be judged there
    assert sorted(by_name) == ["111111111111/global", "deleted", "still"]
    gone = by_name["deleted"]
    assert (gone["status"], gone["previous_status"], gone["gone"], gone["fixed"]) == (
        "gone",
        "fail",
        True,
        False,
    )
    assert (gone["first_seen"], gone["last_seen"]) == (month(2), month(1))
    assert gone["title"] == "High-risk functions have a reserved-concurrency circuit breaker"
    assert rows[list(SORT_KEY)].equals(sort_findings(rows)[list(SORT_KEY)])  # canonical order kept
