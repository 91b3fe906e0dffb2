"""The generated audit-role template passes cfn-lint and this scan; waivers apply to scans."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from cfnlint.api import lint

from reporter.audit_role_template import audit_role_template_json
from reporter.iac.sarif import sarif_log
from reporter.rules.engine import load_catalog
from tests.iac.helpers import scan_files, verdicts

ROOT = Path(__file__).resolve().parents[2]


def test_the_audit_role_template_passes_cfn_lint() -> None:
    text = audit_role_template_json()
    assert [str(m) for m in lint(text)] == []
    broken = json.loads(text)
    del broken["Resources"]["AuditRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert lint(json.dumps(broken))  # the check can fail


def test_the_audit_role_template_scans_clean(tmp_path: Path) -> None:
    result = scan_files(tmp_path, {"audit-role.json": audit_role_template_json()})
    assert result.loaded.scanned and not result.loaded.problems
    assert not result.findings["status"].isin(["fail", "error"]).any()


def test_waivers_match_logical_ids(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        textwrap.dedent("""\
        waivers:
          - id: W-IAC-1
            rule: LG-PUB-02
            resource: OrdersApi
            reason: Public webhook, signed requests verified in code.
            owner: payments@example.com
            expires: 2099-12-31
        """),
        encoding="utf-8",
    )
    template = (ROOT / "examples" / "iac" / "orders-api.yaml").read_text(encoding="utf-8")
    result = scan_files(tmp_path / "in", {"orders-api.yaml": template}, waivers=waivers, fail_on="high")
    v = verdicts(result.findings, "OrdersApi")
    assert v["LG-PUB-02"] == "waived" and v["LG-COST-01"] == "fail"
    assert result.exit_code == 1
    results = sarif_log(result.findings, load_catalog())["runs"][0]["results"]
    waived = [r for r in results if r["ruleId"] == "LG-PUB-02"]
    assert waived[0]["suppressions"][0]["justification"] == "waiver W-IAC-1"
