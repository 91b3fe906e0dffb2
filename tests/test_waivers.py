"""Waivers: parsing with file:line errors, matching, expiry, first-match-wins, errors never waived."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reporter.errors import UserError
from reporter.findings import FINDING_COLUMNS
from reporter.waivers import WAIVER_COLUMNS, Waiver, apply_waivers, load_waivers, parse_waivers

RULES = ["LG-IAM-01", "LG-IAM-02", "LG-PUB-01", "LG-CFG-01"]
RUN = dt.date(2026, 11, 30)
A = "111111111111"
B = "222222222222"


def parse(text: str) -> tuple[Waiver, ...]:
    return parse_waivers(textwrap.dedent(text), "w.yaml", RULES)


def error_of(text: str) -> str:
    with pytest.raises(UserError) as caught:
        parse(text)
    assert caught.value.exit_code == 2
    return str(caught.value)


def waiver(wid: str, rule: str = "*", *, expires: dt.date = RUN, **fields: str) -> Waiver:
    values = {"account": "*", "region": "*", "resource": "*", "reason": "r", "owner": "o"} | fields
    return Waiver(id=wid, rule=rule, expires=expires, line=1, **values)


def finding(
    rule: str, status: str, *, account: str = A, region: str = "us-east-1", name: str = "fn"
) -> dict[str, Any]:
    regional = rule.startswith("LG-CFG")
    row: dict[str, Any] = dict.fromkeys(FINDING_COLUMNS)
    row |= {
        "rule_id": rule,
        "severity": "high",
        "status": status,
        "account_id": account,
        "region": region,
        "resource_type": "account-region" if regional else "function",
        "resource_id": f"{account}/{region}" if regional else name,
        "resource_arn": None if regional else f"arn:aws:lambda:{region}:{account}:function:{name}",
    }
    return row


def findings(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(FINDING_COLUMNS))


VALID = """\
    waivers:
      - id: W-1
        rule: LG-IAM-*
        account: "111111111111"
        reason: Legacy app, migration planned
        owner: platform@example.com
        expires: 2026-12-31
      - id: W-2
        rule: LG-PUB-01
        account: 222222222222
        region: eu-west-1
        resource: "arn:aws:lambda:eu-west-1:222222222222:function:public-*"
        reason: Public webhook by design
        owner: web team
        expires: '2027-01-15'
    """


def test_valid_file_with_waivers_key_and_defaults() -> None:
    w1, w2 = parse(VALID)
    assert w1 == Waiver(
        id="W-1",
        rule="LG-IAM-*",
        account=A,
        region="*",
        resource="*",
        reason="Legacy app, migration planned",
        owner="platform@example.com",
        expires=dt.date(2026, 12, 31),
        line=2,
    )
    # unquoted account id and quoted date are read as written, not as YAML int / str surprises
    assert (w2.account, w2.region, w2.expires, w2.line) == (B, "eu-west-1", dt.date(2027, 1, 15), 8)


def test_plain_list_and_empty_file() -> None:
    (only,) = parse("- {id: X, rule: LG-CFG-01, reason: r, owner: o, expires: 2026-01-01}\n")
    assert only.rule == "LG-CFG-01" and only.account == "*"
    assert parse("") == ()
    assert parse("waivers:\n") == ()


def test_load_waivers_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(textwrap.dedent(VALID), encoding="utf-8")
    assert [w.id for w in load_waivers(path, RULES)] == ["W-1", "W-2"]
    with pytest.raises(UserError, match="not found"):
        load_waivers(tmp_path / "missing.yaml", RULES)


def test_example_file_is_valid() -> None:
    example = Path(__file__).parent.parent / "examples" / "waivers.yaml"
    all_rules = [
        f"LG-{area}-{i:02d}"
        for area, n in (("IAM", 9), ("PUB", 2), ("COST", 4), ("PERF", 3))
        for i in range(1, n + 1)
    ]
    all_rules += [
        f"LG-{area}-{i:02d}" for area, n in (("NET", 3), ("RT", 3), ("CFG", 4)) for i in range(1, n + 1)
    ]
    assert len(load_waivers(example, all_rules)) >= 3


ENTRY = "  - id: W-1\n    rule: LG-IAM-01\n    reason: r\n    owner: o\n    expires: 2026-12-31\n"
ONE = "waivers:\n" + ENTRY  # lines 1 (waivers:) … 6 (expires); an appended line is line 7
KEYS = "id, rule, account, region, resource, reason, owner, expires"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ONE + "    colour: red\n", f"w.yaml:7: unknown key 'colour' (allowed: {KEYS})"),
        (ONE.replace("    owner: o\n", ""), "w.yaml:2: waiver 'W-1' lacks required key 'owner'"),
        (ONE.replace("- id: W-1\n    rule", "- rule"), "w.yaml:2: waiver lacks required key 'id'"),
        (ONE + ENTRY, "w.yaml:7: duplicate waiver id 'W-1' (first defined at line 2)"),
        (ONE.replace("LG-IAM-01", "LG-NOPE-*"), "w.yaml:3: rule 'LG-NOPE-*' matches no known rule id"),
        (ONE.replace("LG-IAM-01", "LG-IAM-99"), "w.yaml:3: rule 'LG-IAM-99' matches no known rule id"),
        (ONE.replace("2026-12-31", "31/12/2026"), "w.yaml:6: expires '31/12/2026' must be a date YYYY-MM-DD"),
        (ONE.replace("2026-12-31", "2026-02-30"), "w.yaml:6: expires '2026-02-30' must be a date YYYY-MM-DD"),
        (ONE + "    account: '1234'\n", "w.yaml:7: account '1234' must be a 12-digit account id or '*'"),
        (ONE + "    region: US East\n", "w.yaml:7: region 'US East' must be a region name, 'global' or '*'"),
        (ONE.replace("reason: r", "reason: ''"), "w.yaml:4: 'reason' must not be empty"),
        (ONE.replace("reason: r", "reason: null"), "w.yaml:4: 'reason' must not be empty"),
        (
            ONE.replace("owner: o", "owner: [a, b]"),
            "w.yaml:5: 'owner' must be one value, not a list or mapping",
        ),
        (ONE + "    rule: LG-IAM-02\n", "w.yaml:7: duplicate key 'rule'"),
        (ONE + "waivers: []\n", "w.yaml:7: duplicate key 'waivers'"),
        ("- just a string\n", f"w.yaml:1: a waiver must be a mapping of keys ({KEYS})"),
        ("exceptions:\n" + ENTRY, "w.yaml:1: unknown top-level key 'exceptions' (expected 'waivers')"),
        ("waivers: W-1\n", "w.yaml:1: 'waivers' must be a list of waivers"),
        ("42\n", "w.yaml:1: expected a list of waivers or a 'waivers:' key"),
    ],
)
def test_invalid_file_gives_one_line_with_file_and_line(text: str, message: str) -> None:
    got = error_of(text)
    assert got == message
    assert "\n" not in got


def test_every_problem_of_the_file_is_listed_in_line_order() -> None:
    no_id = "  - rule: LG-IAM-01\n    reason: r\n    owner: o\n    expires: 2026-12-31\n"  # line 2
    three_bad = (  # lines 11-16: unknown rule (12), bad region (13), bad date (16)
        "  - id: W-3\n    rule: LG-NOPE-01\n    region: Mars\n"
        "    reason: r\n    owner: o\n    expires: soon\n"
    )
    text = "waivers:\n" + no_id + ENTRY + three_bad + ENTRY  # ENTRY at 6, again at 17: duplicate id
    assert error_of(text).splitlines() == [
        "w.yaml:2: waiver lacks required key 'id'",
        "w.yaml:12: rule 'LG-NOPE-01' matches no known rule id",
        "w.yaml:13: region 'Mars' must be a region name, 'global' or '*'",
        "w.yaml:16: expires 'soon' must be a date YYYY-MM-DD",
        "w.yaml:17: duplicate waiver id 'W-1' (first defined at line 6)",
    ]


def test_at_most_twenty_problems_are_listed() -> None:
    bad = "  - {id: W-%d, rule: LG-IAM-01, reason: r, owner: o, expires: never}\n"
    lines = error_of("waivers:\n" + "".join(bad % i for i in range(25))).splitlines()
    assert len(lines) == 21
    assert lines[0] == "w.yaml:2: expires 'never' must be a date YYYY-MM-DD"
    assert lines[19].startswith("w.yaml:21: ")
    assert lines[20] == "… and 5 more problem(s) not listed"


def test_invalid_yaml_names_the_line() -> None:
    got = error_of("waivers:\n  - id: W-1\n    rule: [unclosed\n    reason: r\n")
    assert got.startswith("w.yaml:")
    assert "invalid YAML" in got and "\n" not in got
    line = int(got.split(":")[1])
    assert 3 <= line <= 5  # yaml reports where the flow sequence broke, after line 3


def test_two_documents_are_invalid_yaml() -> None:
    assert error_of(ONE + "---\n- x\n") == (
        "w.yaml:7: invalid YAML: expected a single document in the stream, but found another document"
    )


def test_tab_indentation_is_invalid_yaml_with_line() -> None:
    assert error_of("waivers:\n  - id: W-1\n\trule: x\n").startswith("w.yaml:3: invalid YAML:")


def test_expiry_boundary_and_states() -> None:
    rows = findings(
        finding("LG-IAM-01", "fail", name="a"),
        finding("LG-IAM-02", "fail", name="a"),
    )
    out, report = apply_waivers(
        rows,
        [
            waiver("today", "LG-IAM-01", expires=RUN),  # expires on the run date: still applies
            waiver("yesterday", "LG-IAM-02", expires=RUN - dt.timedelta(days=1)),  # expired
            waiver("never-used", "LG-PUB-01", expires=RUN + dt.timedelta(days=30)),
        ],
        RUN,
    )
    assert out["status"].tolist() == ["waived", "fail"]
    assert out["waiver_id"].tolist()[0] == "today"
    assert out["waiver_expires"].tolist()[0] == "2026-11-30"
    assert pd.isna(out["waiver_id"].iloc[1]) and pd.isna(out["waiver_expires"].iloc[1])
    assert report.columns.tolist() == list(WAIVER_COLUMNS)
    assert report[["waiver_id", "state", "matched"]].values.tolist() == [
        ["today", "active", 1],
        ["yesterday", "expired", 0],
        ["never-used", "unused", 0],
    ]
    assert report["expires"].tolist() == ["2026-11-30", "2026-11-29", "2026-12-30"]


def test_errors_and_passes_are_never_waived() -> None:
    rows = findings(
        finding("LG-IAM-01", "error", name="e"),
        finding("LG-IAM-01", "pass", name="p"),
        finding("LG-IAM-01", "fail", name="f"),
    )
    out, report = apply_waivers(rows, [waiver("all-iam", "LG-IAM-*")], RUN)
    assert out["status"].tolist() == ["error", "pass", "waived"]
    assert report["matched"].tolist() == [1]


def test_glob_rule_account_region_and_resource_matching() -> None:
    rows = findings(
        finding("LG-IAM-01", "fail", name="legacy-a"),  # 0
        finding("LG-IAM-02", "fail", name="legacy-b"),  # 1
        finding("LG-PUB-01", "fail", name="legacy-c"),  # 2: other rule family
        finding("LG-IAM-01", "fail", account=B, name="legacy-d"),  # 3: other account
        finding("LG-IAM-01", "fail", region="eu-west-1", name="legacy-e"),  # 4: other region
        finding("LG-IAM-01", "fail", name="modern"),  # 5: other resource
        finding("LG-CFG-01", "fail", region="eu-west-1"),  # 6: account-region, matched by resource_id
    )
    out, report = apply_waivers(
        rows,
        [
            waiver("iam-legacy", "LG-IAM-*", account=A, region="us-east-1", resource="legacy-*"),
            waiver("cfg-eu", "LG-CFG-01", resource=f"{A}/eu-*"),
        ],
        RUN,
    )
    assert out["status"].tolist() == ["waived", "waived", "fail", "fail", "fail", "fail", "waived"]
    assert report["matched"].tolist() == [2, 1]


def test_resource_matches_full_arn() -> None:
    rows = findings(finding("LG-PUB-01", "fail", name="hook"), finding("LG-PUB-01", "fail", name="other"))
    arn = f"arn:aws:lambda:us-east-1:{A}:function:hook"
    out, _ = apply_waivers(rows, [waiver("exact-arn", "LG-PUB-01", resource=arn)], RUN)
    assert out["status"].tolist() == ["waived", "fail"]


def test_first_matching_waiver_in_file_order_wins() -> None:
    rows = findings(finding("LG-IAM-01", "fail", name="a"), finding("LG-IAM-02", "fail", name="b"))
    out, report = apply_waivers(rows, [waiver("narrow", "LG-IAM-01"), waiver("broad", "LG-IAM-*")], RUN)
    assert out["waiver_id"].tolist() == ["narrow", "broad"]
    assert report["matched"].tolist() == [1, 1]
    out, report = apply_waivers(rows, [waiver("broad", "LG-IAM-*"), waiver("narrow", "LG-IAM-01")], RUN)
    assert out["waiver_id"].tolist() == ["broad", "broad"]
    assert report[["state", "matched"]].values.tolist() == [["active", 2], ["unused", 0]]


def test_no_waivers_leaves_findings_unchanged() -> None:
    rows = findings(finding("LG-IAM-01", "fail"))
    out, report = apply_waivers(rows, (), RUN)
    pd.testing.assert_frame_equal(out, rows)
    assert report.empty and report.columns.tolist() == list(WAIVER_COLUMNS)
