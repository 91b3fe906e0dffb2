"""Benchmark ``reporter scan`` on a huge template: 2,000 resources, about 1 MB of YAML.

Usage: python scripts/bench_scan.py [--functions N] [--keep DIR]

The template is generated (500 functions by default, each with its own role and inline policy,
log group and alarm: 4 resources per function), written as YAML with short-form intrinsics, and
scanned end to end as the CLI does (decode, inventory, IAM analysis, the rules, SARIF and
findings files). Prints the size, the resource count and the wall-clock seconds of each stage.
The issue's budget: under 10 s for 1 MB / 2,000 resources.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from reporter.iac.scan import ScanOptions, scan

BOUNDARY = "service-role/AWSLambdaBasicExecutionRole"


def template(functions: int) -> str:
    parts = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        "Description: bench_scan generated template",
        "Resources:",
    ]
    for i in range(functions):
        high_risk = "HighRisk" if i % 3 == 0 else "Standard"
        parts.append(f"""  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: !Sub arn:${{AWS::Partition}}:iam::aws:policy/{BOUNDARY}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: Logs
                Effect: Allow
                Action: [logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents]
                Resource: !Sub arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:*
              - Sid: Data
                Effect: Allow
                Action: [s3:GetObject, s3:PutObject, dynamodb:GetItem, dynamodb:UpdateItem]
                Resource:
                  - !Sub arn:${{AWS::Partition}}:s3:::app-data-{i}/processed/*
                  - !Sub arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/State{i}
  Function{i}:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub app-function-{i}-${{AWS::Region}}
      Runtime: python3.13
      Handler: app.handler
      MemorySize: 256
      Timeout: 30
      Role: !GetAtt Role{i}.Arn
      Code:
        S3Bucket: deployment-artifacts
        S3Key: app/function-{i}.zip
      Environment:
        Variables:
          TABLE_NAME: State{i}
          BUCKET: app-data-{i}
          LOG_LEVEL: INFO
      Tags:
        - Key: CostControl
          Value: {high_risk}
        - Key: Team
          Value: team-{i % 17}
  Function{i}Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${{Function{i}}}
      RetentionInDays: 30
  Function{i}Errors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Errors of function {i}
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions:
        - Name: FunctionName
          Value: !Ref Function{i}
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold""")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="write the template and outputs here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-scan-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "huge.yaml"
    path.write_text(template(args.functions), encoding="utf-8")
    size = path.stat().st_size
    started, cpu = time.perf_counter(), time.process_time()
    result = scan(ScanOptions(paths=(path,), out=folder / "out"))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    counts = result.findings["status"].value_counts().to_dict()
    print(
        f"template: {size / 1_048_576:.2f} MiB, {args.functions * 4:,} resources, "
        f"{args.functions:,} functions"
    )
    print(
        f"findings: {len(result.findings):,} ({', '.join(f'{v:,} {k}' for k, v in sorted(counts.items()))})"
    )
    print(
        f"scan (decode, inventory, IAM analysis, 28 rules, SARIF/JSON/CSV): {seconds:.2f} s wall, "
        f"{cpu:.2f} s CPU (budget 10 s; first use in the process, imports included)"
    )
    print(f"load average while measuring: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
