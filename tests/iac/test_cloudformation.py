"""CloudFormation templates: short-form intrinsics, unresolved values, secrets, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.errors import UserError
from reporter.iac.files import load_paths
from reporter.iac.resolve import Resolver, Unresolved
from tests.iac.helpers import reason, scan_files, verdicts

ROLE = """
          Role:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}"""


BASIC = "service-role/AWSLambdaBasicExecutionRole"


def _resolver(template: dict[str, object]) -> Resolver:
    return Resolver(
        template,
        account="000000000001",
        region="eu-west-1",
        partition="aws",
        resource_ref=lambda logical, attr: None,
    )


def test_intrinsics_resolve_where_the_template_says_enough() -> None:
    r = _resolver(
        {
            "Parameters": {"Env": {"Type": "String", "Default": "prod"}, "Free": {"Type": "String"}},
            "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
            "Mappings": {"Sizes": {"prod": {"mb": 512}}},
        }
    )
    assert r.value({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Env}-data/*"}) == "arn:aws:s3:::prod-data/*"
    assert r.value({"Fn::Sub": ["${A}-x", {"A": {"Ref": "Env"}}]}) == "prod-x"
    assert r.value({"Fn::If": ["IsProd", 5, 50]}) == 5
    assert r.value({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "mb"]}) == 512
    assert r.value({"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}]]}) == "a-eu-west-1"
    zones = [r.value({"Fn::Select": [i, {"Fn::GetAZs": ""}]}) for i in (0, 1)]
    assert zones[0] != zones[1]
    assert r.value({"Fn::Sub": "${!Literal}"}) == "${Literal}"
    assert r.value({"A": {"Ref": "AWS::NoValue"}, "B": 1}) == {"B": 1}
    for unknown in (
        {"Ref": "Free"},
        {"Fn::Sub": "${Free}-x"},
        {"Ref": "AWS::StackName"},
        {"Fn::ImportValue": "shared"},
        {"Fn::If": ["Nope", 1, 2]},
    ):
        assert isinstance(r.value(unknown), Unresolved), unknown


def test_short_form_template_maps_to_the_rules(tmp_path: Path) -> None:
    result = scan_files(
        tmp_path,
        {
            "app.yaml": f"""
        Parameters:
          Cap:
            Type: Number
            Default: 3
        Resources:{ROLE}
              PermissionsBoundary: !Sub arn:${{AWS::Partition}}:iam::aws:policy/{BASIC}
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Handler: a.b
              Code: {{ZipFile: "x"}}
              Role: !GetAtt Role.Arn
              ReservedConcurrentExecutions: !Ref Cap
              Tags: [{{Key: CostControl, Value: HighRisk}}]
          Open:
            Type: AWS::Lambda::Permission
            Properties:
              FunctionName: !Ref Fn
              Action: lambda:InvokeFunction
              Principal: "*"
          Pinned:
            Type: AWS::Lambda::Permission
            Properties:
              FunctionName: !GetAtt Fn.Arn
              Action: lambda:InvokeFunction
              Principal: s3.amazonaws.com
              SourceAccount: !Ref AWS::AccountId
        """
        },
    )
    v = verdicts(result.findings, "Fn")
    assert v["LG-COST-01"] == "pass" and v["LG-COST-02"] == "pass"  # capped at the parameter default 3
    assert v["LG-PUB-01"] == "fail" and "Open" in reason(result.findings, "LG-PUB-01", "Fn")
    assert v["LG-IAM-06"] == "pass"  # boundary: an AWS-managed policy, read from the bundled snapshot
    assert v["LG-IAM-07"] == "pass"


def test_unknown_values_are_errors_never_verdicts(tmp_path: Path) -> None:
    result = scan_files(
        tmp_path,
        {
            "app.yaml": f"""
        Parameters:
          Cap: {{Type: Number}}
          Tier: {{Type: String}}
          Boundary: {{Type: String}}
        Resources:{ROLE}
              PermissionsBoundary: !Ref Boundary
          Capped:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Handler: a.b
              Code: {{ZipFile: "x"}}
              Role: !GetAtt Role.Arn
              ReservedConcurrentExecutions: !Ref Cap
              Tags: [{{Key: CostControl, Value: HighRisk}}]
          Tagged:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Handler: a.b
              Code: {{ZipFile: "x"}}
              Role: arn:aws:iam::123456789012:role/elsewhere
              Tags: [{{Key: CostControl, Value: !Ref Tier}}]
        """
        },
    )
    f = result.findings
    capped, tagged = verdicts(f, "Capped"), verdicts(f, "Tagged")
    assert capped["LG-COST-01"] == "error"
    assert reason(f, "LG-COST-01", "Capped").startswith("unresolved: reserved_concurrency: parameter Cap")
    assert capped["LG-IAM-07"] == "error" and "unresolved" in reason(f, "LG-IAM-07", "Capped")
    assert capped["LG-IAM-06"] == "pass"  # that a boundary is set is known, which one is not
    # whether the HighRisk rules apply at all is unknown: their rows are added as errors
    assert tagged["LG-COST-01"] == "error" and "parameter Tier" in reason(f, "LG-COST-01", "Tagged")
    assert tagged["LG-IAM-06"] == "error" and "not defined in this file" in reason(f, "LG-IAM-06", "Tagged")
    assert tagged["LG-PUB-02"] == "pass"
    assert not (f["status"].isin(["fail"]) & f["rule_id"].isin(["LG-COST-01", "LG-IAM-07"])).any()


def test_an_unknown_subnet_list_leaves_every_network_rule_unresolved(tmp_path: Path) -> None:
    result = scan_files(
        tmp_path,
        {
            "app.yaml": f"""
        Parameters:
          Subnets: {{Type: "List<AWS::EC2::Subnet::Id>"}}
        Resources:{ROLE}
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Handler: a.b
              Code: {{ZipFile: "x"}}
              Role: !GetAtt Role.Arn
              VpcConfig: {{SubnetIds: !Ref Subnets, SecurityGroupIds: [sg-1]}}
        """
        },
    )
    v = verdicts(result.findings, "Fn")
    assert {v["LG-NET-01"], v["LG-NET-02"], v["LG-NET-03"]} == {"error"}
    assert reason(result.findings, "LG-NET-02", "Fn").startswith("unresolved: subnet_ids: parameter Subnets")


def test_secrets_are_judged_and_their_values_never_leave(tmp_path: Path) -> None:
    value = "AKIAIOSFODNN7EXAMPLE"
    result = scan_files(
        tmp_path / "in",
        {
            "app.yaml": f"""
        Parameters:
          DbPassword: {{Type: String, NoEcho: true}}
          Plain: {{Type: String}}
        Resources:{ROLE}
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Handler: a.b
              Code: {{ZipFile: "x"}}
              Role: !GetAtt Role.Arn
              Environment:
                Variables:
                  HARMLESS_SETTING: "{value}"
                  DB_PASS_INPUT: !Ref DbPassword
                  TABLE: !Ref Role
        """
        },
        out=tmp_path / "out",
    )
    assert verdicts(result.findings, "Fn")["LG-RT-03"] == "fail"
    assert "DB_PASS_INPUT, HARMLESS_SETTING" in reason(result.findings, "LG-RT-03", "Fn")
    assert value not in result.findings.to_json() and value not in result.summary


def test_an_unknown_env_value_with_a_plain_name_is_unresolved(tmp_path: Path) -> None:
    result = scan_files(
        tmp_path,
        {
            "app.yaml": f"""
        Parameters:
          Plain: {{Type: String}}
        Resources:{ROLE}
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Handler: a.b
              Code: {{ZipFile: "x"}}
              Role: !GetAtt Role.Arn
              Environment: {{Variables: {{MODE: !Ref Plain}}}}
        """
        },
    )
    assert (
        reason(result.findings, "LG-RT-03", "Fn")
        == "unresolved: environment variable MODE: parameter Plain has no default"
        " (its value is given at deploy)"
    )


def test_malformed_files_are_one_line_and_the_others_still_scan(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("Resources:\n  Fn:\n    Type: [unclosed\n", encoding="utf-8")
    (tmp_path / "bad.json").write_text('{"Resources": {"A": }', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "config.yaml").write_text("key: value\n", encoding="utf-8")
    loaded = load_paths([tmp_path], "us-east-1")
    problems = {p.path.rsplit("/", 1)[-1]: p for p in loaded.problems}
    assert set(problems) == {"broken.yaml", "bad.json"}
    assert problems["broken.yaml"].line == 4 and "\n" not in str(problems["broken.yaml"])
    assert problems["bad.json"].line == 1 and str(problems["bad.json"]).endswith(
        "malformed JSON: Expecting value"
    )
    assert sorted(Path(s).name for s in loaded.skipped) == ["config.yaml", "notes.txt"]
    with pytest.raises(UserError, match="nothing could be scanned"):
        scan_files(tmp_path, {})
    result = scan_files(tmp_path, {"ok.json": json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})})
    assert result.loaded.scanned[0].endswith("ok.json") and len(result.loaded.problems) == 2


@pytest.mark.parametrize(
    ("properties", "verdict"),
    [
        ('Principal: "*"', "fail"),
        ('Principal: "*"\n              FunctionUrlAuthType: NONE', "fail"),  # not a pinning condition
        ('Principal: "*"\n              PrincipalOrgID: o-abc123', "pass"),
        ("Principal: s3.amazonaws.com", "fail"),  # any bucket, any account: confused deputy
        ("Principal: s3.amazonaws.com\n              SourceAccount: !Ref AWS::AccountId", "pass"),
        ('Principal: "123456789012"', "pass"),
        ('Principal: "*"\n              SourceArn: !Ref CallerArn', "error"),  # might be a wildcard
    ],
)
def test_permissions_are_judged_as_their_live_policy_statements(
    tmp_path: Path, properties: str, verdict: str
) -> None:
    result = scan_files(
        tmp_path,
        {
            "app.yaml": f"""
        Parameters:
          CallerArn: {{Type: String}}
        Resources:{ROLE}
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Handler: a.b
              Code: {{ZipFile: "x"}}
              Role: !GetAtt Role.Arn
          Invoke:
            Type: AWS::Lambda::Permission
            Properties:
              FunctionName: !GetAtt Fn.Arn
              Action: lambda:InvokeFunction
              {properties}
        """
        },
    )
    assert verdicts(result.findings, "Fn")["LG-PUB-01"] == verdict


def test_impossible_property_shapes_leave_the_resource_out_with_one_line(tmp_path: Path) -> None:
    result = scan_files(
        tmp_path,
        {
            "app.yaml": f"""
        Resources:{ROLE}
          Broken:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Role: !GetAtt Role.Arn
              ReservedConcurrentExecutions: [5]
              Tags: [{{Key: CostControl, Value: HighRisk}}]
          Odd:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Role: !GetAtt Role.Arn
              Environment: {{Variables: [1, 2]}}
          Fine:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.13
              Role: !GetAtt Role.Arn
        """
        },
    )
    problems = [str(p) for p in result.loaded.problems]
    assert len(problems) == 2 and all("\n" not in p for p in problems)
    assert problems[0].endswith(
        "app.yaml:10: resource Broken (AWS::Lambda::Function) left out, a property has "
        "an unexpected shape: expected a number, found list"
    )
    assert ":17: resource Odd" in problems[1]
    assert set(result.findings["resource_id"]) == {"Fine"}  # never "no reserved concurrency" for Broken
