"""Terraform plan JSON: for_each addresses, values known only after apply, references."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reporter.iac.files import load_paths
from tests.iac.helpers import reason, scan_files, verdicts

PLAN = Path(__file__).parent / "data" / "plan.json"
EU, US = 'aws_lambda_function.handler["eu"]', 'aws_lambda_function.handler["us"]'


def test_plan_resources_become_rows_named_by_address(tmp_path: Path) -> None:
    result = scan_files(tmp_path, {"plan.json": PLAN.read_text(encoding="utf-8")})
    f = result.findings
    eu, us = verdicts(f, EU), verdicts(f, US)
    # reserved_concurrent_executions -1 means "unreserved"; 3 is a cap
    assert eu["LG-COST-01"] == "fail" and us["LG-COST-01"] == "pass" and us["LG-COST-02"] == "pass"
    # the URL names the function by its literal function_name
    assert eu["LG-PUB-02"] == "fail" and us["LG-PUB-02"] == "pass"
    # role: unknown until apply, followed through configuration references to aws_iam_role.lambda,
    # with the AWS-managed policy attached by name through aws_iam_role_policy_attachment
    assert eu["LG-IAM-06"] == "fail" and "aws_iam_role.lambda" in reason(f, "LG-IAM-06", EU)
    assert eu["LG-IAM-05"] == "fail" and eu["LG-IAM-03"] == "pass" and eu["LG-IAM-02"] == "pass"
    # retention_in_days 0 = never expires
    assert eu["LG-COST-04"] == "fail"
    # an env var known only after apply: a secret-looking name is judged by its name, another is unresolved
    assert eu["LG-RT-03"] == "fail" and "API_TOKEN" in reason(f, "LG-RT-03", EU)
    assert us["LG-RT-03"] == "error"
    assert reason(f, "LG-RT-03", US) == "unresolved: environment variable MODE: known only after apply"
    assert set(f.loc[f["resource_id"] == EU, "region"]) == {"eu-west-1"}
    assert set(f.loc[f["resource_id"] == EU, "file"]) == {str(tmp_path / "plan.json")}
    assert f.loc[f["resource_id"] == EU, "line"].isna().all()


def test_a_role_nothing_resolves_is_unresolved_not_passed(tmp_path: Path) -> None:
    plan = json.loads(PLAN.read_text(encoding="utf-8"))
    plan["configuration"]["root_module"]["resources"][0]["expressions"] = {}
    result = scan_files(tmp_path, {"plan.json": json.dumps(plan)})
    eu = verdicts(result.findings, EU)
    assert {eu[r] for r in ("LG-IAM-02", "LG-IAM-06", "LG-IAM-08", "LG-IAM-09") if r in eu} == {"error"}
    assert "known only after apply" in reason(result.findings, "LG-IAM-06", EU)


def test_a_malformed_plan_is_one_line(tmp_path: Path) -> None:
    shutil.copy(PLAN, tmp_path / "ok.json")
    (tmp_path / "bad.json").write_text('{"format_version": "1.2", "planned_values": 3}', encoding="utf-8")
    loaded = load_paths([tmp_path], "us-east-1")
    assert len(loaded.plans) == 1 and len(loaded.problems) == 1
    assert str(loaded.problems[0]).endswith("bad.json: malformed plan: no planned_values.root_module")


def test_impossible_shapes_in_a_plan_leave_the_resource_out(tmp_path: Path) -> None:
    plan = json.loads(PLAN.read_text(encoding="utf-8"))
    plan["planned_values"]["root_module"]["resources"][3]["values"]["reserved_concurrent_executions"] = [3]
    result = scan_files(tmp_path, {"plan.json": json.dumps(plan)})
    assert [
        str(p)
        .rsplit(": ", 2)[0]
        .endswith(f"plan.json: resource {US} left out, a property has an unexpected shape")
        for p in result.loaded.problems
    ] == [True]
    assert US not in set(result.findings["resource_id"]) and EU in set(result.findings["resource_id"])
