"""findings.ocsf.json: every event read back from the file validates against the OCSF models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from pydantic import ValidationError

from reporter.export.common import ExportContext
from reporter.export.ocsf import CloudComplianceFinding, build_events, write_ocsf
from tests.export.helpers import MANIFEST_SHA, NOW, meta, month, sample_rows


def _written(tmp_path: Path) -> tuple[bytes, list[dict[str, Any]]]:
    path = tmp_path / "findings.ocsf.json"
    count = write_ocsf(build_events(sample_rows(), ExportContext.from_meta(meta())), path)
    data = path.read_bytes()
    events = json.loads(data)
    assert count == len(events) == len(data.decode().splitlines()) - 2  # "[" and "]" lines
    return data, events


def test_every_event_validates_against_the_library_models(tmp_path: Path) -> None:
    _, events = _written(tmp_path)
    assert len(events) == 6
    for event in events:
        # the library's own class (the extra "cloud" attribute is ignored there) and ours
        ComplianceFinding.model_validate(event)
        parsed = CloudComplianceFinding.model_validate(event)
        assert parsed.class_uid == 2003 and parsed.category_uid == 2
        assert parsed.type_uid == parsed.class_uid * 100 + parsed.activity_id
        assert parsed.metadata.profiles == ["cloud"] and parsed.metadata.version == "1.5.0"
        assert parsed.evidences[0].data == {"sha256": MANIFEST_SHA}
        assert parsed.time == int(NOW.timestamp() * 1000)


def test_status_history_waiver_and_resource_are_carried(tmp_path: Path) -> None:
    _, events = _written(tmp_path)
    by_name = {e["resources"][0]["name"]: e for e in events}

    old = by_name["old"]
    assert (old["status"], old["compliance"]["status_id"], old["activity_name"]) == ("New", 3, "Update")
    assert old["finding_info"]["first_seen_time"] == int(month(2).timestamp() * 1000)
    assert old["finding_info"]["last_seen_time"] == int(NOW.timestamp() * 1000)
    assert old["resources"][0]["uid"] == "arn:aws:lambda:us-east-1:111111111111:function:old"
    assert old["resources"][0]["labels"] == ["CostControl=HighRisk", "team=pay"]
    assert old["cloud"]["account"] == {
        "name": "payments-prod",
        "type": "AWS_Account",
        "type_id": 10,
        "uid": "111111111111",
    }
    assert old["compliance"]["control"] == "Automated Cost Governance and Control"
    assert "AWS Config LAMBDA_CONCURRENCY_CHECK (scoped by tag)" in old["compliance"]["standards"]
    assert old["remediation"]["desc"].startswith("aws lambda put-function-concurrency")

    fixed = by_name["fixed"]
    assert (fixed["status"], fixed["compliance"]["status_id"], fixed["activity_name"]) == (
        "Resolved",
        1,
        "Close",
    )
    assert fixed["finding_info"]["last_seen_time"] == int(month(1).timestamp() * 1000)

    waived = by_name["accepted"]
    assert (
        waived["status"] == "Suppressed"
        and waived["status_detail"] == "waived by W-2026-001 until 2027-01-31"
    )
    assert waived["activity_name"] == "Create"  # first seen in this run

    gone = by_name["deleted"]
    assert (gone["status"], gone["compliance"]["status_id"], gone["activity_name"]) == (
        "Archived",
        0,
        "Close",
    )
    assert gone["finding_info"]["first_seen_time"] == int(month(2).timestamp() * 1000)
    assert "no longer reported" in gone["message"]

    blind = by_name["111111111111/global"]
    assert blind["compliance"]["status_id"] == 2  # Warning: no result for want of information
    assert "AccessDenied" in blind["message"] and "remediation" not in blind
    assert blind["resources"][0]["cloud_partition"] == "aws"


def test_same_input_same_bytes(tmp_path: Path) -> None:
    first, _ = _written(tmp_path / "a")
    second, _ = _written(tmp_path / "b")
    assert first == second


def test_the_models_reject_what_ocsf_does_not_allow(tmp_path: Path) -> None:
    """The oracle can fail: an unknown severity id or a missing compliance object is refused."""
    _, events = _written(tmp_path)
    with pytest.raises(ValidationError):
        CloudComplianceFinding.model_validate({**events[0], "severity_id": 42})
    with pytest.raises(ValidationError):
        ComplianceFinding.model_validate({k: v for k, v in events[0].items() if k != "compliance"})
