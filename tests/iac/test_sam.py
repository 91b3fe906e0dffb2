"""SAM templates: expanded by aws-sam-translator as AWS deploys them (globals, generated roles)."""

from __future__ import annotations

from pathlib import Path

from tests.iac.helpers import reason, scan_files, verdicts

SAM = """
    AWSTemplateFormatVersion: "2010-09-09"
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Runtime: python3.13
        Handler: app.handler
        CodeUri: src/
        Tags:
          CostControl: HighRisk
          LatencyCritical: "true"
    Resources:
      Bounded:
        Type: AWS::Serverless::Function
        Properties:
          ReservedConcurrentExecutions: 5
          AutoPublishAlias: live
          ProvisionedConcurrencyConfig:
            ProvisionedConcurrentExecutions: 2
          PermissionsBoundary: !Sub arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaRole
          Policies:
            - AWSLambdaBasicExecutionRole
            - Statement:
                - Effect: Allow
                  Action: s3:PutObject
                  Resource: "*"
      Open:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.8
          FunctionUrlConfig:
            AuthType: NONE
          Policies:
            - Statement:
                - Effect: Allow
                  Action: "s3:*"
                  Resource: arn:aws:s3:::bucket/*
"""


def test_globals_generated_roles_urls_and_aliases(tmp_path: Path) -> None:
    result = scan_files(tmp_path, {"template.yaml": SAM})
    f = result.findings
    bounded, opened = verdicts(f, "Bounded"), verdicts(f, "Open")
    # Globals: both functions carry the HighRisk tag; only Bounded reserves concurrency
    assert bounded["LG-COST-01"] == "pass" and bounded["LG-COST-02"] == "pass"
    assert opened["LG-COST-01"] == "fail"
    # AutoPublishAlias + ProvisionedConcurrencyConfig become an alias with provisioned concurrency
    assert bounded["LG-PERF-01"] == "pass" and "live (2)" in reason(f, "LG-PERF-01", "Bounded")
    assert opened["LG-PERF-01"] == "fail"
    # the generated role <Id>Role: boundary from the SAM property, inline policy from Policies
    assert bounded["LG-IAM-06"] == "pass" and opened["LG-IAM-06"] == "fail"
    assert "BoundedRole" in reason(f, "LG-IAM-06", "Bounded")
    # s3:PutObject on "*" is granted but its boundary (AWSLambdaRole) blocks it: not effective, a dead grant
    assert bounded["LG-IAM-03"] == "pass"
    assert bounded["LG-IAM-09"] == "fail" and "s3:PutObject" in reason(f, "LG-IAM-09", "Bounded")
    assert opened["LG-IAM-02"] == "fail" and "s3:*" in reason(f, "LG-IAM-02", "Open")
    # FunctionUrlConfig AuthType NONE: the URL and the public permission SAM generates with it
    assert opened["LG-PUB-02"] == "fail" and opened["LG-PUB-01"] == "fail"
    assert bounded["LG-PUB-02"] == "pass" and bounded["LG-PUB-01"] == "pass"
    assert opened["LG-RT-01"] == "fail"  # the function's own Runtime overrides Globals
    lines = dict(zip(f["resource_id"], f["line"], strict=False))
    assert lines["Bounded"] == "13" and lines["Open"] == "27"  # the SAM resources, counted by hand


def test_a_broken_sam_resource_is_one_line_at_its_resource(tmp_path: Path) -> None:
    broken = SAM.replace(
        "          FunctionUrlConfig:\n            AuthType: NONE\n", "          Events: 7\n"
    )
    loaded = scan_files(tmp_path / "a", {"ok.yaml": SAM}).loaded
    assert not loaded.problems
    from reporter.iac.files import load_paths

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "broken.yaml").write_text(__import__("textwrap").dedent(broken), encoding="utf-8")
    problems = load_paths([tmp_path / "b"], "us-east-1").problems
    assert len(problems) == 1 and problems[0].line == 27
    assert "SAM transform failed" in str(problems[0]) and "[Open]" in str(problems[0])
