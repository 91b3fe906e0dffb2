"""Meta-tests over the whole catalog: headers, ids, declared reads, empty runs, test coverage."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from reporter.findings import FINDING_COLUMNS
from reporter.inventory import TABLES, Inventory
from reporter.rules.catalog import CATALOG_COLUMNS
from reporter.rules.engine import (
    GUIDE_SECTIONS,
    RULES_DIR,
    STATIC_TABLES,
    Rule,
    RuleError,
    View,
    catalog_frame,
    format_catalog,
    load_catalog,
    load_rule,
    load_views,
    mentioned,
    remediation_sql,
    run_rules,
    strip_sql,
)
from reporter.settings import SEVERITIES, Settings, Thresholds
from tests.rules.helpers import RULE_IDS, only, status_of, untested

CATALOG = load_catalog()
VIEWS = {v.name: v for v in load_views()}
KNOWN_TABLES = (*TABLES, *STATIC_TABLES)


def test_catalog_has_exactly_the_ids_of_rules_md() -> None:
    assert len(RULE_IDS) == 28
    assert [r.id for r in CATALOG] == sorted(RULE_IDS)
    assert sorted(p.stem for p in RULES_DIR.glob("*.sql")) == sorted(RULE_IDS)


@pytest.mark.parametrize("rule", CATALOG, ids=lambda r: r.id)
def test_header_is_complete(rule: Rule) -> None:
    assert rule.path is not None and rule.id == rule.path.stem
    assert rule.severity in SEVERITIES
    assert rule.guide_section in GUIDE_SECTIONS
    assert rule.title and rule.frameworks and rule.remediation and rule.reads
    assert rule.scope in {"function", "account-region", "account", "config-resource"}


@pytest.mark.parametrize("rule", CATALOG, ids=lambda r: r.id)
def test_declared_reads_match_the_tables_the_sql_mentions(rule: Rule) -> None:
    direct = mentioned(rule.sql, KNOWN_TABLES)
    via_views = {t for v in mentioned(rule.sql, VIEWS) for t in VIEWS[v].reads}
    assert set(rule.reads) == direct | via_views


@pytest.mark.parametrize("view", list(VIEWS.values()), ids=lambda v: v.name)
def test_view_reads_match_its_sql(view: View) -> None:
    direct = mentioned(view.sql, KNOWN_TABLES)
    nested = {t for v in mentioned(view.sql, set(VIEWS) - {view.name}) for t in VIEWS[v].reads}
    assert set(view.reads) == direct | nested


@pytest.mark.parametrize("rule", CATALOG, ids=lambda r: r.id)
def test_each_rule_runs_on_an_empty_inventory(rule: Rule) -> None:
    findings = run_rules(Inventory.from_records({}), Settings(), rules=[rule])
    assert list(findings.columns) == [*FINDING_COLUMNS, "guide_section"]
    assert findings.empty


def test_thresholds_and_tag_values_are_parameters_not_literals() -> None:
    defaults = Thresholds()
    literals = [
        defaults.high_risk_tag_key,
        defaults.high_risk_tag_value,
        defaults.latency_tag_key,
        str(defaults.code_size_max_bytes),
    ]
    for rule in CATALOG:
        code = re.sub(r"--[^\n]*", "", rule.sql)
        assert not [lit for lit in literals if lit in code], rule.id


def test_a_rule_lacking_a_pass_or_a_fail_test_is_reported() -> None:
    # the check tests/rules/conftest.py runs after a whole session of rule tests
    asserted = {("LG-A-01", "pass"), ("LG-A-01", "fail"), ("LG-B-01", "fail")}
    assert untested(["LG-A-01", "LG-B-01", "LG-C-01"], asserted) == {
        "LG-B-01": ["pass"],
        "LG-C-01": ["pass", "fail"],
    }
    assert untested(["LG-A-01"], asserted) == {}


def test_only_records_the_verdict_a_test_compares(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded: set[tuple[str, str]] = set()
    monkeypatch.setattr("tests.rules.helpers.ASSERTED", recorded)
    findings = pd.DataFrame(
        {"rule_id": ["LG-X-01", "LG-Y-01"], "resource_id": ["a", "b"], "status": ["pass", "fail"]}
    )
    finding = only(findings, "LG-X-01", "a")
    assert not recorded  # looking a row up asserts nothing
    assert (finding["status"] == "fail") is False and not recorded  # a comparison that fails proves nothing
    assert finding["status"] == "pass"
    assert recorded == {("LG-X-01", "pass")}
    assert status_of("LG-Y-01", "fail") == "fail" and ("LG-Y-01", "fail") in recorded


def test_catalog_frame_and_listing() -> None:
    frame = catalog_frame()
    assert list(frame.columns) == list(CATALOG_COLUMNS)
    assert set(CATALOG_COLUMNS) <= {f.name for f in dataclasses.fields(Rule)}
    assert list(frame["id"]) == sorted(RULE_IDS)
    public = frame.set_index("id").loc["LG-PUB-01"]  # values as RULES.md and the report wording have them
    assert (public["severity"], public["scope"]) == ("critical", "function")
    assert public["risk"] == "{count}{where} can be invoked by anyone on the internet"
    assert public["owner"] == "Function owners, with Cloud security"
    listing = format_catalog()
    lines = listing.splitlines()
    assert lines[0].split()[:3] == ["ID", "SEVERITY", "SCOPE"]
    assert len(lines) == 29
    assert any(line.startswith("LG-PUB-01") and "critical" in line for line in lines)


def test_strip_sql_ignores_quotes_in_comments_and_dashes_in_strings() -> None:
    sql = "select 'a -- b' as x, -- it's a comment\n $p as y from t"
    assert "$p" in strip_sql(sql)
    assert "comment" not in strip_sql(sql)
    assert "t" in mentioned(sql, ["t", "b"]) and "b" not in mentioned(sql, ["t", "b"])


def test_remediation_template_compiles_to_sql_with_escaped_braces_and_quotes() -> None:
    expr = remediation_sql("it's {name} '{{}}' {count}")
    row = duckdb.execute(f"select {expr} from (select 'f' as name, 3 as count) as r").fetchone()
    assert row == ("it's f '{}' 3",)
    with pytest.raises(ValueError, match="plain column name"):
        remediation_sql("{name!r}")


GOOD_HEADER = """-- id: LG-XX-01
-- title: A test rule
-- severity: low
-- scope: function
-- guide: VPC Networking Timeouts
-- frameworks: none
-- reads: functions
-- risk: {count}{where} fail{s} the test "{title}"
-- owner: Test owners
-- remediation: fix {name}

select account_id, region, 'function' as resource_type, name as resource_id, function_arn as resource_arn,
       'pass' as status, 'ok' as reason, name
from functions
"""


ONE_FUNCTION = {"functions": [{"account_id": "1", "region": "r", "function_arn": "arn:f", "name": "f"}]}


def _write(tmp_path: Path, text: str, name: str = "LG-XX-01") -> Path:
    path = tmp_path / f"{name}.sql"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_well_formed_rule_loads_and_runs(tmp_path: Path) -> None:
    rule = load_rule(_write(tmp_path, GOOD_HEADER))
    assert rule.reads == ("functions",) and rule.template_fields == ("name",)
    findings = run_rules(Inventory.from_records(ONE_FUNCTION), Settings(), rules=[rule])
    assert list(findings["status"]) == ["pass"] and findings["remediation"].isna().all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("-- severity: low", "-- severity: urgent"), r"LG-XX-01\.sql:3: severity 'urgent'"),
        (("-- scope: function", "-- scope: lambda"), r":4: scope 'lambda'"),
        (("-- guide: VPC Networking Timeouts", "-- guide: Networking"), r":5: guide section 'Networking'"),
        (("-- reads: functions", "-- reads: functions, lambdas"), r":7: reads unknown table\(s\) lambdas"),
        (("-- id: LG-XX-01", "-- id: LG-XX-02"), r":1: id 'LG-XX-02' must equal the file name"),
        (("-- frameworks: none\n", ""), r":1: header lacks frameworks"),
        (("-- title: A test rule", "-- titel: A test rule"), r":2: unknown header key 'titel'"),
        (("-- title: A test rule", "-- title:"), r":2: header key 'title' is empty"),
        (("-- title: A test rule", "-- a note without a key"), r":2: header lines are '-- key: value'"),
        (("fix {name}", "fix {name:>10}"), r":10: remediation template"),
        (("'ok' as reason", "$no_such_knob as reason"), r"unknown parameter\(s\) \$no_such_knob"),
        (("select account_id", "update functions set x = 1; select account_id"), r":12: expected one SELECT"),
        (
            ("-- reads: functions", "-- reads: functions\n-- context: roles"),
            r":8: context tables must be listed",
        ),
        (("-- scope: function", "-- scope: function\n-- spans: region"), r":5: spans can only be 'account'"),
        (("fail{s} the test", "fail{s} the {rule}"), r":8: risk sentence: unknown field\(s\) \['rule'\]"),
        (("{count}{where}", "Some functions"), r":8: risk sentence: it must say how many"),
        (("{count}{where}", "{count:>3}{where}"), r":8: risk sentence: fields take no format spec"),
        (("{count}{where}", "{count{where}"), r":8: risk sentence: "),
        (("-- owner: Test owners\n", ""), r":1: header lacks owner"),
    ],
)
def test_malformed_headers_are_clear_errors_naming_file_and_line(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in GOOD_HEADER
    with pytest.raises(RuleError, match=message):
        load_rule(_write(tmp_path, GOOD_HEADER.replace(old, new)))


def test_a_rule_missing_a_template_column_fails_at_run(tmp_path: Path) -> None:
    rule = load_rule(_write(tmp_path, GOOD_HEADER.replace("fix {name}", "fix {role_name}")))
    with pytest.raises(RuleError, match="lacks column\\(s\\) role_name"):
        run_rules(Inventory.from_records({}), Settings(), rules=[rule])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("'pass' as status", "'maybe' as status"),
        ("'ok' as reason", "null as reason"),
        ("'function' as resource_type", "'account-region' as resource_type"),
        ("function_arn as resource_arn", "null as resource_arn"),
    ],
)
def test_rows_breaking_the_contract_stop_the_run(tmp_path: Path, old: str, new: str) -> None:
    assert old in GOOD_HEADER
    rule = load_rule(_write(tmp_path, GOOD_HEADER.replace(old, new)))
    with pytest.raises(RuleError, match="LG-XX-01: row 1/r/f breaks the result contract"):
        run_rules(Inventory.from_records(ONE_FUNCTION), Settings(), rules=[rule])


def test_duplicate_rows_for_one_resource_stop_the_run(tmp_path: Path) -> None:
    rule = load_rule(_write(tmp_path, GOOD_HEADER.replace("from functions", "from functions, range(2)")))
    with pytest.raises(RuleError, match="2 rows for 1/r/f"):
        run_rules(Inventory.from_records(ONE_FUNCTION), Settings(), rules=[rule])


def test_a_failing_rule_stops_the_run_when_rules_run_side_by_side(tmp_path: Path) -> None:
    good = load_rule(_write(tmp_path, GOOD_HEADER))
    bad = load_rule(
        _write(
            tmp_path,
            GOOD_HEADER.replace("LG-XX-01", "LG-XX-02").replace("from functions", "from nowhere"),
            "LG-XX-02",
        )
    )
    with pytest.raises(RuleError, match="LG-XX-02 .*query fails"):
        run_rules(Inventory.from_records(ONE_FUNCTION), Settings(), rules=[good, bad, *CATALOG])
