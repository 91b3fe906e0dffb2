"""CDK output: cdk.out/*.template.json, read with lines, resources named by construct path."""

from __future__ import annotations

import json
from pathlib import Path

from reporter.iac.files import load_paths
from tests.iac.helpers import scan_files, verdicts

STACK = {
    "Resources": {
        "HandlerServiceRoleFCDC14AE": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        {
                            "Action": "sts:AssumeRole",
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                        }
                    ],
                    "Version": "2012-10-17",
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                            ],
                        ]
                    }
                ],
            },
            "Metadata": {"aws:cdk:path": "ApiStack/Handler/ServiceRole/Resource"},
        },
        "Handler886CB40B": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": {
                    "S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"},
                    "S3Key": "abc.zip",
                },
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["HandlerServiceRoleFCDC14AE", "Arn"]},
                "Runtime": "nodejs22.x",
                "ReservedConcurrentExecutions": 2,
                "Tags": [{"Key": "CostControl", "Value": "HighRisk"}],
            },
            "DependsOn": ["HandlerServiceRoleFCDC14AE"],
            "Metadata": {"aws:cdk:path": "ApiStack/Handler/Resource"},
        },
    }
}


def test_cdk_output_is_scanned_with_lines_and_construct_paths(tmp_path: Path) -> None:
    text = json.dumps(STACK, indent=1)
    result = scan_files(tmp_path, {"cdk.out/ApiStack.template.json": text, "cdk.out/manifest.json": "{}"})
    f = result.findings
    v = verdicts(f, "Handler886CB40B")
    assert v["LG-COST-01"] == "pass" and v["LG-COST-02"] == "pass" and v["LG-IAM-06"] == "fail"
    expected_line = text.splitlines().index('  "Handler886CB40B": {') + 1
    assert set(f.loc[f["resource_id"] == "Handler886CB40B", "line"]) == {str(expected_line)}
    loaded = load_paths([tmp_path], "us-east-1")
    assert [t.kind for t in loaded.templates] == ["cdk"]
    assert loaded.templates[0].labels["Handler886CB40B"] == "Handler886CB40B (ApiStack/Handler/Resource)"
    assert [Path(s).name for s in loaded.skipped] == ["manifest.json"]
