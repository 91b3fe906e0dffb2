"""Terraform plan JSON: for_each addresses, values known only after apply, references."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

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


def _vpc_plan() -> dict[str, Any]:
    def res(address: str, kind: str, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "address": address,
            "mode": "managed",
            "type": kind,
            "name": address.split(".")[1],
            "values": values,
        }

    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    return {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    res("aws_iam_role.fn", "aws_iam_role", {"name": "fn", "assume_role_policy": trust}),
                    res("aws_subnet.a", "aws_subnet", {"availability_zone": "eu-west-1a"}),
                    res("aws_subnet.b", "aws_subnet", {"availability_zone": "eu-west-1a"}),
                    res(
                        "aws_route_table.private", "aws_route_table", {"route": [{"cidr_block": "0.0.0.0/0"}]}
                    ),
                    res("aws_nat_gateway.main", "aws_nat_gateway", {}),
                    res("aws_route_table_association.a", "aws_route_table_association", {}),
                    res(
                        "aws_lambda_function.fn",
                        "aws_lambda_function",
                        {
                            "function_name": "fn",
                            "runtime": "python3.13",
                            "vpc_config": [{"security_group_ids": ["sg-1"]}],
                        },
                    ),
                ]
            }
        },
        "resource_changes": [
            {"address": "aws_lambda_function.fn", "change": {"after_unknown": {"role": True}}},
            {
                "address": "aws_route_table.private",
                "change": {"after_unknown": {"route": [{"nat_gateway_id": True}]}},
            },
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_lambda_function.fn",
                        "expressions": {
                            "role": {"references": ["aws_iam_role.fn.arn", "aws_iam_role.fn"]},
                            "vpc_config": [
                                {
                                    "subnet_ids": {
                                        "references": [
                                            "aws_subnet.a.id",
                                            "aws_subnet.a",
                                            "aws_subnet.b.id",
                                            "aws_subnet.b",
                                        ]
                                    }
                                }
                            ],
                        },
                    },
                    {
                        "address": "aws_route_table.private",
                        "expressions": {
                            "route": {"references": ["aws_nat_gateway.main.id", "aws_nat_gateway.main"]}
                        },
                    },
                    {
                        "address": "aws_route_table_association.a",
                        "expressions": {
                            "subnet_id": {"references": ["aws_subnet.a.id", "aws_subnet.a"]},
                            "route_table_id": {
                                "references": ["aws_route_table.private.id", "aws_route_table.private"]
                            },
                        },
                    },
                ]
            }
        },
    }


def test_vpc_subnets_zones_and_nat_routes_from_references(tmp_path: Path) -> None:
    plan = _vpc_plan()
    result = scan_files(tmp_path, {"plan.json": json.dumps(plan)})
    fn = verdicts(result.findings, "aws_lambda_function.fn")
    assert fn["LG-NET-01"] == "pass" and fn["LG-NET-03"] == "fail"
    # subnet b has no association in the plan: its route is unknown, never "no NAT"
    assert fn["LG-NET-02"] == "error"
    assert "aws_subnet.b has no route table association" in reason(
        result.findings, "LG-NET-02", "aws_lambda_function.fn"
    )
    plan["planned_values"]["root_module"]["resources"][1]["values"]["availability_zone"] = "eu-west-1b"
    plan["planned_values"]["root_module"]["resources"].append(
        {
            "address": "aws_route_table_association.b",
            "mode": "managed",
            "type": "aws_route_table_association",
            "name": "b",
            "values": {},
        }
    )
    plan["configuration"]["root_module"]["resources"].append(
        {
            "address": "aws_route_table_association.b",
            "expressions": {
                "subnet_id": {"references": ["aws_subnet.b.id", "aws_subnet.b"]},
                "route_table_id": {"references": ["aws_route_table.private.id", "aws_route_table.private"]},
            },
        }
    )
    fixed = verdicts(
        scan_files(tmp_path / "2", {"plan.json": json.dumps(plan)}).findings, "aws_lambda_function.fn"
    )
    assert fixed["LG-NET-02"] == "pass" and fixed["LG-NET-03"] == "pass"
