"""Acceptance of --format ocsf,asff: three demo months, every finding valid, stable ids, fixes archived."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from reporter.export.ocsf import CloudComplianceFinding
from tests.e2e.conftest import run_cli
from tests.export.test_asff import import_all

WAIVERS = """\
waivers:
  - id: W-E2E-1
    rule: LG-CFG-01
    account: "123456789012"
    region: ap-southeast-2
    reason: The management account records Config in its home regions only (test).
    owner: platform@example.com
    expires: 2099-12-31
"""


def _key(finding: dict[str, Any]) -> tuple[str, ...]:
    fields = finding["ProductFields"]
    return tuple(
        fields[f"reporter/{k}"] for k in ("RuleId", "AccountId", "Region", "ResourceType", "ResourceId")
    )


def _load(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    ocsf = json.loads((folder / "findings.ocsf.json").read_bytes())
    asff = json.loads((folder / "findings.asff.json").read_bytes())
    records = json.loads((folder / "findings.json").read_bytes())
    return ocsf, asff, records


def test_three_demo_months_export_valid_stable_findings_and_archive_fixes(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS, encoding="utf-8")
    out = tmp_path / "demo"
    args = ["--demo", "--demo-months", "3", "--out", str(out), "--format", "json,ocsf,asff"]
    proc = run_cli([*args, "--waivers", str(waivers)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    months = [*sorted(tmp_path.glob("demo-*")), out]
    assert len(months) == 3

    loaded = [_load(m) for m in months]
    for ocsf, asff, records in loaded:
        for event in ocsf:
            ComplianceFinding.model_validate(event)
            CloudComplianceFinding.model_validate(event)
        import_all(asff)  # botocore's validator, in calls of at most 100
        assert [e["finding_info"]["uid"] for e in ocsf] == [f["Id"] for f in asff]
        assert len({f["Id"] for f in asff}) == len(asff)
        not_passing = sum(r["status"] != "pass" for r in records)
        archived = sum(f["RecordState"] == "ARCHIVED" for f in asff)
        assert len(asff) == not_passing + archived
        statuses = {f["ProductFields"]["reporter/Status"] for f in asff}
        assert {"fail", "waived", "error"} <= statuses
        waived = next(e for e in ocsf if e["unmapped"]["reporter_status"] == "waived")
        assert waived["status"] == "Suppressed" and "W-E2E-1" in waived["status_detail"]

    (_, first, _), (_, second, _), (_, last, _) = loaded
    # Ids are stable: the same finding has the same id every month.
    ids = [{_key(f): f["Id"] for f in month} for month in (first, second, last)]
    common = ids[1].keys() & ids[2].keys()
    assert len(common) > 200
    assert all(ids[1][k] == ids[2][k] for k in common)
    # A finding failing in all three months was first seen in the first.
    status = [{_key(f): f["ProductFields"]["reporter/Status"] for f in m} for m in (first, second, last)]
    always = [f for f in last if all(s.get(_key(f)) == "fail" for s in status)]
    assert len(always) > 100
    assert {f["FirstObservedAt"] for f in always} == {first[0]["UpdatedAt"]}

    # Each month, what was open the month before and passes now (fixed), or is no longer reported
    # where the run looked (gone: a deleted function), is archived; the last month has a fix.
    archived_kinds: set[str] = set()
    for (_, previous, _), (_, current, records) in zip(loaded, loaded[1:], strict=False):
        before = {f["Id"]: f for f in previous}
        reported: dict[tuple[str, ...], str] = {
            (r["rule_id"], r["account_id"], r["region"], r["resource_type"], r["resource_id"]): r["status"]
            for r in records
        }
        for finding in (f for f in current if f["RecordState"] == "ARCHIVED"):
            earlier = before[finding["Id"]]
            assert earlier["RecordState"] == "ACTIVE"
            assert earlier["Compliance"]["Status"] in {"FAILED", "NOT_AVAILABLE"}
            assert finding["LastObservedAt"] == earlier["UpdatedAt"]
            assert finding["Workflow"]["Status"] == "RESOLVED"
            if finding["Compliance"]["Status"] == "PASSED":
                assert reported[_key(finding)] == "pass"
                archived_kinds.add("fixed")
            else:
                assert finding["Compliance"]["Status"] == "NOT_AVAILABLE"
                assert finding["ProductFields"]["reporter/Status"] == "gone"
                assert _key(finding) not in reported
                archived_kinds.add("gone")
    assert archived_kinds == {"fixed", "gone"}
    assert any(f["RecordState"] == "ARCHIVED" and f["Compliance"]["Status"] == "PASSED" for f in last)

    # Re-judging the last month's evidence (same history) writes the same bytes.
    again = tmp_path / "rerender"
    snapshot = ["--from-snapshot", str(out / "evidence"), "--out", str(again), "--format", "ocsf,asff"]
    proc = run_cli([*snapshot, "--waivers", str(waivers)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("findings.ocsf.json", "findings.asff.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
