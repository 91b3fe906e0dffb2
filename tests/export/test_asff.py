"""findings.asff.json against botocore's BatchImportFindings input shape, in calls of at most 100."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import botocore.model
import pytest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber

from reporter.errors import UserError
from reporter.export.asff import BATCH_SIZE, batches, build_findings, product_arn, write_asff
from reporter.export.common import ExportContext
from tests.export.helpers import NOW, meta, month, sample_rows

# Documented limits the model's validator does not enforce (botocore checks types, required
# members and minimums only).
MAX_LENGTHS = {"Title": 256, "Description": 1024, "Text": 512, "Id": 512}


def securityhub_client() -> Any:
    return boto3.client(
        "securityhub",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def import_all(findings: list[dict[str, Any]]) -> int:
    """Call batch_import_findings on a stubbed client with each chunk; botocore validates each call.

    Returns the number of calls. Raises ParamValidationError for anything the model rejects.
    """
    client = securityhub_client()
    calls = 0
    with Stubber(client) as stub:
        for chunk in batches(findings):
            assert 1 <= len(chunk) <= BATCH_SIZE
            response = {"FailedCount": 0, "SuccessCount": len(chunk), "FailedFindings": []}
            stub.add_response("batch_import_findings", response, {"Findings": chunk})
            assert client.batch_import_findings(Findings=chunk)["SuccessCount"] == len(chunk)
            calls += 1
        stub.assert_no_pending_responses()
    check_enums_and_limits(findings)
    return calls


def check_enums_and_limits(findings: list[dict[str, Any]]) -> None:
    """Every enum value is one the model lists; documented text limits hold."""
    shape = securityhub_client().meta.service_model.shape_for("AwsSecurityFinding")
    for finding in findings:
        for path, value, member in _walk(finding, shape, "finding"):
            if isinstance(member, botocore.model.StringShape) and member.enum:
                assert value in member.enum, f"{path}: {value!r} not in {member.enum}"
        for key in ("Title", "Description", "Id"):
            assert len(finding[key]) <= MAX_LENGTHS[key]
        text = finding.get("Remediation", {}).get("Recommendation", {}).get("Text", "")
        assert len(text) <= MAX_LENGTHS["Text"]
        assert len(finding["ProductFields"]) <= 50
        assert all(len(k) <= 128 and 0 < len(v) <= 2048 for k, v in finding["ProductFields"].items())


def _walk(value: Any, shape: botocore.model.Shape, path: str) -> Iterator[tuple[str, Any, Any]]:
    yield path, value, shape
    if isinstance(shape, botocore.model.StructureShape):
        for name, item in value.items():
            yield from _walk(item, shape.members[name], f"{path}.{name}")
    elif isinstance(shape, botocore.model.ListShape):
        for i, item in enumerate(value):
            yield from _walk(item, shape.member, f"{path}[{i}]")
    elif isinstance(shape, botocore.model.MapShape):
        for key, item in value.items():
            yield from _walk(item, shape.value, f"{path}[{key}]")


def _findings() -> list[dict[str, Any]]:
    return list(build_findings(sample_rows(), ExportContext.from_meta(meta(), "eu-west-1")))


def test_every_finding_passes_botocores_validator_in_calls_of_at_most_100(tmp_path: Path) -> None:
    path = tmp_path / "findings.asff.json"
    assert write_asff(_findings(), path) == 6
    findings = json.loads(path.read_bytes())
    assert import_all(findings) == 1
    # 250 findings take three calls: 100, 100, 50
    many = [dict(findings[i % 6], Id=f"id-{i}") for i in range(250)]
    assert [len(c) for c in batches(many)] == [100, 100, 50]
    assert import_all(many) == 3


def test_product_arn_account_and_states() -> None:
    findings = {f["ProductFields"]["reporter/ResourceId"]: f for f in _findings()}
    arn = "arn:aws:securityhub:eu-west-1:999999999999:product/999999999999/default"
    assert product_arn(ExportContext.from_meta(meta(), "eu-west-1")) == arn
    assert {f["ProductArn"] for f in findings.values()} == {arn}
    assert {f["AwsAccountId"] for f in findings.values()} == {"999999999999"}  # the importing account

    def state(f: dict[str, Any]) -> tuple[str, str, str]:
        return f["Compliance"]["Status"], f["Workflow"]["Status"], f["RecordState"]

    assert state(findings["old"]) == ("FAILED", "NEW", "ACTIVE")
    assert state(findings["fixed"]) == ("PASSED", "RESOLVED", "ARCHIVED")
    assert state(findings["accepted"]) == ("FAILED", "SUPPRESSED", "ACTIVE")
    assert findings["accepted"]["Note"]["Text"] == "waived by W-2026-001 until 2027-01-31"
    assert state(findings["111111111111/global"]) == ("NOT_AVAILABLE", "NEW", "ACTIVE")
    assert state(findings["deleted"]) == ("NOT_AVAILABLE", "RESOLVED", "ARCHIVED")
    assert findings["deleted"]["ProductFields"]["reporter/Status"] == "gone"

    old = findings["old"]
    assert old["FirstObservedAt"] == old["CreatedAt"] == month(2).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert old["UpdatedAt"] == old["LastObservedAt"] == NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert old["Resources"] == [
        {
            "Type": "AwsLambdaFunction",
            "Id": "arn:aws:lambda:us-east-1:111111111111:function:old",
            "Partition": "aws",
            "Region": "us-east-1",
            "Tags": {"CostControl": "HighRisk", "team": "pay"},
        }
    ]
    assert old["ProductFields"]["reporter/AccountId"] == "111111111111"
    assert findings["fixed"]["LastObservedAt"] == month(1).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    region = findings["111111111111/eu-west-1"]
    assert region["Resources"][0]["Id"] == "AWS::::Account:111111111111"
    assert (
        region["Severity"]
        == region["FindingProviderFields"]["Severity"]
        == {"Label": "CRITICAL", "Original": "critical"}
    )
    assert region["Remediation"]["Recommendation"]["Text"].endswith("…")
    unit = findings["111111111111/global"]["Resources"][0]
    assert unit == {"Type": "AwsAccount", "Id": "AWS::::Account:111111111111", "Partition": "aws"}


def test_the_validator_rejects_a_malformed_finding() -> None:
    """The oracle can fail: a missing required member and a wrong type are both refused."""
    good = _findings()[0]
    with pytest.raises(ParamValidationError):
        import_all([{k: v for k, v in good.items() if k != "Resources"}])
    with pytest.raises(ParamValidationError):
        import_all([{**good, "Types": "not a list"}])
    with pytest.raises(ParamValidationError):
        import_all([{**good, "Unknown": "x"}])
    with pytest.raises(AssertionError):
        check_enums_and_limits([{**good, "RecordState": "DELETED"}])


def test_the_import_account_and_partition_come_from_the_caller_arn() -> None:
    gov = replace(meta(), caller_arn="arn:aws-us-gov:sts::222222222222:assumed-role/Audit/session")
    context = ExportContext.from_meta(gov)
    assert product_arn(context) == (
        "arn:aws-us-gov:securityhub:us-gov-west-1:222222222222:product/222222222222/default"
    )
    with pytest.raises(UserError, match="caller ARN"):
        ExportContext.from_meta(replace(meta(), caller_arn="unknown"))
